@MKT-RETAIL-CHOICE
Feature: Retailer selection - each customer's supply mix chosen on the cost/renewable front
  Seed 000 describes a city broker choosing, among several renewable retailers with their own
  pricing, the most suitable supply for each end user. Here each retailer has a time-of-use
  tariff (EUR per kWh at peak and off-peak, plus a standing charge per billing period), a
  renewable share and service indicators (availability, metering interval, billing accuracy).
  For a customer's expected demand and preferences the platform chooses a mix (the share of the
  demand each retailer serves), reports the Pareto front of cost against renewable share, the
  rule that chose the point, and baselines: the cheapest single retailer, a random retailer and
  the exact optimum by enumeration. The harness judges the choice by its own enumeration.
  Rules: "cheapest-meeting-renewable-minimum" takes the least cost at or above the customer's
  renewable minimum; "greenest-within-budget" the highest renewable share within the budget.

  Background:
    Given the city's retailers are:
      | retailer | peak_eur_per_kwh | offpeak_eur_per_kwh | standing_eur | renewable_share | availability_pct | metering_interval_min | billing_accuracy_pct |
      | grey     | 0.25             | 0.15                | 5            | 0.2             | 99.9             | 15                    | 99.5                 |
      | mixed    | 0.28             | 0.18                | 5            | 0.6             | 99.5             | 30                    | 99.0                 |
      | green    | 0.32             | 0.22                | 6            | 1.0             | 99.9             | 15                    | 99.8                 |
      | windco   | 0.30             | 0.12                | 8            | 0.9             | 98.0             | 60                    | 98.0                 |
      | cheapo   | 0.20             | 0.10                | 2            | 0.0             | 97.0             | 60                    | 97.0                 |

  Scenario Outline: The chosen mix meets the preferences, sits on the front and is the best its rule allows
    Given customer "<customer>" expects <peak> kWh at peak and <offpeak> kWh off-peak, wants a renewable share of at least <share>, <availability> % availability and metering every <interval> minutes or finer, chosen by rule "<rule>" with budget <budget>
    When the SUT selects the customer's retailers
    Then the chosen mix meets the customer's preferences
    And the chosen mix and every front point the SUT reports are on the cost/renewable Pareto front
    And the chosen mix is the best its rule allows, within 1e-6 relative
    And the baselines beside it agree with the harness: the cheapest single retailer and the exact optimum by enumeration

    Examples:
      | customer | peak | offpeak | share | availability | interval | rule                               | budget |
      | home-1   | 100  | 200     | 0.5   | 99           | 60       | cheapest-meeting-renewable-minimum | none   |
      | home-2   | 100  | 200     | 0.8   | 99           | 60       | cheapest-meeting-renewable-minimum | none   |
      | office   | 400  | 100     | 0.7   | 97           | 60       | cheapest-meeting-renewable-minimum | none   |
      | night-ev | 20   | 600     | 0.9   | 97           | 60       | cheapest-meeting-renewable-minimum | none   |
      | saver    | 100  | 200     | 0.0   | 99           | 30       | greenest-within-budget             | 80     |
      | strict   | 100  | 200     | 0.3   | 99.9         | 15       | cheapest-meeting-renewable-minimum | none   |

  Scenario: Preferences no retailer can meet leave no supply mix, and the answer says why
    Given customer "picky" expects 100 kWh at peak and 200 kWh off-peak, wants a renewable share of at least 0.5, 99.99 % availability and metering every 15 minutes or finer, chosen by rule "cheapest-meeting-renewable-minimum" with budget none
    When the SUT selects the customer's retailers
    Then the SUT finds no supply mix, saying "no retailer meets the service preferences"
