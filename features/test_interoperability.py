"""Binds interoperability.feature: each scenario becomes a test."""

from pytest_bdd import scenarios

scenarios("interoperability.feature")
