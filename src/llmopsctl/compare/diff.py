"""Compare a head result set with a base case by case, with statistics that tell regressions from noise."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from llmopsctl.compare import stats
from llmopsctl.compare.caseset import CaseSet, CaseStats, latency_origins
from llmopsctl.engine.provenance import FileChange, file_changes

STATUSES = ("regressed", "improved", "flaky", "error", "new", "removed", "unchanged")


@dataclass
class CaseDiff:
    key: str
    status: str
    base: CaseStats | None
    head: CaseStats | None
    reason: str = ""

    @property
    def score_delta(self) -> float | None:
        if self.base is None or self.head is None or self.base.score is None or self.head.score is None:
            return None
        return self.head.score - self.base.score


# What each figure is computed over, as the JSON report states it.
DENOMINATORS = {
    "pass_rate_base": "paired cases (n_pairs): cases with a completed repeat on both sides, each counting "
    "once as the share of its repeats that passed",
    "pass_rate_head": "paired cases (n_pairs), as pass_rate_base",
    "pass_rate_all_base": "every case of the base with a completed repeat (n_cases_base), each counting once "
    "as the share of its repeats that passed; with every repeat completed, the pass rate `runs list` shows",
    "pass_rate_all_head": "every case of the head with a completed repeat (n_cases_head), as "
    "pass_rate_all_base; what min_pass_rate checks",
    "score_base": "paired cases (n_pairs), each its mean weighted score over its repeats",
    "cost_base": "paired cases, every repeat at list price (unknown when a call of theirs has no price)",
    "tokens_base": "paired cases",
    "p95_base": "every call of the side that was not answered from the cache",
    "metrics": "every result of the side scored by an assertion with that metric (repeats count apart)",
}


@dataclass
class Aggregate:
    n_pairs: int = 0  # cases completed on both sides (the unit of the paired statistics)
    n_cases_base: int = 0  # cases with a completed repeat, on each side
    n_cases_head: int = 0
    pass_rate_all_base: float | None = None  # over each side's n_cases: see DENOMINATORS
    pass_rate_all_head: float | None = None
    pass_rate_base: float | None = None  # over the n_pairs paired cases
    pass_rate_head: float | None = None
    pass_ci_base: tuple[float, float] | None = None
    pass_ci_head: tuple[float, float] | None = None
    discordant_lost: int = 0  # pass -> fail pairs (McNemar b)
    discordant_gained: int = 0  # fail -> pass pairs (McNemar c)
    mcnemar_p: float | None = None
    cohens_h: float | None = None
    score_base: float | None = None
    score_head: float | None = None
    score_diff: float | None = None
    score_diff_ci: tuple[float, float] | None = None
    score_p: float | None = None
    effect_size: float | None = None
    cost_base: Decimal | None = None
    cost_head: Decimal | None = None
    tokens_base: float | None = None
    tokens_head: float | None = None
    p50_base: float | None = None
    p50_head: float | None = None
    p95_base: float | None = None
    p95_head: float | None = None
    latency_from_base: dict[str, int] = field(default_factory=dict)  # see CaseStats.latency_from
    latency_from_head: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)

    @property
    def cost_increase_pct(self) -> float | None:
        if self.cost_base is None or self.cost_head is None or self.cost_base == 0:
            return None
        return float((self.cost_head - self.cost_base) / self.cost_base * 100)


@dataclass
class DiffResult:
    suite: str
    base: CaseSet
    head: CaseSet
    cases: list[CaseDiff]
    aggregate: Aggregate
    changes: list[FileChange] | None = None  # files whose hashes differ; None: a side recorded none

    def by_status(self, status: str) -> list[CaseDiff]:
        return [c for c in self.cases if c.status == status]

    def counts(self) -> dict[str, int]:
        return {s: len(self.by_status(s)) for s in STATUSES}


def _rename(key: str, pairs: dict[str, str]) -> str:
    """Apply --pair OLD=NEW to a base key's prompt or model component."""
    parts = key.split("/", 3)
    if len(parts) != 4:
        return key
    prompt, model, dataset, case_id = parts
    return "/".join((pairs.get(prompt, prompt), pairs.get(model, model), dataset, case_id))


def classify(base: CaseStats | None, head: CaseStats | None) -> tuple[str, str]:
    if base is None:
        return "new", "not in the base"
    if head is None:
        return "removed", "not in the head"
    if not head.outcomes:
        return "error", f"every repeat errored in the head ({head.errors})"
    if head.flaky:
        return "flaky", f"repeats disagree: {sum(head.outcomes)}/{len(head.outcomes)} passed"
    base_rate, head_rate = base.pass_rate, head.pass_rate
    if base_rate is None:
        return ("improved" if head_rate else "unchanged"), "the base errored"
    assert head_rate is not None
    if head_rate < base_rate:
        return "regressed", f"passed {base_rate:.0%} of repeats in the base, {head_rate:.0%} now"
    if head_rate > base_rate:
        return "improved", f"passed {base_rate:.0%} of repeats in the base, {head_rate:.0%} now"
    return "unchanged", ""


def diff(base: CaseSet, head: CaseSet, *, pairs: dict[str, str] | None = None, seed: int = 0) -> DiffResult:
    base_cases = {_rename(k, pairs or {}): v for k, v in base.cases.items()}
    keys = sorted(set(base_cases) | set(head.cases))
    cases = []
    for key in keys:
        status, reason = classify(base_cases.get(key), head.cases.get(key))
        cases.append(CaseDiff(key, status, base_cases.get(key), head.cases.get(key), reason))
    suite = head.suite or base.suite
    return DiffResult(
        suite, base, head, cases, _aggregate(cases, base, head, seed), _changes(base, head, suite)
    )


def _changes(base: CaseSet, head: CaseSet, suite: str) -> list[FileChange] | None:
    """The prompt, model, dataset and suite files whose recorded hashes differ between the two sides."""
    old, new = base.run.get("hashes"), head.run.get("hashes")
    if not old or not new:
        return None
    return file_changes(
        old,
        new,
        old_suite=base.run.get("suite_hash") or old.get("suite"),
        new_suite=head.run.get("suite_hash") or new.get("suite"),
        suite_name=suite,
    )


def _aggregate(cases: list[CaseDiff], base: CaseSet, head: CaseSet, seed: int) -> Aggregate:
    agg = Aggregate()
    # The case is the unit of observation. Repeats of a case are not independent samples (a deterministic
    # model repeats itself), so each case contributes its pass rate and mean score over its repeats; the
    # tests then work on cases, and more repeats never make a drop look more significant than it is.
    rate_base: list[float] = []
    rate_head: list[float] = []
    score_base: list[float] = []
    score_head: list[float] = []
    for c in cases:
        if c.base is None or c.head is None or not c.base.outcomes or not c.head.outcomes:
            continue
        rate_base.append(sum(c.base.outcomes) / len(c.base.outcomes))
        rate_head.append(sum(c.head.outcomes) / len(c.head.outcomes))
        score_base.append(_mean_score(c.base))
        score_head.append(_mean_score(c.head))
    agg.n_pairs = len(rate_base)
    agg.n_cases_base, agg.pass_rate_all_base = _all_cases(base)
    agg.n_cases_head, agg.pass_rate_all_head = _all_cases(head)
    if rate_base:
        comparison = stats.compare_paired(
            score_base,
            score_head,
            passed_base=[r >= 0.5 for r in rate_base],  # a case passes when most of its repeats do
            passed_head=[r >= 0.5 for r in rate_head],
            seed=seed,
        )
        n = len(rate_base)
        agg.pass_rate_base = sum(rate_base) / n
        agg.pass_rate_head = sum(rate_head) / n
        agg.pass_ci_base = stats.wilson_interval(sum(rate_base), n)
        agg.pass_ci_head = stats.wilson_interval(sum(rate_head), n)
        agg.discordant_lost = comparison.b
        agg.discordant_gained = comparison.c
        agg.mcnemar_p = comparison.mcnemar_p
        agg.cohens_h = stats.cohens_h(agg.pass_rate_head, agg.pass_rate_base)
        agg.score_base = comparison.mean_base
        agg.score_head = comparison.mean_head
        agg.score_diff = comparison.mean_diff
        agg.score_diff_ci = comparison.diff_ci
        agg.score_p = comparison.p_value
        agg.effect_size = comparison.effect_size
    # Cost and tokens compare the cases both sides ran, so added or removed cases do not count as a change,
    # nor does a case that errored on every repeat of one side (no answer, no usage to compare).
    paired = [
        c for c in cases if c.base is not None and c.head is not None and c.base.outcomes and c.head.outcomes
    ]
    agg.cost_base = _total_cost(c.base for c in paired)
    agg.cost_head = _total_cost(c.head for c in paired)
    agg.tokens_base = _total_tokens(c.base for c in paired)
    agg.tokens_head = _total_tokens(c.head for c in paired)
    lat_base = [x for c in base.cases.values() for x in c.latency_ms]
    lat_head = [x for c in head.cases.values() for x in c.latency_ms]
    agg.p50_base, agg.p95_base = stats.quantile(lat_base, 0.5), stats.quantile(lat_base, 0.95)
    agg.p50_head, agg.p95_head = stats.quantile(lat_head, 0.5), stats.quantile(lat_head, 0.95)
    agg.latency_from_base = latency_origins(base.cases.values())
    agg.latency_from_head = latency_origins(head.cases.values())
    for name in sorted(set(base.metrics) | set(head.metrics)):
        agg.metrics[name] = (base.metrics.get(name), head.metrics.get(name))
    return agg


def _all_cases(side: CaseSet) -> tuple[int, float | None]:
    """How many of the side's cases completed a repeat, and their mean share of passing repeats."""
    rates = [c.pass_rate for c in side.cases.values() if c.pass_rate is not None]
    return len(rates), (sum(rates) / len(rates) if rates else None)


def _mean_score(case: CaseStats) -> float:
    """A case's weighted score averaged over its repeats (its pass rate when it has no scores)."""
    scores = case.scores if len(case.scores) == len(case.outcomes) else [float(o) for o in case.outcomes]
    return sum(scores) / len(scores)


def _total_cost(cases: Any) -> Decimal | None:
    total = Decimal(0)
    for c in cases:
        if c.cost_usd is None and c.outcomes:
            return None
        total += c.cost_usd or Decimal(0)
    return total


def _total_tokens(cases: Any) -> float | None:
    values = [
        (c.input_tokens or 0) + (c.output_tokens or 0)
        for c in cases
        if c.input_tokens is not None or c.output_tokens is not None
    ]
    return sum(values) if values else None
