"""The Gherkin step library. Each module holds the steps of one topic, every step function is
named `_`, and they are star-imported by the suite's conftest (pytest-bdd registers steps as
fixtures in the defining module's namespace). Steps call only the `sut` fixture.
"""
