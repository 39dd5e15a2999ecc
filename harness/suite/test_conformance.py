"""Binds every feature under the features directory chosen by `harness run`."""
from pytest_bdd import scenarios

scenarios(".")
