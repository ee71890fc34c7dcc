# The suite's plugins are listed once, in fixtures/plugins/suite.py, which
# `artifact-conformance run` also loads (with -p) from an installed copy.
pytest_plugins = ["artifact_conformance.fixtures.plugins.suite"]
