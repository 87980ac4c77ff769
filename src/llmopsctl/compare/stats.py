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

import math
import random
import sys
from array import array
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from operator import getitem
from typing import Any

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
# Normal distribution
# --------------------------------------------------------------------------------------------------

# Coefficients of Wichura's Algorithm AS 241 (PPND16), Applied Statistics 37(3):477-484, 1988,
# highest degree first (for Horner's rule). Relative accuracy about 1e-16.
_AS241_A = (
    2.5090809287301226727e3,
    3.3430575583588128105e4,
    6.7265770927008700853e4,
    4.5921953931549871457e4,
    1.3731693765509461125e4,
    1.9715909503065514427e3,
    1.3314166789178437745e2,
    3.3871328727963666080e0,
)
_AS241_B = (
    5.2264952788528545610e3,
    2.8729085735721942674e4,
    3.9307895800092710610e4,
    2.1213794301586595867e4,
    5.3941960214247511077e3,
    6.8718700749205790830e2,
    4.2313330701600911252e1,
    1.0,
)
_AS241_C = (
    7.7454501427834140764e-4,
    2.2723844989269184583e-2,
    2.4178072517745061177e-1,
    1.2704582524523683826e0,
    3.6478483247632045919e0,
    5.7694972214606914055e0,
    4.6303378461565452959e0,
    1.4234371107496835773e0,
)
_AS241_D = (
    1.0507500716444168432e-9,
    5.4759380849953449460e-4,
    1.5198666563616457197e-2,
    1.4810397642748007459e-1,
    6.8976733498510000455e-1,
    1.6763848301838038494e0,
    2.0531916266377588219e0,
    1.0,
)
_AS241_E = (
    2.0103343992922881327e-7,
    2.7115555687434875782e-5,
    1.2426609473880784386e-3,
    2.6532189526576123093e-2,
    2.9656057182850489123e-1,
    1.7848265399172913358e0,
    5.4637849111641143699e0,
    6.6579046435011037772e0,
)
_AS241_F = (
    2.0442631033899397856e-15,
    1.4215117583164458887e-7,
    1.8463183175100546818e-5,
    7.8686913114561329059e-4,
    1.4875361290850615025e-2,
    1.3692988092273580531e-1,
    5.9983220655588793769e-1,
    1.0,
)


def _horner(coefficients: tuple[float, ...], x: float) -> float:
    """Evaluate a polynomial given highest-degree-first coefficients."""
    result = 0.0
    for coefficient in coefficients:
        result = result * x + coefficient
    return result


def normal_ppf(p: float) -> float:
    """Quantile (inverse CDF) of the standard normal distribution, by Wichura's AS 241 (PPND16).

    Accurate to about 1e-16 relative, far inside the 1e-9 this module needs. ``normal_ppf(0)`` is
    ``-inf`` and ``normal_ppf(1)`` is ``inf``; a ``p`` outside [0, 1] (or NaN) raises ``ValueError``.

    >>> round(normal_ppf(0.975), 12)
    1.959963984541
    """
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"normal_ppf needs 0 <= p <= 1, got {p!r}")
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _horner(_AS241_A, r) / _horner(_AS241_B, r)
    r = math.sqrt(-math.log(p if q < 0.0 else 1.0 - p))
    if r <= 5.0:
        r -= 1.6
        x = _horner(_AS241_C, r) / _horner(_AS241_D, r)
    else:
        r -= 5.0
        x = _horner(_AS241_E, r) / _horner(_AS241_F, r)
    return -x if q < 0.0 else x


def normal_cdf(x: float) -> float:
    """CDF of the standard normal distribution, ``P(Z <= x)``, via ``erfc`` (accurate in both tails)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


# --------------------------------------------------------------------------------------------------
# Pass rates: Wilson interval and exact McNemar test
# --------------------------------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / n``.

    Unlike the textbook Wald interval it behaves at 0% and 100% pass rates and with few cases: the
    bounds always lie in [0, 1], and they are exactly 0.0 when ``successes == 0`` and exactly 1.0
    when ``successes == n``. ``n == 0`` (nothing observed) gives the uninformative ``(0.0, 1.0)``.
    Matches ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
    """
    _check_confidence(confidence)
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return (0.0, 1.0)
    alpha = 1.0 - confidence
    z = normal_ppf(1.0 - alpha / 2.0)
    z2 = z * z
    phat = successes / n
    denominator = 1.0 + z2 / n
    center = (phat + z2 / (2.0 * n)) / denominator
    half_width = z * math.sqrt(phat * (1.0 - phat) / n + z2 / (4.0 * n * n)) / denominator
    lower = 0.0 if successes == 0 else max(0.0, center - half_width)
    upper = 1.0 if successes == n else min(1.0, center + half_width)
    return (lower, upper)


# Exact integer arithmetic up to this many discordant pairs, Loader's saddle-point pmf above it.
_MCNEMAR_EXACT_LIMIT = 1000

# log(sqrt(2*pi))
_LN_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _stirlerr(n: int) -> float:
    """``log(n!) - log(sqrt(2*pi*n) * (n/e)**n)``, the error of Stirling's formula (Loader, 2000)."""
    if n <= 15:
        return math.lgamma(n + 1.0) - (n + 0.5) * math.log(n) + n - _LN_SQRT_2PI
    s0, s1, s2, s3, s4 = 1.0 / 12, 1.0 / 360, 1.0 / 1260, 1.0 / 1680, 1.0 / 1188
    nn = float(n) * n
    if n > 500:
        return (s0 - s1 / nn) / n
    if n > 80:
        return (s0 - (s1 - s2 / nn) / nn) / n
    if n > 35:
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


def _bd0(x: float, mean: float) -> float:
    """Deviance term ``x*log(x/mean) + mean - x``, computed without cancellation (Loader, 2000)."""
    if abs(x - mean) < 0.1 * (x + mean):
        v = (x - mean) / (x + mean)
        s = (x - mean) * v
        ej = 2.0 * x * v
        v *= v
        j = 1
        while True:
            ej *= v
            s_next = s + ej / (2 * j + 1)
            if s_next == s:
                return s
            s = s_next
            j += 1
    return x * math.log(x / mean) + mean - x


def _log_binom_half_pmf(k: int, n: int) -> float:
    """``log P(X = k)`` for X ~ Binomial(n, 1/2), 0 < k < n, by Loader's saddle-point expansion.

    Accurate to a few ulps even for n in the millions, where ``lgamma`` differences lose ~7 digits.
    """
    half = 0.5 * n
    lc = _stirlerr(n) - _stirlerr(k) - _stirlerr(n - k) - _bd0(k, half) - _bd0(n - k, half)
    lf = 2.0 * _LN_SQRT_2PI + math.log(k) + math.log1p(-k / n)
    return lc - 0.5 * lf


def _binom_half_lower_tail(k: int, n: int) -> float:
    """``P(X <= k)`` for X ~ Binomial(n, 1/2) and 0 < k < n/2, summed downwards from the pmf at k."""
    # The terms fall at least geometrically below k < n/2: pmf(i-1)/pmf(i) = i / (n - i + 1) < 1.
    total = 1.0
    term = 1.0
    i = k
    while i > 0:
        term *= i / (n - i + 1)
        total += term
        if term < total * 1e-17:
            break
        i -= 1
    return math.exp(_log_binom_half_pmf(k, n) + math.log(total))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for discordant pairs ``b`` (pass->fail) and ``c`` (fail->pass).

    Under H0 (no change) each discordant pair is equally likely to go either way, so
    ``min(b, c) ~ Binomial(b + c, 1/2)`` and the p-value is ``min(1, 2 * P(X <= min(b, c)))``, the
    same as ``scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue``. ``b + c == 0`` gives 1.0.

    Up to 1,000 discordant pairs the tail is summed with exact integers (correctly rounded); above
    that it is summed in floating point from Loader's saddle-point pmf, so a million pairs take
    milliseconds and neither overflow nor underflow (a p-value below ~1e-308 comes out as 0.0).
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b}, c={c}")
    n = b + c
    k = min(b, c)
    if n == 0 or 2 * k >= n:
        return 1.0
    if k == 0:
        return min(1.0, math.ldexp(1.0, 1 - n))  # 2 * 0.5**n
    if n <= _MCNEMAR_EXACT_LIMIT:
        term = math.comb(n, k)
        total = term
        for i in range(k, 0, -1):  # C(n, i-1) = C(n, i) * i / (n - i + 1), exactly
            term = term * i // (n - i + 1)
            total += term
        return min(1.0, (2 * total) / (1 << n))  # int / int is correctly rounded
    return min(1.0, 2.0 * _binom_half_lower_tail(k, n))


# --------------------------------------------------------------------------------------------------
# Paired scores: bootstrap CI, permutation test, effect sizes
# --------------------------------------------------------------------------------------------------

_U16 = 1 << 16
_BIG_ENDIAN = sys.byteorder == "big"


class _Resampler:
    """Draws sums of ``k`` values picked uniformly with replacement from ``data``, fast and exactly.

    A random 16-bit number ``v`` below ``limit`` (the largest multiple of ``len(data)`` <= 65536)
    selects ``data[v % len(data)]`` through a lookup table, so every element is equally likely; a
    number at or above ``limit`` is rejected and redrawn. Rejected draws look up 0.0, their count is
    read off the raw bytes with C-level ``bytes`` methods, and only that many are redrawn: the whole
    resample is summed without a Python-level loop per element.
    """

    def __init__(self, data: list[float], rng: random.Random) -> None:
        n = len(data)
        if not 0 < n <= _U16:
            raise ValueError("the table resampler supports 1..65536 values")
        copies = _U16 // n
        self.limit = copies * n
        self.lookup = (data * copies + [0.0] * (_U16 - self.limit)).__getitem__
        self.rng = rng
        high, low = divmod(self.limit, 256)
        # v >= limit  <=>  high byte > `high`, or high byte == `high` and low byte >= `low`.
        self._high = high
        self._low = low
        self._at_or_below_high = bytes(range(min(high, 255) + 1))

    def _rejected(self, raw: bytes) -> int:
        if self.limit == _U16:
            return 0
        high_bytes = raw[1::2]
        rejected = len(high_bytes.translate(None, self._at_or_below_high))
        if self._low == 0:
            return rejected + high_bytes.count(self._high)
        position = high_bytes.find(self._high)
        while position >= 0:
            if raw[2 * position] >= self._low:
                rejected += 1
            position = high_bytes.find(self._high, position + 1)
        return rejected

    def sample_sum(self, k: int) -> float:
        total = 0.0
        while k > 0:
            raw = self.rng.randbytes(2 * k)
            values = array("H")
            values.frombytes(raw)
            if _BIG_ENDIAN:
                values.byteswap()
            total += sum(map(self.lookup, values))
            k = self._rejected(raw)
        return total


def _finite_floats(values: Sequence[float], what: str) -> list[float]:
    data = [float(v) for v in values]
    if not all(map(math.isfinite, data)):
        raise ValueError(f"{what} must be finite numbers (no NaN or infinity)")
    return data


def _mean(data: Sequence[float]) -> float:
    return math.fsum(data) / len(data)


def paired_bootstrap_ci(
    diffs: Sequence[float], *, confidence: float = 0.95, resamples: int = 5000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of paired differences.

    Each of ``resamples`` resamples draws ``len(diffs)`` differences with replacement; the bounds are
    the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles (linear interpolation, as
    ``numpy.percentile``) of the resample means. Deterministic for a given ``seed``. One difference
    gives ``(d, d)``; an empty sequence raises ``ValueError``.
    """
    _check_confidence(confidence)
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    data = _finite_floats(diffs, "diffs")
    n = len(data)
    if n == 0:
        raise ValueError("paired_bootstrap_ci needs at least one difference")
    rng = random.Random(seed)
    means: list[float]
    if n <= _U16:
        sampler = _Resampler(data, rng)
        means = [sampler.sample_sum(n) / n for _ in range(resamples)]
    else:  # more pairs than a 16-bit lookup table covers: the standard library's sampler
        means = [sum(rng.choices(data, k=n)) / n for _ in range(resamples)]
    means.sort()
    alpha = 1.0 - confidence
    return (_sorted_quantile(means, alpha / 2.0), _sorted_quantile(means, 1.0 - alpha / 2.0))


# Largest number of non-zero differences whose 2**n sign patterns are enumerated exactly.
_EXACT_PERMUTATION_LIMIT = 16


def paired_permutation_test(diffs: Sequence[float], *, resamples: int = 10000, seed: int = 0) -> float:
    """Two-sided sign-flip permutation test p-value for H0: the mean paired difference is 0.

    Under H0 each difference is as likely to have either sign, so the p-value is the share of sign
    assignments whose ``|sum|`` is at least the observed ``|sum|`` (sums within a relative 1e-10 count
    as ties, so floating-point rounding cannot hide the observed pattern itself). Zero differences
    are dropped first: flipping them changes nothing, so the p-value is the same with or without them.

    With at most 16 non-zero differences all 2**n sign patterns are enumerated (exact p-value).
    Otherwise ``resamples`` random patterns are drawn (seeded by ``seed``) and the p-value is
    ``(count + 1) / (resamples + 1)``, which never reports an impossible 0. All-zero (or empty)
    differences give 1.0.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    data = [d for d in _finite_floats(diffs, "diffs") if d != 0.0]
    if not data:
        return 1.0
    scale = math.fsum(map(abs, data))
    threshold = abs(math.fsum(data)) - 1e-10 * scale
    if len(data) <= _EXACT_PERMUTATION_LIMIT:
        sums = [0.0]
        for d in data:
            sums = [s + d for s in sums] + [s - d for s in sums]
        extreme = sum(1 for s in sums if abs(s) >= threshold)
        return min(1.0, extreme / len(sums))
    # Monte Carlo: split the data in chunks of 8 and tabulate, per chunk, the signed sum for each of
    # the 256 sign patterns; a random byte per chunk then picks that chunk's signed sum.
    chunks = [data[i : i + 8] for i in range(0, len(data), 8)]
    tables: list[list[float]] = []
    for chunk in chunks:
        chunk = chunk + [0.0] * (8 - len(chunk))
        table = [0.0]
        for d in chunk:  # bit j of the pattern (least significant first) gives chunk[j]'s sign
            table = [s - d for s in table] + [s + d for s in table]
        tables.append(table)
    rng = random.Random(seed)
    n_chunks = len(tables)
    extreme = 0
    for _ in range(resamples):
        if abs(sum(map(getitem, tables, rng.randbytes(n_chunks)))) >= threshold:
            extreme += 1
    return (extreme + 1) / (resamples + 1)


def cohens_dz(diffs: Sequence[float]) -> float | None:
    """Cohen's d_z, the effect size of paired data: ``mean(diffs) / stdev(diffs)`` (sample stdev, n-1).

    Returns ``None`` when it is undefined: fewer than two differences, or a zero standard deviation
    (all differences equal). With a zero spread and a non-zero mean the ratio would be +/-infinity,
    which is no useful number to report or serialise; read ``mean_diff`` and the p-value instead.
    """
    data = _finite_floats(diffs, "diffs")
    n = len(data)
    if n < 2:
        return None
    mean = _mean(data)
    variance = math.fsum((d - mean) ** 2 for d in data) / (n - 1)
    if variance == 0.0:
        return None
    return mean / math.sqrt(variance)


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's h for two proportions: ``2*asin(sqrt(p1)) - 2*asin(sqrt(p2))``.

    Positive when ``p1 > p2``. Conventional magnitudes: 0.2 small, 0.5 medium, 0.8 large.
    """
    for p in (p1, p2):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"proportions must lie in [0, 1], got {p!r}")
    return 2.0 * math.asin(math.sqrt(p1)) - 2.0 * math.asin(math.sqrt(p2))


# --------------------------------------------------------------------------------------------------
# Quantiles
# --------------------------------------------------------------------------------------------------


def _sorted_quantile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile of already sorted, non-empty data (numpy's arithmetic)."""
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    if below >= len(ordered) - 1:
        return float(ordered[-1])
    t = position - below
    a, b = float(ordered[below]), float(ordered[below + 1])
    # numpy's _lerp: interpolate from the nearer end, so the result is exact at t=0 and t=1.
    return b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile of ``values`` by linear interpolation between order statistics.

    The same definition as ``numpy.quantile`` (default method ``"linear"``) and DuckDB's
    ``quantile_cont``: the value at position ``(n - 1) * q`` of the sorted data. ``None`` for no
    values; ``ValueError`` for ``q`` outside [0, 1] or NaN values.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile needs 0 <= q <= 1, got {q!r}")
    if not values:
        return None
    ordered = sorted(float(v) for v in values)
    if any(map(math.isnan, ordered)):
        raise ValueError("quantile of values containing NaN")
    return _sorted_quantile(ordered, q)


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
    _check_confidence(confidence)
    if len(base) != len(head):
        raise ValueError(f"base and head must pair up: {len(base)} vs {len(head)} values")
    if not base:
        raise ValueError("compare_paired needs at least one pair")
    if (passed_base is None) != (passed_head is None):
        raise ValueError("give pass/fail outcomes for both sides or for neither")
    base_values = _finite_floats(base, "base scores")
    head_values = _finite_floats(head, "head scores")
    diffs = [h - b for b, h in zip(base_values, head_values, strict=True)]
    n = len(diffs)
    mean_base, mean_head = _mean(base_values), _mean(head_values)
    result = PairedComparison(
        n=n,
        confidence=confidence,
        mean_base=mean_base,
        mean_head=mean_head,
        mean_diff=_mean(diffs),
        diff_ci=paired_bootstrap_ci(diffs, confidence=confidence, resamples=resamples, seed=seed),
        p_value=paired_permutation_test(diffs, resamples=permutations, seed=seed),
        effect_size=cohens_dz(diffs),
    )
    if passed_base is None or passed_head is None:
        return result
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
    return PairedComparison(
        n=result.n,
        confidence=result.confidence,
        mean_base=result.mean_base,
        mean_head=result.mean_head,
        mean_diff=result.mean_diff,
        diff_ci=result.diff_ci,
        p_value=result.p_value,
        effect_size=result.effect_size,
        pass_rate_base=rate_base,
        pass_rate_head=rate_head,
        pass_ci_base=wilson_interval(pass_base, n, confidence),
        pass_ci_head=wilson_interval(pass_head, n, confidence),
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
