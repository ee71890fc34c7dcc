pytest_plugins = [
    "artifact_conformance.fixtures.registry_options",
    "artifact_conformance.fixtures.harness_fixtures",
]
