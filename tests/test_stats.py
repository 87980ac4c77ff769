"""Tests of llmopsctl.compare.stats against published and reference values.

Reference numbers marked "scipy" were computed once with SciPy 1.17 / NumPy in a throwaway script
(SciPy is not a dependency of the project) and are hard-coded here; the others are worked out by hand
in the comments.
"""

from __future__ import annotations

import math
import random
import struct
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmopsctl.compare import resampling
from llmopsctl.compare.stats import (
    PairedComparison,
    cohens_dz,
    cohens_h,
    compare_paired,
    flaky,
    mcnemar_exact,
    normal_cdf,
    normal_ppf,
    paired_bootstrap_ci,
    paired_permutation_test,
    pass_rate_over_repeats,
    quantile,
    wilson_interval,
)

# ------------------------------------------------------------------------------------------------
# Normal distribution
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.975, 1.959963984540054),  # the familiar z for 95% (scipy.special.ndtri)
        (0.995, 2.5758293035489004),  # scipy.special.ndtri(0.995)
        (0.05, -1.6448536269514729),  # scipy.special.ndtri(0.05)
        (1e-10, -6.361340902404056),  # scipy.special.ndtri(1e-10): AS 241's far-tail branch
        (0.5, 0.0),
    ],
)
def test_normal_ppf_reference_values(p: float, expected: float) -> None:
    assert normal_ppf(p) == pytest.approx(expected, rel=1e-14, abs=1e-15)


def test_normal_ppf_edges_and_errors() -> None:
    assert normal_ppf(0.0) == -math.inf
    assert normal_ppf(1.0) == math.inf
    for bad in (-0.1, 1.1, math.nan):
        with pytest.raises(ValueError):
            normal_ppf(bad)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (1.959963984540054, 0.975),  # scipy.special.ndtr
        (-3.0, 0.0013498980316300933),  # scipy.special.ndtr(-3)
        (-10.0, 7.61985302416047e-24),  # scipy.special.ndtr(-10): the far tail keeps full precision
        (0.0, 0.5),
    ],
)
def test_normal_cdf_reference_values(x: float, expected: float) -> None:
    assert normal_cdf(x) == pytest.approx(expected, rel=1e-13)


@given(st.floats(min_value=1e-300, max_value=1 - 1e-12))
def test_normal_cdf_inverts_ppf(p: float) -> None:
    assert normal_cdf(normal_ppf(p)) == pytest.approx(p, rel=1e-12, abs=1e-15)


@given(st.floats(min_value=-37.0, max_value=5.0))
def test_normal_ppf_inverts_cdf(x: float) -> None:
    # Above ~5 the CDF is 1 - tiny and rounding to doubles, not normal_ppf, limits the round trip.
    assert normal_ppf(normal_cdf(x)) == pytest.approx(x, rel=1e-9, abs=1e-9)


@given(st.floats(min_value=1e-300, max_value=0.5))
def test_normal_ppf_is_antisymmetric(p: float) -> None:
    assert normal_ppf(p) <= 0.0
    upper = 1.0 - p
    if upper < 1.0:
        lower = 1.0 - upper  # exactly the tail area that `upper` leaves (Sterbenz), unlike p itself
        assert normal_ppf(upper) == pytest.approx(-normal_ppf(lower), rel=1e-12, abs=1e-15)


# ------------------------------------------------------------------------------------------------
# Wilson interval
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "confidence", "expected"),
    [
        # scipy.stats.binomtest(k, n).proportion_ci(confidence, method="wilson"), which agrees with
        # statsmodels' proportion_confint(k, n, alpha=1-confidence, method="wilson").
        (0, 10, 0.95, (0.0, 0.27753279986288926)),
        (10, 10, 0.95, (0.7224672001371109, 1.0)),
        (45, 100, 0.95, (0.35614537979511984, 0.5475539700255787)),
        (45, 100, 0.90, (0.370560970694454, 0.5320733013838636)),
        (7, 20, 0.99, (0.14639344137693885, 0.6283381789526872)),
    ],
)
def test_wilson_reference_values(
    successes: int, n: int, confidence: float, expected: tuple[float, float]
) -> None:
    lower, upper = wilson_interval(successes, n, confidence)
    assert lower == pytest.approx(expected[0], rel=1e-12, abs=1e-15)
    assert upper == pytest.approx(expected[1], rel=1e-12)


def test_wilson_exact_endpoints_and_empty() -> None:
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    for bad in ((-1, 10), (11, 10), (0, -1)):
        with pytest.raises(ValueError):
            wilson_interval(*bad)
    with pytest.raises(ValueError):
        wilson_interval(1, 2, confidence=1.0)


@given(st.integers(min_value=1, max_value=10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_estimate(case: tuple[int, int]) -> None:
    successes, n = case
    lower, upper = wilson_interval(successes, n)
    assert 0.0 <= lower <= successes / n <= upper <= 1.0
    wider = wilson_interval(successes, n, 0.99)
    assert wider[0] <= lower + 1e-15 and upper <= wider[1] + 1e-15


# ------------------------------------------------------------------------------------------------
# McNemar
# ------------------------------------------------------------------------------------------------


def _mcnemar_reference(b: int, c: int) -> float:
    """Textbook definition in exact rational arithmetic: min(1, 2 * P(Bin(b+c, 1/2) <= min(b, c)))."""
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    tail = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2**n)
    return float(min(Fraction(1), 2 * tail))


def test_mcnemar_worked_example() -> None:
    # By hand: b+c = 12, P(X <= 2) = (1 + 12 + 66) / 4096, two-sided 158/4096; scipy.stats.binomtest
    # (2, 12, 0.5).pvalue gives the same 0.03857421875.
    assert mcnemar_exact(10, 2) == 0.03857421875
    assert mcnemar_exact(2, 10) == 0.03857421875


def test_mcnemar_degenerate_cases() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(1, 0) == 1.0  # 2 * 0.5
    assert mcnemar_exact(0, 7) == 2 / 128
    assert mcnemar_exact(0, 5000) == 0.0  # 2**-4999 underflows gracefully
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 3)


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        # scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue
        (123, 140, 0.32384250670256),
        (600, 801, 8.692085596169814e-08),  # above the exact-integer limit: Loader's pmf path
        (1, 1001, 4.6803170467936427e-299),
        (49500, 50500, 0.0015823598788515154),  # n = 1e5
        (499000, 501000, 0.0456082998653896),  # n = 1e6
    ],
)
def test_mcnemar_reference_values(b: int, c: int, expected: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-11)


def test_mcnemar_large_n_is_finite() -> None:
    for b, c in ((30_000, 70_000), (50_000, 50_001), (400_000, 600_000), (499_999, 500_001)):
        p = mcnemar_exact(b, c)
        assert 0.0 <= p <= 1.0 and math.isfinite(p)
    assert mcnemar_exact(30_000, 70_000) == 0.0  # scipy also gives 0.0
    assert mcnemar_exact(499_999, 500_001) == pytest.approx(1.0, abs=1e-2)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 150), st.integers(0, 150))
def test_mcnemar_matches_exact_definition_small(b: int, c: int) -> None:
    assert mcnemar_exact(b, c) == _mcnemar_reference(b, c)
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


@settings(max_examples=25, deadline=None)
@given(st.integers(1001, 2500).flatmap(lambda n: st.tuples(st.integers(1, n // 2), st.just(n))))
def test_mcnemar_floating_path_matches_exact_definition(case: tuple[int, int]) -> None:
    # Sizes just above the exact-integer limit: the saddle-point path against exact rationals.
    k, n = case
    expected = _mcnemar_reference(k, n - k)
    assert mcnemar_exact(k, n - k) == pytest.approx(expected, rel=1e-11, abs=1e-300)


# ------------------------------------------------------------------------------------------------
# Bootstrap
# ------------------------------------------------------------------------------------------------


def test_bootstrap_is_deterministic_and_ordered() -> None:
    rng = random.Random(42)
    diffs = [rng.gauss(0.2, 1.0) for _ in range(300)]
    first = paired_bootstrap_ci(diffs, seed=7, resamples=2000)
    assert first == paired_bootstrap_ci(diffs, seed=7, resamples=2000)
    assert first != paired_bootstrap_ci(diffs, seed=8, resamples=2000)
    lower, upper = first
    mean = sum(diffs) / len(diffs)
    assert min(diffs) <= lower < mean < upper <= max(diffs)
    narrow = paired_bootstrap_ci(diffs, seed=7, resamples=2000, confidence=0.5)
    assert lower < narrow[0] < narrow[1] < upper


def test_bootstrap_width_matches_normal_theory() -> None:
    # For the mean of 1,000 draws the percentile interval is close to mean +/- 1.96 * s / sqrt(n).
    rng = random.Random(1)
    diffs = [rng.gauss(0.0, 2.0) for _ in range(1000)]
    mean = math.fsum(diffs) / len(diffs)
    sd = math.sqrt(math.fsum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))
    lower, upper = paired_bootstrap_ci(diffs, resamples=4000)
    half = 1.959963984540054 * sd / math.sqrt(len(diffs))
    assert lower == pytest.approx(mean - half, abs=0.1 * half)
    assert upper == pytest.approx(mean + half, abs=0.1 * half)


def test_bootstrap_degenerate_inputs() -> None:
    assert paired_bootstrap_ci([0.25]) == (0.25, 0.25)
    assert paired_bootstrap_ci([1.5] * 40, resamples=100) == (1.5, 1.5)
    with pytest.raises(ValueError):
        paired_bootstrap_ci([])
    with pytest.raises(ValueError):
        paired_bootstrap_ci([1.0, math.nan])
    with pytest.raises(ValueError):
        paired_bootstrap_ci([1.0], resamples=0)


def test_bootstrap_coverage_on_synthetic_data() -> None:
    # 200 seeded datasets of 50 paired diffs from a skewed distribution with known mean 0.3
    # (exponential with mean 1, shifted by -0.7): a 95% percentile interval should cover the true
    # mean about 95% of the time (a bit less for skewed data and n=50); 90-99% leaves room for noise.
    rng = random.Random(2024)
    true_mean = 0.3
    covered = 0
    for i in range(200):
        diffs = [rng.expovariate(1.0) - 0.7 for _ in range(50)]
        lower, upper = paired_bootstrap_ci(diffs, resamples=1000, seed=i)
        covered += lower <= true_mean <= upper
    assert 180 <= covered <= 198


def test_bootstrap_beyond_the_lookup_table() -> None:
    # More than 65,536 pairs falls back to random.choices.
    diffs = [float(i % 2) for i in range(70_000)]
    lower, upper = paired_bootstrap_ci(diffs, resamples=5)
    assert 0.49 < lower <= upper < 0.51


@pytest.mark.parametrize("n", [1, 3, 7, 768, 1000, 1024, 40_000, 65_536])
def test_resampler_rejection_count_matches_brute_force(n: int) -> None:
    # White box: the byte tricks that count draws at or above the table limit, against a plain loop.
    sampler = resampling._Resampler([float(i) for i in range(n)], random.Random(0))
    rng = random.Random(n)
    for _ in range(20):
        raw = rng.randbytes(2 * 4000)
        values = struct.unpack(f"<{len(raw) // 2}H", raw)
        assert sampler._rejected(raw) == sum(v >= sampler.limit for v in values)


@pytest.mark.parametrize("n", [3, 768, 1000, 1024])
def test_resampler_is_unbiased(n: int) -> None:
    # The mean index over 2e6 draws is (n-1)/2 within a few standard errors; counting a rejected
    # draw as 0 or as index v % n would shift it by >= 10 standard errors for n = 768 and 1000.
    draws = 2_000_000
    sampler = resampling._Resampler([float(i) for i in range(n)], random.Random(5))
    mean = sampler.sample_sum(draws) / draws
    standard_error = math.sqrt((n * n - 1) / 12 / draws)
    assert abs(mean - (n - 1) / 2) < 5 * standard_error


# ------------------------------------------------------------------------------------------------
# Permutation test
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("diffs", "expected"),
    [
        # By hand: the 8 signed sums of +-1 +-2 +-3 are 6, 4, 2, 0, 0, -2, -4, -6; two of them reach
        # |6|, so p = 2/8.
        ([1.0, 2.0, 3.0], 0.25),
        # Zeros are dropped: flipping them changes nothing, so the same 2/8.
        ([0.0, 1.0, 0.0, 2.0, 3.0], 0.25),
        # Observed sum 1+2+3-4 = 2. Of the 16 signed sums of +-1 +-2 +-3 +-4 only 1-2-3+4 and
        # -1+2+3-4 are 0, so |sum| >= 2 for 14 of them: 14/16 (enumerated in the next test).
        ([1.0, 2.0, 3.0, -4.0], 14 / 16),
        # Five positive values: only all-plus and all-minus reach |15|: 2/32.
        ([1.0, 2.0, 3.0, 4.0, 5.0], 2 / 32),
        # scipy.stats.permutation_test((d,), np.mean, permutation_type="samples",
        # n_resamples=np.inf).pvalue for d = [1, 2, 3, -0.5, 4]
        ([1.0, 2.0, 3.0, -0.5, 4.0], 0.125),
        ([0.5], 1.0),
    ],
)
def test_permutation_exact(diffs: list[float], expected: float) -> None:
    assert paired_permutation_test(diffs) == pytest.approx(expected, rel=1e-12)


def test_permutation_hand_enumeration_of_the_four_value_case() -> None:
    # The 14/16 above, enumerated independently with exact integers.
    values = [1, 2, 3, -4]
    observed = abs(sum(values))
    hits = 0
    for mask in range(16):
        total = sum(v if mask >> i & 1 else -v for i, v in enumerate(values))
        hits += abs(total) >= observed
    assert hits == 14


def test_permutation_all_zero_and_empty() -> None:
    assert paired_permutation_test([0.0] * 30) == 1.0
    assert paired_permutation_test([]) == 1.0


def test_permutation_float_ties_are_not_lost() -> None:
    # 0.1 + 0.2 + 0.3 is not exactly 0.6 in binary; the observed pattern must still count itself.
    # Only the all-plus and all-minus patterns reach |1.2|: 2/16.
    assert paired_permutation_test([0.1, 0.2, 0.3, 0.6]) == pytest.approx(2 / 16)


def test_permutation_monte_carlo_correction_and_determinism() -> None:
    diffs = [1.0 + 0.01 * i for i in range(40)]  # every difference positive: p is as small as it gets
    p = paired_permutation_test(diffs, resamples=999)
    assert p == 1 / 1000  # (0 + 1) / (999 + 1)
    rng = random.Random(9)
    noisy = [rng.gauss(0.1, 1.0) for _ in range(100)]
    assert paired_permutation_test(noisy, seed=3) == paired_permutation_test(noisy, seed=3)


def test_permutation_monte_carlo_agrees_with_exact() -> None:
    # 17 non-zero values (Monte Carlo) vs 17 values enumerated exactly in the test.
    rng = random.Random(11)
    values = [round(rng.gauss(0.3, 1.0), 3) for _ in range(17)]
    observed = abs(math.fsum(values))
    sums = [0.0]
    for v in values:
        sums = [s + v for s in sums] + [s - v for s in sums]
    exact = sum(abs(s) >= observed - 1e-9 for s in sums) / len(sums)
    estimate = paired_permutation_test(values, resamples=20_000)
    assert estimate == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 20_000) + 1e-4)


def test_permutation_type_one_error_rate() -> None:
    # Under H0 (symmetric around 0) about 5% of the p-values fall below 0.05.
    rng = random.Random(123)
    rejections = 0
    for i in range(300):
        diffs = [rng.gauss(0.0, 1.0) for _ in range(30)]
        rejections += paired_permutation_test(diffs, resamples=400, seed=i) < 0.05
    assert 4 <= rejections <= 30


# ------------------------------------------------------------------------------------------------
# Effect sizes, quantiles, repeats
# ------------------------------------------------------------------------------------------------


def test_cohens_dz_known_values() -> None:
    # By hand: mean 4, sample variance (9 + 4 + 1 + 0 + 36) / 4 = 12.5, dz = 4 / sqrt(12.5) = 0.8*sqrt(2).
    assert cohens_dz([1.0, 2.0, 3.0, 4.0, 10.0]) == pytest.approx(0.8 * math.sqrt(2), rel=1e-14)
    # numpy: np.mean(d) / np.std(d, ddof=1)
    d = [0.5, -0.25, 1.0, 0.75, 0.0, 0.5, -0.5, 1.25]
    assert cohens_dz(d) == pytest.approx(0.6643928886191974, rel=1e-13)
    assert cohens_dz([-x for x in d]) == pytest.approx(-0.6643928886191974, rel=1e-13)


def test_cohens_dz_undefined_cases() -> None:
    assert cohens_dz([]) is None
    assert cohens_dz([1.0]) is None
    assert cohens_dz([0.0, 0.0, 0.0]) is None  # no effect, no spread
    assert cohens_dz([2.0, 2.0, 2.0]) is None  # would be +inf: documented as None


def test_cohens_h() -> None:
    # 2*asin(sqrt(0.8)) - 2*asin(sqrt(0.5)) = 2*atan(2) - pi/2
    assert cohens_h(0.8, 0.5) == pytest.approx(2 * math.atan(2) - math.pi / 2, rel=1e-14)
    assert cohens_h(1.0, 0.0) == pytest.approx(math.pi)
    assert cohens_h(0.3, 0.3) == 0.0
    assert cohens_h(0.2, 0.6) == pytest.approx(-cohens_h(0.6, 0.2))
    with pytest.raises(ValueError):
        cohens_h(1.2, 0.5)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),  # by hand: position 1.5
        ([15.0, 20.0, 35.0, 40.0, 50.0], 0.4, 29.0),  # by hand: position 1.6 -> 20 + 0.6 * 15
        ([3.0, 1.0, 2.0], 0.0, 1.0),
        ([3.0, 1.0, 2.0], 1.0, 3.0),
        ([7.0], 0.95, 7.0),
        # numpy.quantile(lat, q) for the latencies below (default method "linear")
        ([120.0, 85.5, 300.0, 97.25, 110.0, 2000.0, 101.0, 99.0, 130.5, 88.0], 0.5, 105.5),
        ([120.0, 85.5, 300.0, 97.25, 110.0, 2000.0, 101.0, 99.0, 130.5, 88.0], 0.95, 1234.9999999999982),
        ([120.0, 85.5, 300.0, 97.25, 110.0, 2000.0, 101.0, 99.0, 130.5, 88.0], 0.99, 1847.0000000000002),
        ([120.0, 85.5, 300.0, 97.25, 110.0, 2000.0, 101.0, 99.0, 130.5, 88.0], 0.25, 97.6875),
    ],
)
def test_quantile_matches_numpy(values: list[float], q: float, expected: float) -> None:
    assert quantile(values, q) == expected  # same arithmetic as numpy, bit for bit


def test_quantile_edges() -> None:
    assert quantile([], 0.5) is None
    for bad_q in (-0.1, 1.5):
        with pytest.raises(ValueError):
            quantile([1.0], bad_q)
    with pytest.raises(ValueError):
        quantile([1.0, math.nan], 0.5)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.floats(0.0, 1.0))
def test_quantile_is_bounded_and_monotone(values: list[float], q: float) -> None:
    result = quantile(values, q)
    assert result is not None
    assert min(values) <= result <= max(values)
    higher = quantile(values, min(1.0, q + 0.1))
    assert higher is not None and higher >= result


def test_flaky_and_pass_rate_over_repeats() -> None:
    assert flaky([True, False, True])
    assert not flaky([True, True, True])
    assert not flaky([False, False])
    assert not flaky([])
    assert pass_rate_over_repeats([True, False, True, True]) == 0.75
    assert pass_rate_over_repeats([False]) == 0.0
    with pytest.raises(ValueError):
        pass_rate_over_repeats([])


# ------------------------------------------------------------------------------------------------
# compare_paired
# ------------------------------------------------------------------------------------------------


def test_compare_paired_with_pass_fail() -> None:
    # 12 cases: 10 regress (pass -> fail, score 1 -> 0) and 2 improve: b=10, c=2, the McNemar worked
    # example above.
    passed_base = [True] * 10 + [False] * 2
    passed_head = [False] * 10 + [True] * 2
    base = [float(x) for x in passed_base]
    head = [float(x) for x in passed_head]
    result = compare_paired(base, head, passed_base=passed_base, passed_head=passed_head, seed=1)
    assert isinstance(result, PairedComparison)
    assert result.n == 12
    assert result.mean_base == pytest.approx(10 / 12)
    assert result.mean_head == pytest.approx(2 / 12)
    assert result.mean_diff == pytest.approx(-8 / 12)
    assert result.diff_ci[0] <= result.mean_diff <= result.diff_ci[1] < 0
    # Diffs are ten -1s and two +1s (sum -8). A sign pattern with k minus signs sums to 12 - 2k, and
    # |12 - 2k| >= 8 iff k <= 2 or k >= 10: p = 2 * (1 + 12 + 66) / 4096, the same as McNemar here.
    assert result.p_value == pytest.approx(0.03857421875)
    assert result.b == 10 and result.c == 2
    assert result.mcnemar_p == 0.03857421875
    assert result.pass_rate_base == pytest.approx(10 / 12)
    assert result.pass_rate_head == pytest.approx(2 / 12)
    assert result.pass_ci_base == wilson_interval(10, 12)
    assert result.pass_ci_head == wilson_interval(2, 12)
    assert result.cohens_h == pytest.approx(cohens_h(2 / 12, 10 / 12))
    assert result.cohens_h is not None and result.cohens_h < 0
    assert result.effect_size == cohens_dz([h - b for b, h in zip(base, head, strict=True)])
    as_dict = result.to_dict()
    assert as_dict["diff_ci"] == list(result.diff_ci) and as_dict["b"] == 10


def test_compare_paired_scores_only_and_determinism() -> None:
    rng = random.Random(77)
    base = [rng.random() for _ in range(200)]
    head = [b + rng.gauss(0.05, 0.1) for b in base]
    result = compare_paired(base, head, passed_base=None, passed_head=None, seed=5)
    assert result.pass_rate_base is None and result.mcnemar_p is None and result.cohens_h is None
    assert result.b == 0 and result.c == 0
    assert result.diff_ci[0] > 0  # a real improvement of ~0.05 with sd 0.1 over 200 pairs
    assert result.p_value < 0.01
    assert result == compare_paired(base, head, passed_base=None, passed_head=None, seed=5)


def test_compare_paired_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        compare_paired([1.0, 2.0], [1.0], passed_base=None, passed_head=None)
    with pytest.raises(ValueError):
        compare_paired([], [], passed_base=None, passed_head=None)
    with pytest.raises(ValueError):
        compare_paired([1.0], [1.0], passed_base=[True], passed_head=None)
    with pytest.raises(ValueError):
        compare_paired([1.0, 0.0], [1.0, 1.0], passed_base=[True], passed_head=[True])
