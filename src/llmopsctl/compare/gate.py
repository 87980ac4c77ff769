"""Gate verdicts: apply a suite's thresholds to a diff and list every reason it fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmopsctl.compare.diff import DiffResult
from llmopsctl.core.settings import GateThresholds


@dataclass
class GateVerdict:
    suite: str
    passed: bool
    reasons: list[str] = field(default_factory=list)  # why it failed
    notes: list[str] = field(default_factory=list)  # checks that passed or could not be made
    thresholds: dict[str, Any] = field(default_factory=dict)


# With no thresholds configured anywhere, a gate still fails on a statistically significant drop.
DEFAULT_THRESHOLDS = GateThresholds(significance=0.05)


def merge_thresholds(*layers: GateThresholds) -> GateThresholds:
    """Later layers win: llmops.yaml `gate`, the suite's `gate`, command-line overrides; the built-in
    defaults apply only when none of them sets anything."""
    merged = GateThresholds().merged(*layers)
    return DEFAULT_THRESHOLDS if merged.empty else merged


def gate_verdict(result: DiffResult, thresholds: GateThresholds) -> GateVerdict:
    agg = result.aggregate
    verdict = GateVerdict(result.suite, True, thresholds=thresholds.to_dict())
    fail, note = verdict.reasons.append, verdict.notes.append
    alpha = thresholds.significance
    if not result.base.cases:
        note(f"{result.base.label}: only absolute thresholds (min_pass_rate, max_p95_latency_ms) apply")
    regressed = result.by_status("regressed")
    flaky = result.by_status("flaky")

    def significant(p: float | None) -> bool:
        return alpha is None or (p is not None and p < alpha)

    limit = thresholds.max_regressions
    if limit is not None:
        if len(regressed) > limit:
            names = ", ".join(c.key for c in regressed[:10]) + (" ..." if len(regressed) > 10 else "")
            fail(f"{len(regressed)} regressed case(s), more than max_regressions={limit}: {names}")
        else:
            note(f"{len(regressed)} regressed case(s) (max_regressions={limit})")
    minimum = thresholds.min_pass_rate
    if minimum is not None:
        rate = agg.pass_rate_head
        if rate is None:
            fail("no case completed, so the pass rate is unknown")
        elif rate < minimum:
            fail(f"pass rate {rate:.1%} is below min_pass_rate={minimum:.0%}")
        else:
            note(f"pass rate {rate:.1%} (min_pass_rate={minimum:.0%})")
    if alpha is not None and agg.pass_rate_base is not None and agg.pass_rate_head is not None:
        dropped = agg.pass_rate_head < agg.pass_rate_base
        if dropped and significant(agg.mcnemar_p):
            fail(
                f"pass rate fell from {agg.pass_rate_base:.1%} to {agg.pass_rate_head:.1%}, significant at "
                f"{alpha} (exact McNemar p={agg.mcnemar_p:.3g}, "
                f"{agg.discordant_lost} lost, {agg.discordant_gained} gained)"
            )
        elif dropped:
            note(
                f"pass rate fell {agg.pass_rate_base:.1%} -> {agg.pass_rate_head:.1%}, "
                f"not significant (p={agg.mcnemar_p:.3g})"
            )
    max_drop = thresholds.max_score_drop
    if max_drop is not None and agg.score_diff is not None:
        drop = -agg.score_diff
        if drop > max_drop and significant(agg.score_p):
            p_text = f", permutation p={agg.score_p:.3g}" if agg.score_p is not None else ""
            fail(f"mean score fell by {drop:.3f}, more than max_score_drop={max_drop}{p_text}")
        elif drop > max_drop:
            note(f"mean score fell by {drop:.3f} but not significantly (p={agg.score_p:.3g})")
    max_cost = thresholds.max_cost_increase_pct
    if max_cost is not None:
        increase = agg.cost_increase_pct
        if increase is None:
            note("cost change unknown (a side has calls without a price)")
        elif increase > max_cost:
            fail(f"cost rose {increase:.1f}%, more than max_cost_increase_pct={max_cost}")
    max_p95 = thresholds.max_p95_latency_ms
    if max_p95 is not None:
        if agg.p95_head is None:
            note("p95 latency unknown (every call was answered from the cache)")
        elif agg.p95_head > max_p95:
            fail(f"p95 latency {agg.p95_head:.0f} ms is above max_p95_latency_ms={max_p95}")
    if flaky:
        if thresholds.allow_flaky is not False:
            note(f"{len(flaky)} flaky case(s) (repeats disagree); flaky cases alone never fail the gate")
        else:
            fail(
                f"{len(flaky)} flaky case(s) and allow_flaky is false: {', '.join(c.key for c in flaky[:10])}"
            )
    errors = result.by_status("error")
    if errors:
        fail(f"{len(errors)} case(s) errored on every repeat: {', '.join(c.key for c in errors[:10])}")
    verdict.passed = not verdict.reasons
    return verdict
