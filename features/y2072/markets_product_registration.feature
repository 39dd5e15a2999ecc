@Y2072-7.5-01
Feature: Markets domain - energy product registration, verification and enquiry
  ITU-T Y.2072 clause 7.5 (first bullet) requires the markets domain to register energy products
  built from customers' resources, alone or combined, to verify them, and to answer enquiries
  about their details. Clause 8.2.1 adds that registered products are advertised to the market's
  participants. Verification here means the product agrees with the resources behind it.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind      | max_power_kw | voltage_v | meter |
      | pv-1     | generator | 4.0          | 230       | M-A1  |
      | bat-1    | storage   | 3.0          | 230       | M-A2  |
    And a prosumer "erin" at grid node "N4" with resources:
      | resource | kind      | max_power_kw | voltage_v | meter |
      | pv-9     | generator | 5.0          | 230       | M-E1  |
    And a consumer "bob" at grid node "N2"

  Scenario: A product combining two of a customer's resources is registered and can be enquired
    When "alice" registers the product:
      | product_id      | P-1                       |
      | product_type    | generation                |
      | resource_ids    | pv-1, bat-1               |
      | max_power_kw    | 6.0                       |
      | voltage_v       | 230                       |
      | available_from  | 2026-06-01T10:00:00+00:00 |
      | available_until | 2026-06-01T14:00:00+00:00 |
    Then the product is accepted
    And an enquiry for product "P-1" returns the details as registered
    And the market's product list includes "P-1"

  Scenario: A registered product is advertised to the other participants
    When "alice" registers the product:
      | product_id      | P-1                       |
      | product_type    | generation                |
      | resource_ids    | pv-1                      |
      | max_power_kw    | 4.0                       |
      | voltage_v       | 230                       |
      | available_from  | 2026-06-01T10:00:00+00:00 |
      | available_until | 2026-06-01T14:00:00+00:00 |
    Then the product is accepted
    And "bob" has been notified of product "P-1"
    And "erin" has been notified of product "P-1"

  Scenario Outline: A product that does not agree with its resources is refused, naming the field
    When "alice" registers the product:
      | product_id      | P-2                       |
      | product_type    | generation                |
      | resource_ids    | pv-1, bat-1               |
      | max_power_kw    | 6.0                       |
      | voltage_v       | 230                       |
      | available_from  | 2026-06-01T10:00:00+00:00 |
      | available_until | 2026-06-01T14:00:00+00:00 |
      | <field>         | <value>                   |
    Then the product is rejected at field "<pointer>"
    And an enquiry for product "P-2" finds nothing

    Examples:
      | case                                      | field           | value                     | pointer            |
      | more capacity than its resources deliver  | max_power_kw    | 7.5                       | /max_power_kw      |
      | a resource owned by another customer      | resource_ids    | pv-1, pv-9                | /resource_ids/1    |
      | a resource the market does not know       | resource_ids    | pv-1, wind-7              | /resource_ids/1    |
      | a voltage its resources do not run at     | voltage_v       | 400                       | /resource_ids/0    |
      | an availability window already over       | available_until | 2026-06-01T07:00:00+00:00 | /available_until   |
      | a negative capacity                       | max_power_kw    | -6.0                      | /max_power_kw      |
      | a product type the market does not trade  | product_type    | teleportation             | /product_type      |
