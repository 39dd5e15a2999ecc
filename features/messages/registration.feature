Feature: Messages - registration, polling and cancellation by the VEN alone
  What a VEN can check of any VTN without anyone publishing events on it: the registration
  exchange, a poll, and the cancellation of the registration. Runs against a VTN known only by
  its URL, too.

  @MSG-SCHEMA-VALID
  Scenario: Registration, a poll and its cancellation are schema-valid both ways
    When the VEN "ven-registration" queries the VTN's registration
    And the VEN "ven-registration" registers with the VTN
    And the VEN polls the VTN
    And the VEN cancels its registration
    Then every message exchanged with the VTN is valid against the OpenADR 2.0b schema

  @MSG-REQUEST-ID-ECHO
  Scenario: Registration answers and its cancellation name the request they answer
    When the VEN "ven-registration" queries the VTN's registration
    And the VEN "ven-registration" registers with the VTN
    And the VEN "ven-registration" registers with the VTN again
    And the VEN cancels its registration
    Then every answer names the request it answers
