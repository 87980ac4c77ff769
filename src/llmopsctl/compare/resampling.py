"""Resampling for paired scores: bootstrap intervals, sign-flip permutation tests, effect sizes, quantiles."""

from __future__ import annotations

import math
import random
import sys
from array import array
from collections.abc import Sequence
from operator import getitem

from llmopsctl.compare.distributions import _check_confidence

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
