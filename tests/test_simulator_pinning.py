"""``pinned_images`` patterns: keyword, prefix glob, exact; case-insensitive (docs/contract.md: pin.patterns)."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from artifact_conformance.simulator.pinning import PinnedImages, PinPattern

# Reference-like text, with "*" kept out: it only means something in patterns.
TEXT = st.text(alphabet=st.sampled_from("abcXYZ019./:@-_"), max_size=20)
CASES = st.sampled_from([str.lower, str.upper, str.swapcase, lambda s: s])


@given(TEXT, TEXT, TEXT, CASES)
def test_keyword_pattern_matches_anywhere(before: str, word: str, after: str, case) -> None:
    assert PinPattern(f"*{word}*").matches(case(before + word + after))


@given(TEXT, TEXT)
def test_keyword_pattern_does_not_match_text_without_the_word(word: str, text: str) -> None:
    assume(word.lower() not in text.lower())
    assert not PinPattern(f"*{word}*").matches(text)


@given(TEXT, TEXT, CASES)
def test_prefix_glob_matches_what_starts_with_the_prefix(prefix: str, rest: str, case) -> None:
    assert PinPattern(f"{prefix}*").matches(case(prefix + rest))


@given(TEXT, TEXT)
def test_prefix_glob_does_not_match_elsewhere(prefix: str, text: str) -> None:
    assume(prefix and not text.lower().startswith(prefix.lower()))
    assert not PinPattern(f"{prefix}*").matches(text)


@given(TEXT, CASES)
def test_exact_pattern_matches_the_whole_string_in_any_case(text: str, case) -> None:
    assume(text)
    assert PinPattern(case(text)).matches(text)


@given(TEXT, TEXT)
def test_exact_pattern_does_not_match_a_longer_or_different_string(text: str, other: str) -> None:
    assume(text and text.lower() != other.lower())
    assert not PinPattern(text).matches(other)
    assert not PinPattern(text).matches(text + "x")
    assert not PinPattern(text).matches("x" + text)


def test_a_star_only_at_the_start_is_an_exact_pattern() -> None:
    # CRI-O has three kinds only; "*word" is neither keyword nor prefix glob.
    assert PinPattern("*llm").matches("*LLM")
    assert not PinPattern("*llm").matches("registry.example/llm")


def test_a_lone_star_pins_everything() -> None:
    assert PinPattern("*").matches("registry.example/models/llm:v1")
    assert PinPattern("**").matches("anything")


def test_any_pattern_of_several_pins_and_empty_candidates_never_match() -> None:
    pins = PinnedImages(["registry.example/models/*", "*dataset*", "other.example/x:v1"])
    assert pins.matches_any(None, "OTHER.example/X:V1")
    assert pins.matches_any("registry.example/MODELS/llm:v1")
    assert pins.matches_any("x.example/big-DataSet:v1")
    assert not pins.matches_any("registry.example/other/llm:v1", None, "")
    assert not PinnedImages([]).matches_any("registry.example/models/llm:v1")
