"""Statistics behind `llmopsctl diff` and `gate`: tell a real regression from noise, in pure Python.

An eval run (the *head*) is compared with a baseline (the *base*) case by case, so the data are *paired*:
every test below works on per-case differences ``head - base`` or on the 2x2 table of pass/fail outcomes.

* :func:`wilson_interval` -- confidence interval of a pass rate (Wilson score interval).
* :func:`mcnemar_exact` -- exact McNemar test on the discordant pass/fail pairs.
* :func:`paired_bootstrap_ci` -- percentile bootstrap CI of the mean paired difference.
* :func:`paired_permutation_test` -- sign-flip permutation test of "mean difference == 0".
* :func:`cohens_dz`, :func:`cohens_h` -- effect sizes for paired scores and for two proportions.
* :func:`quantile` -- linear-interpolation quantile (numpy's default, DuckDB's ``quantile_cont``).
* :func:`compare_paired` -- all of the above bundled into a :class:`PairedComparison`.
* :func:`flaky`, :func:`pass_rate_over_repeats` -- repeated runs of one case.

Only the standard library is used (no numpy/scipy). The resampling methods are deterministic for a
given ``seed`` (on a given Python version: ``sum`` of floats became compensated in Python 3.12, so the
last bits of bootstrap bounds may differ between versions) and avoid per-element Python loops, so
10,000 resamples of 1,000 pairs take a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from llmopsctl.compare.distributions import (
    _check_confidence,
    mcnemar_exact,
    normal_cdf,
    normal_ppf,
    wilson_interval,
)
from llmopsctl.compare.resampling import (
    _finite_floats,
    _mean,
    cohens_dz,
    cohens_h,
    paired_bootstrap_ci,
    paired_permutation_test,
    quantile,
)

__all__ = [
    "PairedComparison",
    "cohens_dz",
    "cohens_h",
    "compare_paired",
    "flaky",
    "mcnemar_exact",
    "normal_cdf",
    "normal_ppf",
    "paired_bootstrap_ci",
    "paired_permutation_test",
    "pass_rate_over_repeats",
    "quantile",
    "wilson_interval",
]


# --------------------------------------------------------------------------------------------------
# A whole paired comparison
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedComparison:
    """Everything :func:`compare_paired` computes for one base/head comparison.

    Differences are ``head - base``, so a positive ``mean_diff`` is an improvement. The pass/fail
    fields are ``None`` (and ``b``/``c`` are 0) when no outcomes were given.
    """

    n: int
    """Number of pairs."""
    confidence: float
    """Confidence level of every interval below."""
    mean_base: float
    mean_head: float
    mean_diff: float
    """Mean of ``head - base``."""
    diff_ci: tuple[float, float]
    """Percentile bootstrap CI of ``mean_diff``."""
    p_value: float
    """Two-sided sign-flip permutation test of ``mean_diff == 0``."""
    effect_size: float | None
    """Cohen's d_z of the differences (``None`` when undefined, see :func:`cohens_dz`)."""
    pass_rate_base: float | None = None
    pass_rate_head: float | None = None
    pass_ci_base: tuple[float, float] | None = None
    """Wilson interval of ``pass_rate_base``."""
    pass_ci_head: tuple[float, float] | None = None
    """Wilson interval of ``pass_rate_head``."""
    b: int = 0
    """Discordant pairs that passed in the base and fail in the head (regressions)."""
    c: int = 0
    """Discordant pairs that failed in the base and pass in the head (improvements)."""
    mcnemar_p: float | None = None
    """Exact McNemar p-value of ``b`` vs ``c``."""
    cohens_h: float | None = None
    """Cohen's h of ``pass_rate_head`` vs ``pass_rate_base`` (positive: the head passes more)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def compare_paired(
    base: Sequence[float],
    head: Sequence[float],
    *,
    passed_base: Sequence[bool] | None = None,
    passed_head: Sequence[bool] | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = 5000,
    permutations: int = 10000,
) -> PairedComparison:
    """Compare per-case scores of a head run with its base, pair by pair (same index = same case).

    Bundles the means, the bootstrap CI of the mean difference (``resamples`` resamples), the
    permutation-test p-value (``permutations`` sign patterns, exact for <= 16 non-zero differences),
    Cohen's d_z and, when pass/fail outcomes are given for both sides, the pass rates with Wilson
    intervals, the discordant counts ``b``/``c``, the exact McNemar p-value and Cohen's h.
    ``seed`` makes the resampling reproducible. Raises ``ValueError`` for no pairs or mismatched
    lengths.
    """
    _check_pairs(base, head, passed_base, passed_head, confidence)
    result = _compare_scores(
        _finite_floats(base, "base scores"),
        _finite_floats(head, "head scores"),
        confidence=confidence,
        seed=seed,
        resamples=resamples,
        permutations=permutations,
    )
    if passed_base is None or passed_head is None:
        return result
    return _with_outcomes(result, passed_base, passed_head)


def _check_pairs(
    base: Sequence[float],
    head: Sequence[float],
    passed_base: Sequence[bool] | None,
    passed_head: Sequence[bool] | None,
    confidence: float,
) -> None:
    _check_confidence(confidence)
    if len(base) != len(head):
        raise ValueError(f"base and head must pair up: {len(base)} vs {len(head)} values")
    if not base:
        raise ValueError("compare_paired needs at least one pair")
    if (passed_base is None) != (passed_head is None):
        raise ValueError("give pass/fail outcomes for both sides or for neither")


def _compare_scores(
    base: list[float], head: list[float], *, confidence: float, seed: int, resamples: int, permutations: int
) -> PairedComparison:
    """The score half of :func:`compare_paired`: means, bootstrap CI, permutation test and d_z."""
    diffs = [h - b for b, h in zip(base, head, strict=True)]
    return PairedComparison(
        n=len(diffs),
        confidence=confidence,
        mean_base=_mean(base),
        mean_head=_mean(head),
        mean_diff=_mean(diffs),
        diff_ci=paired_bootstrap_ci(diffs, confidence=confidence, resamples=resamples, seed=seed),
        p_value=paired_permutation_test(diffs, resamples=permutations, seed=seed),
        effect_size=cohens_dz(diffs),
    )


def _with_outcomes(
    result: PairedComparison, passed_base: Sequence[bool], passed_head: Sequence[bool]
) -> PairedComparison:
    """`result` with the pass/fail half of :func:`compare_paired`: pass rates, Wilson intervals, McNemar."""
    n = result.n
    if len(passed_base) != n or len(passed_head) != n:
        raise ValueError(
            f"pass/fail outcomes must pair up with the {n} scores: "
            f"{len(passed_base)} base and {len(passed_head)} head outcomes"
        )
    pass_base = sum(1 for x in passed_base if x)
    pass_head = sum(1 for x in passed_head if x)
    lost = sum(1 for x, y in zip(passed_base, passed_head, strict=True) if x and not y)
    gained = sum(1 for x, y in zip(passed_base, passed_head, strict=True) if y and not x)
    rate_base, rate_head = pass_base / n, pass_head / n
    return replace(
        result,
        pass_rate_base=rate_base,
        pass_rate_head=rate_head,
        pass_ci_base=wilson_interval(pass_base, n, result.confidence),
        pass_ci_head=wilson_interval(pass_head, n, result.confidence),
        b=lost,
        c=gained,
        mcnemar_p=mcnemar_exact(lost, gained),
        cohens_h=cohens_h(rate_head, rate_base),
    )


# --------------------------------------------------------------------------------------------------
# Repeats of one case
# --------------------------------------------------------------------------------------------------


def flaky(outcomes: Sequence[bool]) -> bool:
    """True when repeated runs of one case disagree (some passed, some failed)."""
    passed = sum(1 for x in outcomes if x)
    return 0 < passed < len(outcomes)


def pass_rate_over_repeats(outcomes: Sequence[bool]) -> float:
    """Share of repeats that passed; ``ValueError`` for no repeats (a rate of nothing is undefined)."""
    if not outcomes:
        raise ValueError("pass_rate_over_repeats needs at least one outcome")
    return sum(1 for x in outcomes if x) / len(outcomes)
