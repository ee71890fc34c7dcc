"""Binds container_images.feature: each scenario becomes a test."""

from pytest_bdd import scenarios

scenarios("container_images.feature")
