"""A runtime configured outside the suite: what the harness adapts to, and what
makes a scenario not applicable on it (FixedNode), plus the fixed probe
address such a runtime pulls through."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from artifact_conformance.fixtures.adapters import cri_settings as cri
from artifact_conformance.fixtures.adapters.fixed_node import FixedNode
from artifact_conformance.fixtures.adapters.interface import SutOptions
from artifact_conformance.fixtures.adapters.selection import UnknownSut, adapter_factory, create_sut
from artifact_conformance.fixtures.plugins.harness_fixtures import parse_listen_address
from artifact_conformance.fixtures.probe.traffic_probe import ProbeUnavailable, TrafficProbe
from artifact_conformance.simulator.crio_toml import crio_toml
from tests.cri_process import LAUNCH_COMMAND

UNDER = "127.0.0.1:5050/"
HARNESS_STORE = None  # a store the harness populates: any path will do


def test_stores_are_placed_in_order_and_fewer_are_fine():
    fixed = FixedNode(additional_stores=("/mnt/a", "/mnt/b"))
    assert fixed.stores_mismatch([]) is None
    assert fixed.stores_mismatch([('"first"', HARNESS_STORE)]) is None
    assert fixed.stores_mismatch([('"first"', HARNESS_STORE), ('"second"', HARNESS_STORE)]) is None


def test_more_stores_than_the_runtime_has_names_how_many_are_needed():
    reason = FixedNode(additional_stores=("/mnt/a",)).stores_mismatch([('"broken"', None), ('"first"', None)])
    assert reason.startswith('2 read-only stores ("broken", "first"); the runtime has 1: [\'/mnt/a\']'), reason


def test_a_raw_store_path_must_be_the_runtimes_path_at_that_position():
    fixed = FixedNode(additional_stores=("/mnt/a", "/mnt/b"))
    assert fixed.stores_mismatch([("'/mnt/a'", "/mnt/a")]) is None
    reason = fixed.stores_mismatch([("'models/llm'", "models/llm")])
    assert reason == "additional_artifact_stores ['models/llm']; the runtime has ['/mnt/a', '/mnt/b']"
    assert fixed.stores_mismatch([('"first"', None), ("'/mnt/a'", "/mnt/a")]) is not None  # /mnt/a is #1, not #2


@pytest.mark.parametrize("runtime, scenario, runs", [
    ((), (), True),
    (("registry.k8s.io/pause:3.10",), (), True),  # an exact name of another registry changes nothing
    (("registry.example/models/*",), (), True),  # a prefix glob of another registry neither
    (("127.0.0.1:5050/conformance/*",), (), False),  # may pin the scenario's artifacts
    (("127.0.0.1:*",), (), False),
    (("*llm*",), (), False),  # a keyword may match any name
    (("*",), (), False),
    ((), ("127.0.0.1:5050/conformance/llm-1:v1",), False),
    (("*nomatch*",), ("*NOMATCH*",), True),  # the same pattern: case does not matter
    (("*llm*", "registry.k8s.io/pause:3.10"), ("*llm*",), True),
    (("*llm*",), ("*llm*", "registry.example/x"), True),
])
def test_pinned_images_must_agree_on_what_can_match_the_scenarios_names(runtime, scenario, runs):
    reason = FixedNode(pinned_images=runtime).pinning_mismatch(list(scenario), UNDER)
    assert (reason is None) is runs, reason
    if not runs:
        assert reason.startswith(f"pinned_images {list(scenario)}; the runtime has {list(runtime)}"), reason


def test_the_cri_adapter_describes_its_fixed_runtime(tmp_path: Path):
    config = tmp_path / "99-artifact-conformance.conf"
    config.write_text(crio_toml(stores=["/mnt/a"], pinned=["x*"]))  # a drop-in: no root
    adapter = create_sut(SutOptions("cri", {cri.ENDPOINT: "unix:///run/crio.sock", cri.RUNTIME_CONFIG: str(config),
                                            cri.ARTIFACTS_SUBDIR: "layout"}))
    fixed = adapter.fixed_node()
    assert (fixed.additional_stores, fixed.pinned_images, fixed.root, fixed.artifacts_subdir) == (
        ("/mnt/a",), ("x*",), None, "layout")
    assert str(config) in fixed.source
    launched = create_sut(SutOptions("cri", {cri.LAUNCH: LAUNCH_COMMAND}))
    assert launched.fixed_node() is None  # the harness configures it


@pytest.mark.parametrize("text, problem", [
    ("127.0.0.1:5050", None),
    ("10.1.2.3:80", None),
    ("localhost:5050", "not an IPv4 address"),
    ("0.0.0.0:5050", "not 0.0.0.0"),
    ("127.0.0.1", "not HOST:PORT"),
    ("127.0.0.1:0", "not 1-65535"),
    ("127.0.0.1:70000", "not 1-65535"),
])
def test_probe_listen_addresses(text, problem):
    if problem is None:
        host, port = parse_listen_address(text)
        assert f"{host}:{port}" == text
    else:
        with pytest.raises(ValueError, match=problem):
            parse_listen_address(text)


def test_the_probe_listens_on_a_fixed_port_and_says_when_it_cannot():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(ProbeUnavailable, match=f"cannot listen on 127.0.0.1:{port}"):
            TrafficProbe("127.0.0.1:1", listen_port=port).start()
    with TrafficProbe("127.0.0.1:1", listen_port=port) as probe:
        assert probe.address == f"127.0.0.1:{port}"
        probe.set_reachable(False)
        probe.set_reachable(True)  # the same port again
        assert probe.address == f"127.0.0.1:{port}"


def test_an_adapter_can_be_named_by_module_and_class():
    factory = adapter_factory("tests.capability_masked:ReferenceWithCapabilities")
    sut = factory(SutOptions("tests.capability_masked:ReferenceWithCapabilities", {"capabilities": "configure"}))
    assert sut.capabilities == frozenset({"configure"})
    with pytest.raises(ImportError):
        adapter_factory("no_such_module_here:Adapter")
    with pytest.raises(UnknownSut, match="or named as module:Class"):
        adapter_factory("no-such-adapter")
