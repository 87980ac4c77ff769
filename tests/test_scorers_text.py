"""Text scorers: equals, contains*, starts-with, regex, word-count, length, levenshtein, similarity-ratio."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmopsctl.scorers.base import ScorerError
from llmopsctl.scorers.similarity import levenshtein_distance
from scorer_helpers import run

MEGABYTE = "lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 18_000  # ~1 MB


def dp_distance(a: str, b: str) -> int:
    """Textbook Wagner-Fischer, the reference for the bit-parallel implementation."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# -- equals / contains / starts-with / regex ---------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "output", "value", "passed"),
    [
        ("equals", "  Paris\n", "Paris", True),
        ("equals", "paris", "Paris", False),
        ("equals", "", "", True),
        ("equals", "", "x", False),
        ("equals", '{"b": 2, "a": [1]}', {"a": [1], "b": 2}, True),  # JSON compared as JSON
        ("equals", "```json\n[1, 2]\n```", [1, 2], True),
        ("equals", "[1, 2, 3]", [1, 2], False),
        ("equals", "true", True, True),  # YAML true is the text "true"
        ("equals", "42", 42, True),
        ("contains", "The answer is 42.", "42", True),
        ("contains", "The answer is 42.", "43", False),
        ("contains", "naïve café 東京", "café 東", True),
        ("icontains", "ÉCOLE Straße", "école STRASSE", True),  # casefold: ß -> ss
        ("icontains", "hello", "world", False),
        ("not-contains", "I am sorry", "sorry", False),
        ("not-icontains", "All good", "SORRY", True),
        ("starts-with", "  Yes, because", "Yes", True),
        ("starts-with", "No.", "Yes", False),
        ("regex", "Order #12345 shipped", r"#\d{5}\b", True),
        ("regex", "Order shipped", r"#\d+", False),
        ("not-regex", "clean", r"\bdamn\b", True),
    ],
)
def test_text_scorers(type_name: str, output: str, value: Any, passed: bool) -> None:
    score = run(type_name, output, value)
    assert score.passed is passed, score
    assert score.value == (1.0 if passed else 0.0)
    assert score.reason


def test_equals_strip_can_be_turned_off() -> None:
    assert run("equals", " x ", "x", {"strip": False}).passed is False


def test_starts_with_strip_off_and_unicode() -> None:
    assert run("starts-with", " x", "x", {"strip": False}).passed is False
    assert run("starts-with", "Ünïcödé 🙂 text", "Ünïcödé 🙂").passed


def test_regex_flags_and_errors() -> None:
    assert run("regex", "BILLING", "^billing$", {"flags": "i"}).passed
    assert run("regex", "a\nb", "^b$", {"flags": "m"}).passed
    with pytest.raises(ScorerError, match="invalid regular expression"):
        run("regex", "x", "([a-z")
    with pytest.raises(ScorerError, match="unknown regex flag 'q'"):
        run("regex", "x", "x", {"flags": "q"})


def test_missing_value_is_an_error() -> None:
    with pytest.raises(ScorerError, match="needs a `value`"):
        run("contains", "x", None)


def test_contains_all_scores_the_fraction_found() -> None:
    score = run("contains-all", "red green", ["red", "green", "blue", "pink"])
    assert (score.value, score.passed) == (0.5, False)
    assert "'blue', 'pink'" in score.reason
    assert run("contains-all", "red green", ["red", "green"]).passed
    assert run("contains-all", "RED", ["red"], {"ignore_case": True}).passed
    assert run("contains-all", "just one", "one").passed  # a string is a list of one


def test_contains_any() -> None:
    assert run("contains-any", "I can't help with that", ["cannot", "can't"]).passed
    assert not run("contains-any", "Sure!", ["cannot", "can't"]).passed
    assert run("not-contains-any", "Sure!", ["cannot", "can't"]).passed
    assert run("contains-any", "CANNOT", ["cannot"], {"ignore_case": True}).passed
    with pytest.raises(ScorerError, match="non-empty list"):
        run("contains-any", "x", [])
    with pytest.raises(ScorerError, match="non-empty list"):
        run("contains-any", "x", {"a": 1})


# -- word-count / length -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "output", "value", "config", "passed"),
    [
        ("word-count", "one two three", None, {"min": 2, "max": 3}, True),
        ("word-count", "one two three four", None, {"max": 3}, False),
        ("word-count", "one", None, {"min": 2}, False),
        ("word-count", "  one\ttwo\n three ", 3, {}, True),  # a number value: exactly that
        ("word-count", "", {"max": 0}, {}, True),
        ("word-count", "a b", {"min": 1}, {"min": 5}, True),  # a dict value wins over config
        ("length", "héllo", None, {"min": 5, "max": 5}, True),  # code points, not bytes
        ("length", "🙂🙂", None, {"max": 1}, False),
        ("length", "", None, {"min": 1}, False),
        ("length", "abc", "3", {}, True),  # a rendered template is a string
    ],
)
def test_counts(type_name: str, output: str, value: Any, config: dict[str, Any], passed: bool) -> None:
    assert run(type_name, output, value, config).passed is passed


def test_count_configuration_errors() -> None:
    with pytest.raises(ScorerError, match="needs `min` and/or `max`"):
        run("length", "x", None, {})
    with pytest.raises(ScorerError, match="greater than `max`"):
        run("length", "x", None, {"min": 5, "max": 2})
    with pytest.raises(ScorerError, match="must be a number"):
        run("word-count", "x", None, {"max": "many"})


# -- levenshtein / similarity-ratio ------------------------------------------------------------------


def test_levenshtein_reference_values() -> None:
    # classic textbook pairs (Wagner & Fischer; Wikipedia's "Levenshtein distance" article)
    assert levenshtein_distance("kitten", "sitting") == 3
    assert levenshtein_distance("flaw", "lawn") == 2
    assert levenshtein_distance("saturday", "sunday") == 3
    assert levenshtein_distance("", "abc") == 3
    assert levenshtein_distance("naïve", "naive") == 1
    assert levenshtein_distance("🙂a", "a🙂") == 2


def test_levenshtein_scorer() -> None:
    score = run("levenshtein", "sitting", "kitten", {"threshold": 3})
    assert score.passed and score.value == pytest.approx(1 - 3 / 7)
    assert "edit distance 3 <= 3" in score.reason
    assert not run("levenshtein", "sitting", "kitten", {"threshold": 2}).passed
    assert run("levenshtein", "abc", "abd").passed  # default maximum distance 5
    assert run("levenshtein", "", "").value == 1.0
    assert run("levenshtein", "ABC", "abc", {"ignore_case": True, "threshold": 0}).passed
    with pytest.raises(ScorerError, match=">= 0"):
        run("levenshtein", "a", "b", {"threshold": -1})


def test_similarity_ratio() -> None:
    # difflib ratio = 2 * matching characters / total length: "abc" + "ef" match, 2 * 5 / 12
    score = run("similarity-ratio", "abcdef", "abcxef")
    assert score.value == pytest.approx(10 / 12)
    assert score.passed  # default threshold 0.8
    assert not run("similarity-ratio", "abcdef", "abcxef", {"threshold": 0.9}).passed
    assert run("similarity-ratio", "", "").value == 1.0
    assert run("not-similarity-ratio", "completely", "different", {"threshold": 0.8}).passed


def test_very_long_output() -> None:
    assert len(MEGABYTE) > 1_000_000
    assert run("contains", MEGABYTE, "adipiscing").passed
    assert run("icontains", MEGABYTE, "ADIPISCING").passed
    assert run("regex", MEGABYTE, r"elit\.\s*$").passed
    assert not run("word-count", MEGABYTE, None, {"max": 1000}).passed
    assert run("length", MEGABYTE, None, {"min": 1_000_000}).passed
    far = run("levenshtein", MEGABYTE, "lorem ipsum")
    assert not far.passed and far.value == pytest.approx(1 - (len(MEGABYTE) - 11) / len(MEGABYTE))
    assert run("similarity-ratio", MEGABYTE, "lorem ipsum").value < 0.01


def test_levenshtein_refuses_two_huge_texts() -> None:
    with pytest.raises(ScorerError, match="too long for levenshtein"):
        levenshtein_distance(MEGABYTE, MEGABYTE[::-1][:100_000])


# -- properties --------------------------------------------------------------------------------------

TEXT = st.text(max_size=40)
SMALL = st.text(alphabet="abcé🙂", max_size=14)


@given(TEXT)
def test_contains_itself(x: str) -> None:
    assert run("contains", x, x).passed
    assert run("icontains", x, x).passed
    assert run("starts-with", x, x, {"strip": False}).passed
    assert run("equals", x, x).passed
    assert not run("not-contains", x, x).passed


@given(TEXT, TEXT)
def test_text_scores_stay_in_unit_interval(output: str, value: str) -> None:
    for type_name in ("equals", "contains", "icontains", "starts-with", "levenshtein", "similarity-ratio"):
        for name in (type_name, "not-" + type_name):
            score = run(name, output, value or " ")
            assert 0.0 <= score.value <= 1.0
            assert isinstance(score.passed, bool)


@settings(max_examples=300)
@given(SMALL, SMALL)
def test_levenshtein_matches_dynamic_programming(a: str, b: str) -> None:
    assert levenshtein_distance(a, b) == dp_distance(a, b)


@given(SMALL, SMALL)
def test_levenshtein_is_symmetric_and_zero_only_on_equal(a: str, b: str) -> None:
    assert levenshtein_distance(a, b) == levenshtein_distance(b, a)
    assert (levenshtein_distance(a, b) == 0) == (a == b)
    assert abs(len(a) - len(b)) <= levenshtein_distance(a, b) <= max(len(a), len(b))


@given(SMALL, SMALL, SMALL)
def test_levenshtein_triangle_inequality(a: str, b: str, c: str) -> None:
    assert levenshtein_distance(a, c) <= levenshtein_distance(a, b) + levenshtein_distance(b, c)


@given(st.text(min_size=1, max_size=30))
def test_similarity_of_itself_is_one(x: str) -> None:
    assert run("similarity-ratio", x, x, {"strip": False}).value == 1.0
    assert run("levenshtein", x, x, {"threshold": 0}).value == 1.0
