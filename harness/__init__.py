"""Conformance harness for energy-sharing and trading platforms.

`catalog/` holds the requirements; `sut/` the system-under-test boundary; `steps/` the Gherkin
step library; `plugin.py` turns scenario outcomes into verdicts; `reports/` writes them.
"""
__version__ = "0.1.0"
