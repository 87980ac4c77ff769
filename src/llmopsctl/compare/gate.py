"""Gate verdicts: apply a suite's thresholds to a diff and list every reason it fails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmopsctl.compare.caseset import describe_latency_origins
from llmopsctl.compare.diff import DiffResult
from llmopsctl.core.settings import GateThresholds


@dataclass
class GateVerdict:
    suite: str
    passed: bool
    reasons: list[str] = field(default_factory=list)  # why it failed
    notes: list[str] = field(default_factory=list)  # checks that passed or could not be made
    thresholds: dict[str, Any] = field(default_factory=dict)
    enforced: bool = True  # False: `diff` reports the verdict the thresholds give, and exits 0 all the same


@dataclass
class Findings:
    """What one check found: reasons to fail the gate, and notes on what passed or could not be checked."""

    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _fail(reason: str) -> Findings:
    return Findings(reasons=[reason])


def _note(note: str) -> Findings:
    return Findings(notes=[note])


# With no thresholds configured anywhere, a gate still fails on a statistically significant drop.
DEFAULT_THRESHOLDS = GateThresholds(significance=0.05)


def merge_thresholds(*layers: GateThresholds) -> GateThresholds:
    """Later layers win: llmops.yaml `gate`, the suite's `gate`, command-line overrides; the built-in
    defaults apply only when none of them sets anything."""
    merged = GateThresholds().merged(*layers)
    return DEFAULT_THRESHOLDS if merged.empty else merged


def gate_verdict(result: DiffResult, thresholds: GateThresholds, *, enforced: bool = True) -> GateVerdict:
    """Apply every threshold in turn; the gate passes when none of them gives a reason to fail."""
    verdict = GateVerdict(result.suite, True, thresholds=thresholds.to_dict(), enforced=enforced)
    for check in CHECKS:
        findings = check(result, thresholds)
        verdict.reasons += findings.reasons
        verdict.notes += findings.notes
    verdict.passed = not verdict.reasons
    return verdict


def _p(p: float | None) -> str:
    """A p-value as reports show it; `-` when there is none."""
    return "-" if p is None else f"{p:.3g}"


def _significant(p: float | None, alpha: float | None) -> bool:
    """Whether a change with p-value `p` counts: always without a significance level, else when p < alpha."""
    return alpha is None or (p is not None and p < alpha)


def check_base(result: DiffResult, thresholds: GateThresholds) -> Findings:
    """A base without cases (a suite new since the base) leaves only the absolute thresholds to check."""
    if not result.base.cases:
        return _note(
            f"{result.base.label}: only absolute thresholds (min_pass_rate, max_p95_latency_ms) apply"
        )
    return Findings()


def check_regressions(result: DiffResult, thresholds: GateThresholds) -> Findings:
    limit = thresholds.max_regressions
    if limit is None:
        return Findings()
    regressed = result.by_status("regressed")
    if len(regressed) > limit:
        names = ", ".join(c.key for c in regressed[:10]) + (" ..." if len(regressed) > 10 else "")
        return _fail(f"{len(regressed)} regressed case(s), more than max_regressions={limit}: {names}")
    return _note(f"{len(regressed)} regressed case(s) (max_regressions={limit})")


def check_pass_rate(result: DiffResult, thresholds: GateThresholds) -> Findings:
    minimum = thresholds.min_pass_rate
    if minimum is None:
        return Findings()
    # Every completed case of the head counts, paired with the base or not: a suite or case added since the
    # base is held to the same minimum.
    rate, cases = result.aggregate.pass_rate_all_head, result.aggregate.n_cases_head
    if rate is None:
        return _fail("no case completed, so the pass rate is unknown")
    if rate < minimum:
        return _fail(f"pass rate {rate:.1%} of {cases} case(s) is below min_pass_rate={minimum:.0%}")
    return _note(f"pass rate {rate:.1%} of {cases} case(s) (min_pass_rate={minimum:.0%})")


def check_pass_rate_drop(result: DiffResult, thresholds: GateThresholds) -> Findings:
    """A fall of the pass rate fails when the exact McNemar test finds it significant at `significance`."""
    agg = result.aggregate
    alpha = thresholds.significance
    if alpha is None or agg.pass_rate_base is None or agg.pass_rate_head is None:
        return Findings()
    dropped = agg.pass_rate_head < agg.pass_rate_base
    if not dropped:
        return Findings()
    if _significant(agg.mcnemar_p, alpha):
        return _fail(
            f"pass rate fell from {agg.pass_rate_base:.1%} to {agg.pass_rate_head:.1%}, significant at "
            f"{alpha} (exact McNemar p={_p(agg.mcnemar_p)}, "
            f"{agg.discordant_lost} lost, {agg.discordant_gained} gained)"
        )
    return _note(
        f"pass rate fell {agg.pass_rate_base:.1%} -> {agg.pass_rate_head:.1%}, "
        f"not significant (p={_p(agg.mcnemar_p)})"
    )


def check_score_drop(result: DiffResult, thresholds: GateThresholds) -> Findings:
    agg = result.aggregate
    max_drop = thresholds.max_score_drop
    if max_drop is None or agg.score_diff is None:
        return Findings()
    drop = -agg.score_diff
    if drop <= max_drop:
        return Findings()
    if _significant(agg.score_p, thresholds.significance):
        p_text = f", permutation p={_p(agg.score_p)}" if agg.score_p is not None else ""
        return _fail(f"mean score fell by {drop:.3f}, more than max_score_drop={max_drop}{p_text}")
    return _note(f"mean score fell by {drop:.3f} but not significantly (p={_p(agg.score_p)})")


def check_cost(result: DiffResult, thresholds: GateThresholds) -> Findings:
    max_cost = thresholds.max_cost_increase_pct
    if max_cost is None:
        return Findings()
    increase = result.aggregate.cost_increase_pct
    if increase is None:
        return _note("cost change unknown (a side has calls without a price)")
    if increase > max_cost:
        return _fail(f"cost rose {increase:.1f}%, more than max_cost_increase_pct={max_cost}")
    return Findings()


def check_latency(result: DiffResult, thresholds: GateThresholds) -> Findings:
    max_p95 = thresholds.max_p95_latency_ms
    if max_p95 is None:
        return Findings()
    p95 = result.aggregate.p95_head
    origins = describe_latency_origins(result.aggregate.latency_from_head)
    where = f" (latencies: {origins})" if origins else ""
    if p95 is None:
        return _note(f"p95 latency unknown, max_p95_latency_ms={max_p95} not checked{where}")
    if p95 > max_p95:
        return _fail(f"p95 latency {p95:.0f} ms is above max_p95_latency_ms={max_p95}{where}")
    return _note(f"p95 latency {p95:.0f} ms{where}") if origins else Findings()


def check_flaky(result: DiffResult, thresholds: GateThresholds) -> Findings:
    flaky = result.by_status("flaky")
    if not flaky:
        return Findings()
    if thresholds.allow_flaky is not False:
        return _note(f"{len(flaky)} flaky case(s) (repeats disagree); flaky cases alone never fail the gate")
    return _fail(
        f"{len(flaky)} flaky case(s) and allow_flaky is false: {', '.join(c.key for c in flaky[:10])}"
    )


def check_errors(result: DiffResult, thresholds: GateThresholds) -> Findings:
    """Cases that errored on every repeat always fail the gate, whatever the thresholds."""
    errors = result.by_status("error")
    if not errors:
        return Findings()
    return _fail(f"{len(errors)} case(s) errored on every repeat: {', '.join(c.key for c in errors[:10])}")


# In the order their reasons and notes are listed.
CHECKS: tuple[Callable[[DiffResult, GateThresholds], Findings], ...] = (
    check_base,
    check_regressions,
    check_pass_rate,
    check_pass_rate_drop,
    check_score_drop,
    check_cost,
    check_latency,
    check_flaky,
    check_errors,
)
