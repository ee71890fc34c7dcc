"""The system-under-test interface: adapter selection, error kinds, capabilities,
and the reference adapter's mapping of simulator errors (no registry needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from artifact_conformance.fixtures.adapters import interface as sut_module
from artifact_conformance.fixtures.adapters import sut_errors
from artifact_conformance.fixtures.adapters.interface import (
    CONFIGURE,
    MOUNT_PATHS,
    Artifact,
    NodeConfig,
    NotApplicable,
    SutOptions,
    SystemUnderTest,
    require,
)
from artifact_conformance.fixtures.adapters.reference import ReferenceAdapter, as_sut_error, load_store_class
from artifact_conformance.fixtures.adapters.selection import UnknownSut, available_adapters, create_sut, parse_settings
from artifact_conformance.fixtures.adapters.sut_errors import (
    SutAmbiguous,
    SutConfigError,
    SutError,
    SutInvalidReference,
    SutNotFound,
)
from artifact_conformance.fixtures.kubelet.image_gc import ImageGC
from artifact_conformance.simulator import errors as sim
from artifact_conformance.simulator.cri_server import status_for
from artifact_conformance.simulator.store import ArtifactStore
from tests.pytest_runs import run_pytest


def test_error_kinds_are_a_closed_set_with_one_class_each():
    assert sut_errors.ERROR_KINDS == {
        "not_found", "invalid_reference", "ambiguous", "not_an_artifact", "config", "registry", "corrupt", "other",
    }
    assert set(SutError._by_kind) == sut_errors.ERROR_KINDS  # one class per kind, no more
    error = SutError.of("ambiguous", "abc matches 2")
    assert isinstance(error, SutAmbiguous) and error.kind == "ambiguous" and str(error) == "ambiguous: abc matches 2"
    with pytest.raises(ValueError, match="unknown SUT error kind"):
        SutError.of("teapot", "x")


def test_not_applicable_is_a_skip_with_the_prefix():
    reason = sut_module.lacks(ReferenceAdapter(), "no_such_capability")
    with pytest.raises(pytest.skip.Exception) as raised:
        raise NotApplicable(reason)
    assert raised.value.msg.startswith("not applicable: ") and "no_such_capability" in raised.value.msg
    require(ReferenceAdapter(), CONFIGURE)  # declared: nothing happens


def test_parse_settings():
    assert parse_settings(["a=1", " b =x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ValueError, match="not KEY=VALUE"):
        parse_settings(["novalue"])


def test_reference_is_built_in_and_unknown_names_are_explained():
    assert "reference" in available_adapters()
    sut = create_sut(SutOptions("reference"))
    assert isinstance(sut, ReferenceAdapter) and sut.name == "reference"
    assert {CONFIGURE, MOUNT_PATHS} <= sut.capabilities
    with pytest.raises(UnknownSut, match="artifact_conformance.sut"):
        create_sut(SutOptions("nonexistent"))


def test_vendor_adapter_from_an_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "vendor_sut.py").write_text(
        "from artifact_conformance.fixtures.adapters.reference import ReferenceAdapter\n"
        "def make(options):\n"
        "    adapter = ReferenceAdapter()\n"
        "    adapter.name = 'vendor:' + options.setting('flavour', '?')\n"
        "    return adapter\n"
    )
    dist_info = tmp_path / "vendor_sut-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: vendor-sut\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[artifact_conformance.sut]\nvendor = vendor_sut:make\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert available_adapters()["vendor"] == "vendor_sut:make"
    assert create_sut(SutOptions("vendor", {"flavour": "mint"})).name == "vendor:mint"


def test_store_class_option_loads_subclasses_only():
    assert load_store_class(None) is ArtifactStore
    assert load_store_class("tests.broken_stores:MainStoreFirst").__name__ == "MainStoreFirst"
    with pytest.raises(TypeError, match="not a subclass of ArtifactStore"):
        load_store_class("pathlib:Path")
    with pytest.raises(ValueError, match="module:attribute"):
        load_store_class("tests.broken_stores.MainStoreFirst")


def test_reference_adapter_maps_simulator_errors(tmp_path: Path):
    sut = ReferenceAdapter()
    with pytest.raises(SutConfigError, match="models"):
        sut.start(NodeConfig(tmp_path / "root", additional_stores=["models"]))
    sut.start(NodeConfig(tmp_path / "root", additional_stores=[str(tmp_path / "missing")]))
    try:
        with pytest.raises(SutNotFound):
            sut.status("registry.example/models/llm:v1")
        with pytest.raises(SutNotFound):
            sut.status("abc123")
        with pytest.raises(SutInvalidReference):
            sut.status("registry.example/models/llm:v1@sha256:" + "0" * 64)
        assert sut.list() == []
        sut.remove("0" * 64)  # idempotent: nothing to remove is success
        assert any(str(tmp_path / "missing") in w for w in sut.warnings())
        assert sut.main_store_dir() == tmp_path / "root" / "artifacts"
    finally:
        sut.stop()
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("error, kind", [
    (sim.InvalidReferenceError("x"), "invalid_reference"),
    (sim.AmbiguousIDError("x"), "ambiguous"),
    (sim.NotFoundError("x"), "not_found"),
    (sim.NoMatchingPlatformError("x"), "not_found"),
    (sim.NotAnArtifactError("x"), "not_an_artifact"),
    (sim.ConfigError("x"), "config"),
    (sim.RegistryError("x"), "registry"),
    (sim.RegistryAccessError("x"), "registry"),
    (sim.DigestMismatchError("x"), "registry"),  # the registry's content did not match
    (sim.CorruptStoreError("x"), "corrupt"),
    (sim.UnsafeLayerNameError("x"), "corrupt"),
    (sim.RefusedError("x"), "other"),
    (sim.ArtifactStoreError("x"), "other"),
])
def test_a_store_error_is_the_same_kind_in_process_and_through_serve_cri(error, kind):
    assert (as_sut_error(error).kind, status_for(error)[1]) == (kind, kind)
    assert as_sut_error(error).message == "x"


def test_an_os_error_is_other_naming_its_type():
    error = as_sut_error(PermissionError(13, "Permission denied"))
    assert error.kind == "other" and error.message.startswith("PermissionError: ")


def test_bad_sut_options_are_usage_errors():
    for args in (["--sut", "nonexistent"], ["--reference-store-class", "tests.broken_stores:Nope"],
                 ["--sut-option", "novalue"]):
        run = run_pytest("features", "--collect-only", "-q", *args, timeout=120)
        assert run.returncode == 4, (args, run.stdout[-1500:], run.stderr[-1500:])  # pytest's usage error
        assert "ERROR:" in run.stderr, run.stderr


class _ListingOnly(SystemUnderTest):
    """A fake system for the garbage collector: fixed images, removals recorded."""

    name = "fake"

    def __init__(self, images: list[Artifact]) -> None:
        self.images = images
        self.removed: list[str] = []

    def start(self, node): ...
    def pull(self, reference): raise NotImplementedError
    def status(self, name_or_id): raise NotImplementedError
    def stop(self): ...

    def list(self):
        return [a for a in self.images if a.id not in self.removed]

    def remove(self, name_or_id):
        self.removed.append(name_or_id)


def test_image_gc_spares_pinned_and_in_use_and_goes_oldest_first():
    images = [Artifact(i * 64, (), (), size, pinned) for i, size, pinned in
              (("a", 10, False), ("b", 20, False), ("c", 30, True), ("d", 40, False))]
    fake = _ListingOnly(images)
    gc = ImageGC(fake)
    gc.detect()
    gc.used("b" * 64)
    gc.used("a" * 64)
    gc.mark_in_use(["d" * 64])
    result = gc.free(15)
    assert fake.removed == ["b" * 64] and result.freed == 20 and result.enough
    assert result.spared_pinned == ("c" * 64,) and result.spared_in_use == ("d" * 64,)
    assert gc.free(1000).removed == ("a" * 64,)
