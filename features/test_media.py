"""Binds media.feature: each scenario becomes a test."""

from pytest_bdd import scenarios

scenarios("media.feature")
