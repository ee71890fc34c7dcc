pytest_plugins = ["artifact_conformance.fixtures.registry_options"]
