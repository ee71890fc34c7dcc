"""Names and IDs: which strings are fully qualified references (docs/contract.md, "Names and look-ups")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifact_conformance.simulator.digests import parse_digest
from artifact_conformance.simulator.errors import InvalidReferenceError
from artifact_conformance.simulator.reference import Reference, parse, parse_ref_name, try_parse

HEX64 = st.text("0123456789abcdef", min_size=64, max_size=64)
# distribution/reference's grammar, ASCII only (Go's \w is ASCII).
DOMAIN_COMPONENT = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", fullmatch=True)
PATH_COMPONENT = st.from_regex(r"[a-z0-9]{1,6}((\.|_|__|-{1,3})[a-z0-9]{1,6}){0,2}", fullmatch=True)
TAG = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@st.composite
def domains(draw) -> str:
    """A registry host: dotted, with a port, or localhost (what makes a name fully qualified)."""
    kind = draw(st.sampled_from(["dotted", "port", "localhost", "ip"]))
    if kind == "localhost":
        host = "localhost"
    elif kind == "ip":
        host = ".".join(str(draw(st.integers(0, 255))) for _ in range(4))
    else:
        parts = draw(st.lists(DOMAIN_COMPONENT, min_size=2 if kind == "dotted" else 1, max_size=3))
        host = ".".join(parts)
    if kind == "port" or draw(st.booleans()):
        host += f":{draw(st.integers(1, 65535))}"
    return host


@st.composite
def repositories(draw) -> str:
    return draw(domains()) + "/" + "/".join(draw(st.lists(PATH_COMPONENT, min_size=1, max_size=3)))


@given(repositories(), TAG)
def test_tagged_references_round_trip(repository: str, tag: str) -> None:
    ref = parse(f"{repository}:{tag}")
    assert ref == Reference(repository, tag, None)
    assert str(ref) == f"{repository}:{tag}"
    assert parse(str(ref)) == ref
    assert parse_ref_name(str(ref)) == ref  # what a store writes, it reads back as a name


@given(repositories(), HEX64)
def test_digest_references_round_trip(repository: str, hex_: str) -> None:
    ref = parse(f"{repository}@sha256:{hex_}")
    assert ref == Reference(repository, None, f"sha256:{hex_}")
    assert str(ref) == f"{repository}@sha256:{hex_}"
    assert parse_ref_name(str(ref)) == ref


@given(repositories())
def test_a_name_without_tag_or_digest_means_latest(repository: str) -> None:
    assert parse(repository) == Reference(repository, "latest", None)


@given(repositories(), TAG, HEX64)
def test_a_tag_and_a_digest_together_are_an_error_naming_the_reference(repository: str, tag: str, hex_: str) -> None:
    text = f"{repository}:{tag}@sha256:{hex_}"
    with pytest.raises(InvalidReferenceError) as raised:
        try_parse(text)
    assert text in str(raised.value)


@pytest.mark.parametrize("text", [
    "llm:v2",  # no registry host: never normalised to Docker Hub
    "models/llm:v2",  # first component has no "." or ":" and is not localhost
    "library/ubuntu",
    "ubuntu",
    "0123abcd",  # an ID prefix
    "sha256:" + "a" * 64,
    "a" * 64,
    "",
])
def test_strings_that_are_not_fully_qualified_are_not_names(text: str) -> None:
    assert try_parse(text) is None
    with pytest.raises(InvalidReferenceError, match="not a fully qualified reference"):
        parse(text)


@given(st.text(max_size=40).filter(lambda s: "/" not in s))
def test_a_string_without_a_slash_is_never_a_name(text: str) -> None:
    assert try_parse(text) is None


@pytest.mark.parametrize("text", [
    "registry.example/Models/llm:v1",  # upper case in the path
    "registry.example/models/llm:v1\n",  # trailing newline: "$" must not let it through
    "registry.example/models/llm:vé",  # non-ASCII tag: distribution's \w is ASCII
    "registry.example/models/llm:" + "t" * 129,  # tag longer than 128
    "registry.example/models//llm:v1",
    "registry.example/models/llm:-v1",  # a tag cannot start with "-"
    "registry.example:port/models/llm:v1",
])
def test_malformed_names_are_not_names(text: str) -> None:
    assert try_parse(text) is None


def test_a_name_longer_than_255_characters_is_an_error_naming_it() -> None:
    text = "registry.example/" + "a" * 250 + ":v1"
    with pytest.raises(InvalidReferenceError, match="at most 255"):
        try_parse(text)


@pytest.mark.parametrize("digest", ["sha512:" + "a" * 128, "sha256:" + "A" * 64, "sha256:" + "a" * 40])
def test_a_digest_that_is_not_sha256_hex_is_an_error_naming_it(digest: str) -> None:
    with pytest.raises(InvalidReferenceError, match=digest.split(":")[0]):
        try_parse(f"registry.example/models/llm@{digest}")


@pytest.mark.parametrize("annotation", [
    "v1", "latest",  # bare tags, as skopeo and ORAS write them
    "registry.example/models/llm",  # a name without tag is not an exact ref name
    "registry.example/models/llm:v1@sha256:" + "a" * 64,
    "not a reference", "", None,
])
def test_ref_names_that_are_not_exact_full_references_leave_the_artifact_unnamed(annotation) -> None:
    assert parse_ref_name(annotation) is None


def test_an_ipv6_registry_host_is_a_name() -> None:
    assert parse("[::1]:5000/models/llm:v1") == Reference("[::1]:5000/models/llm", "v1", None)


@pytest.mark.parametrize("digest", ["sha256:" + "a" * 64 + "\n", "sha256:" + "a" * 63 + "g", "sha256", "md5:abc"])
def test_parse_digest_accepts_exactly_sha256_and_64_lower_hex(digest: str) -> None:
    with pytest.raises(InvalidReferenceError, match="malformed digest"):
        parse_digest(digest)
