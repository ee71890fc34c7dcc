"""docs/real-runtimes.md shows CRI-O's divergences as generated from the expectations file."""

from __future__ import annotations

from pathlib import Path

import pytest

from artifact_conformance.fixtures.stores.populators import Fingerprint, without_empty_directories
from artifact_conformance.reporting.expectations_file import ExpectationsError, load_expectations, resolve_expectations
from artifact_conformance.reporting.expectations_table import markdown_table, with_table

ROOT = Path(__file__).resolve().parent.parent


def test_the_divergence_table_of_the_docs_is_the_expectations_file():
    page = (ROOT / "docs" / "real-runtimes.md").read_text()
    expected = with_table(page, "cri-o", markdown_table(load_expectations("cri-o")))
    assert page == expected, ("docs/real-runtimes.md's table differs from docs/expectations/cri-o.toml: run "
                              "python -m artifact_conformance.reporting.expectations_table cri-o docs/real-runtimes.md")


def test_every_cri_o_entry_says_what_was_seen_and_why_it_matters():
    entries = load_expectations("cri-o").entries
    assert entries
    vague = [e.describe() for e in entries if not e.seen or len(e.reason) < 30]
    assert not vague, vague


def test_a_packaged_name_resolves_and_an_unknown_one_is_an_error_listing_the_known(tmp_path):
    assert resolve_expectations("cri-o").name == "cri-o.toml"
    with pytest.raises(ExpectationsError, match="packaged: .*cri-o"):
        resolve_expectations("containerd")


def test_empty_directories_hold_nothing_but_files_and_their_parents_stay():
    directory, file = Fingerprint(None, 0o40755, 0), Fingerprint("ab", 0o100644, 2)
    tree = {".": directory, "blobs": directory, "blobs/sha256": directory, "index.json": file,
            "keep": directory, "keep/file": file}
    assert without_empty_directories(tree) == {".": directory, "index.json": file, "keep": directory, "keep/file": file}
