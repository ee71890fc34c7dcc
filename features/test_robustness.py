"""Binds robustness.feature: each scenario becomes a test."""

from pytest_bdd import scenarios

scenarios("robustness.feature")
