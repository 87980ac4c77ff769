"""Overlap with a reference answer: ROUGE-L, BLEU and SQuAD token F1. Pure Python, no model.

`value` (or the case's `expected`) is the reference; a list of strings is several references, and the
best score over them counts (BLEU instead clips n-gram counts against all of them, as in the paper).
Each passes at `threshold` (default 0.5).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

from llmopsctl.scorers.base import Score, ScoreContext, ScorerError, as_text, get_threshold, graded, to_number
from llmopsctl.scorers.checking import check_unit_threshold
from llmopsctl.scorers.declaration import AssertionType

DEFAULT_THRESHOLD = 0.5
BLEU_EPSILON = 0.1  # smoothing method 1 of Chen & Cherry (2014), NLTK's SmoothingFunction().method1
_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits (any script)
_BLEU_TOKEN = re.compile(r"\w+|[^\w\s]")  # words, and each punctuation mark on its own


def references(value: Any) -> list[str]:
    if isinstance(value, list):
        if not value:
            raise ScorerError("the list of references is empty")
        return [as_text(v) for v in value]
    return [as_text(value)]


# -- ROUGE-L ----------------------------------------------------------------------------------------


def rouge_tokens(text: str) -> list[str]:
    """Lowercased runs of letters and digits: rouge-score's default tokeniser, but keeping non-ASCII words."""
    return _WORD.findall(text.lower())


def lcs_length(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Length of the longest common subsequence, bit-parallel (Allison & Dix 1986; Hyyrö 2004).

    The longer sequence is the bit vector, the loop runs over the shorter one: O(len(b)) big-int steps.
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return 0
    wanted = set(b)
    size = (len(a) + 8) // 8
    arrays = {token: bytearray(size) for token in wanted}
    for i, token in enumerate(a):
        array = arrays.get(token)
        if array is not None:
            array[i >> 3] |= 1 << (i & 7)
    match = {token: int.from_bytes(array, "little") for token, array in arrays.items()}
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & match[token]
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def rouge_l_score(candidate: str, reference: str, beta: float = 1.0) -> float:
    """ROUGE-L F-measure (Lin 2004, sec. 3.1): F = (1 + b^2) R P / (R + b^2 P) on the LCS of tokens.

    Two texts without any tokens score 1 (identical); one empty side scores 0.
    """
    cand, ref = rouge_tokens(candidate), rouge_tokens(reference)
    if not cand or not ref:
        return 1.0 if not cand and not ref else 0.0
    lcs = lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return (1 + beta**2) * recall * precision / (recall + beta**2 * precision)


def rouge_l(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    threshold = get_threshold(config, DEFAULT_THRESHOLD)
    beta = to_number(config.get("beta", 1.0), "`beta`")
    if beta < 0:
        raise ScorerError(f"`beta` must be >= 0, got {beta:g}")
    best = max(rouge_l_score(ctx.output, ref, beta) for ref in references(value))
    return graded(best, threshold, "ROUGE-L F")


# -- BLEU -------------------------------------------------------------------------------------------


def bleu_tokens(text: str, lowercase: bool = False) -> list[str]:
    """Words and single punctuation marks; case kept unless `lowercase` (BLEU is case-sensitive)."""
    return _BLEU_TOKEN.findall(text.lower() if lowercase else text)


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def modified_precision(candidate: Sequence[str], refs: Sequence[Sequence[str]], n: int) -> tuple[int, int]:
    """(clipped n-gram matches, candidate n-grams): Papineni et al. 2002, sec. 2.1."""
    counts = _ngrams(candidate, n)
    max_ref: Counter[tuple[str, ...]] = Counter()
    for ref in refs:
        max_ref |= _ngrams(ref, n)  # | keeps the maximum count of each n-gram
    clipped = sum(min(count, max_ref[gram]) for gram, count in counts.items())
    return clipped, sum(counts.values())


def bleu_score(
    candidate: Sequence[str], refs: Sequence[Sequence[str]], max_n: int = 4, smooth: bool = False
) -> float:
    """Sentence BLEU: geometric mean of modified 1..max_n-gram precisions (uniform weights) times the
    brevity penalty exp(1 - r/c) when c <= r, r being the reference length closest to c (the shorter on
    ties). Same numbers as NLTK's sentence_bleu on the same tokens.

    Without smoothing any zero precision makes BLEU 0. With `smooth`, a zero count m/t becomes
    epsilon/t (epsilon 0.1: Chen & Cherry 2014 method 1, NLTK method1, sacrebleu's `floor`).
    No unigram match at all is 0 either way.
    """
    c = len(candidate)
    if c == 0 or not refs:
        return 0.0
    log_sum = 0.0
    for n in range(1, max_n + 1):
        matches, total = modified_precision(candidate, refs, n)
        if n == 1 and matches == 0:
            return 0.0
        if matches == 0:
            if not smooth:
                return 0.0
            precision = BLEU_EPSILON / max(total, 1)
        else:
            precision = matches / total
        log_sum += math.log(precision) / max_n
    r = min((len(ref) for ref in refs), key=lambda length: (abs(length - c), length))
    brevity = 1.0 if c > r else math.exp(1 - r / c)
    return brevity * math.exp(log_sum)


def bleu(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """BLEU-4 (config `max_n`), `smooth: true` for method 1, `lowercase: true` to ignore case."""
    threshold = get_threshold(config, DEFAULT_THRESHOLD)
    max_n = config.get("max_n", 4)
    if isinstance(max_n, bool) or not isinstance(max_n, int) or not 1 <= max_n <= 8:
        raise ScorerError(f"`max_n` must be an integer from 1 to 8, got {max_n!r}")
    lower = bool(config.get("lowercase", False))
    refs = [bleu_tokens(ref, lower) for ref in references(value)]
    score = bleu_score(bleu_tokens(ctx.output, lower), refs, max_n, bool(config.get("smooth", False)))
    return graded(score, threshold, f"BLEU-{max_n}")


# -- SQuAD F1 ---------------------------------------------------------------------------------------

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(text: str) -> str:
    """SQuAD's normalize_answer: lowercase, drop punctuation, drop articles a/an/the, squash whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, truth: str) -> float:
    """SQuAD v2.0's compute_f1: bag-of-tokens F1 after normalisation; two empty answers score 1."""
    pred, gold = normalize_answer(prediction).split(), normalize_answer(truth).split()
    if not pred or not gold:
        return float(pred == gold)
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def f1(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    threshold = get_threshold(config, DEFAULT_THRESHOLD)
    best = max(token_f1(ctx.output, ref) for ref in references(value))
    return graded(best, threshold, "token F1")


TYPES = (
    AssertionType("rouge-l", rouge_l, check=check_unit_threshold),
    AssertionType("bleu", bleu, check=check_unit_threshold),
    AssertionType("f1", f1, check=check_unit_threshold),
)
