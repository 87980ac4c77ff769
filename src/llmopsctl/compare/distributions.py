"""Distributions and exact tests for pass rates: the normal quantile, Wilson intervals, exact McNemar."""

from __future__ import annotations

import math

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


def wilson_interval(successes: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / n``.

    ``successes`` may be fractional: with repeated runs, the sum of per-case pass rates over ``n`` cases,
    so that the interval's width follows the number of cases, not of repeats.

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
