"""ROUGE-L, BLEU and SQuAD F1 against published or independently computed reference values.

Where the numbers come from:
- BLEU: Papineni et al. 2002 (sec. 2.1: "the the the ..." has modified unigram precision 2/7) and NLTK's
  `sentence_bleu` docstring, which scores the paper's Candidate 1 against its three references as
  0.5045666840058485. The other BLEU numbers were computed with nltk 3.10.4 `sentence_bleu` (and, for
  smoothing, `SmoothingFunction().method1`; sacrebleu 2.6.0 with smooth_method="floor", value 0.1,
  tokenize="none", use_effective_order=False gives the same 25.4066) in a throwaway install, not a
  dependency.
- ROUGE-L: Lin 2004 sec. 3.1 (S1 "police killed the gunman": S2 scores 3/4, S3 scores 2/4) and
  rouge-score 0.1.2 `RougeScorer(["rougeL"])` for the longer sentence pair.
- F1: the official SQuAD v2.0 evaluation script's normalize_answer / compute_f1, run on these inputs.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmopsctl.scorers.base import ScorerError
from llmopsctl.scorers.reference import (
    bleu_score,
    bleu_tokens,
    lcs_length,
    modified_precision,
    normalize_answer,
    rouge_l_score,
    token_f1,
)
from scorer_helpers import run

# Papineni et al. 2002, example 1 (as in NLTK's docstring)
CANDIDATE_1 = "It is a guide to action which ensures that the military always obeys the commands of the party"
CANDIDATE_2 = "It is to insure the troops forever hearing the activity guidebook that party direct"
REFERENCES = [
    "It is a guide to action that ensures that the military will forever heed Party commands",
    "It is the guiding principle which guarantees the military forces always being under the command of "
    "the Party",
    "It is the practical guide for the army always to heed the directions of the party",
]


def test_bleu_paper_example() -> None:
    refs = [r.split() for r in REFERENCES]
    assert bleu_score(CANDIDATE_1.split(), refs) == pytest.approx(0.5045666840058485, abs=1e-12)
    score = run("bleu", CANDIDATE_1, REFERENCES)
    assert score.value == pytest.approx(0.5045666840058485, abs=1e-12)
    assert score.passed  # default threshold 0.5


def test_modified_unigram_precision_from_the_paper() -> None:
    candidate = ["the", "the", "the", "the", "the", "the", "the"]
    refs = ["The cat is on the mat".lower().split(), "There is a cat on the mat".lower().split()]
    assert modified_precision(candidate, refs, 1) == (2, 7)


def test_bleu_smoothing_method_1() -> None:
    refs = [r.split() for r in REFERENCES]
    # no 4-gram of candidate 2 is in a reference: 0 without smoothing, epsilon 0.1 with method 1
    assert bleu_score(CANDIDATE_2.split(), refs) == 0.0
    assert bleu_score(CANDIDATE_2.split(), refs, smooth=True) == pytest.approx(0.03703131191121491, abs=1e-12)
    assert run("bleu", "the cat sat on the mat", "the cat is on the mat").value == 0.0
    smoothed = run("bleu", "the cat sat on the mat", "the cat is on the mat", {"smooth": True})
    assert smoothed.value == pytest.approx(0.25406637407730737, abs=1e-12)
    assert not smoothed.passed
    assert run(
        "bleu", "the cat sat on the mat", "the cat is on the mat", {"smooth": True, "threshold": 0.25}
    ).passed


@pytest.mark.parametrize(
    ("candidate", "reference", "smooth", "expected"),
    [
        (
            "the quick brown fox jumps over the lazy dog",
            "the quick brown fox jumped over the lazy dog",
            False,
            0.5969491792019646,
        ),
        ("a b c", "a b c d e", True, 0.288715663092199),  # brevity penalty exp(1 - 5/3)
        ("x y z w", "x y z w", False, 1.0),
        ("nothing in common here", "completely other words there", True, 0.0),  # no unigram match
        ("", "a b c d", True, 0.0),
    ],
)
def test_bleu_values(candidate: str, reference: str, smooth: bool, expected: float) -> None:
    assert bleu_score(candidate.split(), [reference.split()], smooth=smooth) == pytest.approx(
        expected, abs=1e-12
    )


def test_bleu_tokenisation_and_case() -> None:
    assert bleu_tokens("Hello, world! It's 3.5") == [
        "Hello",
        ",",
        "world",
        "!",
        "It",
        "'",
        "s",
        "3",
        ".",
        "5",
    ]
    same = "The Cat sat on the Mat ."
    assert run("bleu", same, same.lower()).value < 1.0  # BLEU is case-sensitive by default
    assert run("bleu", same, same.lower(), {"lowercase": True}).value == pytest.approx(1.0)
    assert run("bleu", "one two", "one two", {"max_n": 2}).value == pytest.approx(1.0)
    with pytest.raises(ScorerError, match="max_n"):
        run("bleu", "a", "a", {"max_n": 0})


def test_rouge_l_paper_examples() -> None:
    assert rouge_l_score("police kill the gunman", "police killed the gunman") == pytest.approx(0.75)
    assert rouge_l_score("the gunman kill police", "police killed the gunman") == pytest.approx(0.5)


def test_rouge_l_against_rouge_score() -> None:
    target = "the quick brown fox jumps over the lazy dog"
    prediction = "the quick brown dog jumps on the log"
    assert rouge_l_score(prediction, target) == pytest.approx(0.5882352941176471, abs=1e-12)
    score = run("rouge-l", prediction, target)
    assert score.passed and "ROUGE-L F 0.588" in score.reason
    assert not run("rouge-l", prediction, target, {"threshold": 0.6}).passed


def test_rouge_l_beta_and_multiple_references() -> None:
    # LCS 2 of 2 candidate tokens (P = 1) and of 4 reference tokens (R = 0.5)
    assert rouge_l_score("a b", "a b c d", beta=1) == pytest.approx(2 / 3)
    assert rouge_l_score("a b", "a b c d", beta=2) == pytest.approx(5 * 0.5 * 1 / (0.5 + 4 * 1))
    assert run("rouge-l", "a b", ["x y", "a b"]).value == 1.0
    assert run("rouge-l", "Hello, WORLD!", "hello world").value == 1.0  # lowercased, punctuation split
    assert run("rouge-l", "Grüße aus Köln", "grüße aus köln").value == 1.0  # non-ASCII words kept
    assert run("rouge-l", "", "").value == 1.0
    assert run("rouge-l", "", "something").value == 0.0
    with pytest.raises(ScorerError, match="empty"):
        run("rouge-l", "x", [])


def test_squad_normalisation() -> None:
    assert normalize_answer("The Cat!") == "cat"
    assert normalize_answer("  An  apple,   a day. ") == "apple day"
    assert normalize_answer("Rock 'n' Roll") == "rock n roll"
    assert normalize_answer("A.B.C") == "abc"
    assert normalize_answer("Théâtre") == "théâtre"  # accents are kept


@pytest.mark.parametrize(
    ("prediction", "truth", "expected"),
    [
        ("Denver Broncos", "Broncos", 2 / 3),
        ("the Broncos won", "Denver Broncos", 0.5),
        ("Paris", "paris, France", 2 / 3),
        ("1,000 dollars", "1000 dollars", 1.0),
        ("the the", "a", 1.0),  # both normalise to nothing: equal (SQuAD v2.0 rule)
        ("cat", "", 0.0),
        ("cat", "dog", 0.0),
    ],
)
def test_token_f1(prediction: str, truth: str, expected: float) -> None:
    assert token_f1(prediction, truth) == pytest.approx(expected)


def test_f1_scorer() -> None:
    assert run("f1", "Denver Broncos", "Broncos").passed  # 0.667 >= 0.5
    assert not run("f1", "Denver Broncos", "Broncos", {"threshold": 0.7}).passed
    assert run("f1", "Broncos", ["Carolina Panthers", "the Broncos"]).value == 1.0  # best reference
    assert run("not-f1", "cat", "dog").passed


def test_not_a_number_threshold_is_an_error() -> None:
    with pytest.raises(ScorerError, match="`threshold` must be a number"):
        run("f1", "a", "a", {"threshold": "high"})


def test_long_output() -> None:
    output = "the quick brown fox jumps over the lazy dog. " * 22_000  # ~1 MB, ~200k tokens
    rouge = run("rouge-l", output, "the lazy dog jumps")
    assert 0 < rouge.value < 0.001 and not rouge.passed
    assert 0 < run("f1", output, "lazy dog").value < 0.001
    assert run("bleu", output, "the quick brown fox jumps over the lazy dog .").value < 0.001


# -- properties --------------------------------------------------------------------------------------

WORDS = st.lists(st.sampled_from(["the", "a", "cat", "Dog", "sat", "on", "mat", "!", "é"]), max_size=14)


def dp_lcs(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a, 1):
        for j, y in enumerate(b, 1):
            table[i][j] = table[i - 1][j - 1] + 1 if x == y else max(table[i - 1][j], table[i][j - 1])
    return table[-1][-1]


@given(WORDS, WORDS)
def test_lcs_matches_dynamic_programming(a: list[str], b: list[str]) -> None:
    assert lcs_length(a, b) == dp_lcs(a, b) == lcs_length(b, a)


@given(st.text(max_size=60))
def test_overlap_with_itself_is_perfect(x: str) -> None:
    assert rouge_l_score(x, x) == 1.0
    assert token_f1(x, x) == 1.0


@given(WORDS, WORDS)
def test_overlap_scores_in_unit_interval(a: list[str], b: list[str]) -> None:
    output, reference = " ".join(a), " ".join(b)
    for type_name in ("rouge-l", "bleu", "f1"):
        for name in (type_name, "not-" + type_name):
            score = run(name, output, reference or "x", {"smooth": True} if type_name == "bleu" else {})
            assert 0.0 <= score.value <= 1.0


@given(WORDS.filter(lambda w: len(w) >= 4))
def test_bleu_of_itself_is_one(words: list[str]) -> None:
    assert bleu_score(words, [words]) == pytest.approx(1.0)


@given(st.text(max_size=40), st.text(max_size=40))
def test_f1_symmetric(a: str, b: str) -> None:
    assert 0.0 <= token_f1(a, b) <= 1.0
    assert token_f1(a, b) == pytest.approx(token_f1(b, a))
