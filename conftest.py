pytest_plugins = [
    "artifact_conformance.fixtures.registry_options",
    "artifact_conformance.fixtures.harness_fixtures",
    "artifact_conformance.fixtures.results_plugin",
    "artifact_conformance.fixtures.sut_options",
    "artifact_conformance.fixtures.cri_options",
    "artifact_conformance.fixtures.scenario_context",
    "artifact_conformance.steps.node_steps",
    "artifact_conformance.steps.registry_steps",
    "artifact_conformance.steps.store_steps",
    "artifact_conformance.steps.client_steps",
    "artifact_conformance.steps.observation_steps",
    "artifact_conformance.steps.gc_steps",
]
