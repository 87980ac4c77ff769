"""Per-case results of one side of a comparison, built from a run in the database or a baseline file."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class CaseStats:
    key: str  # prompt/model/dataset/case_id
    prompt: str
    model: str
    dataset: str
    case_id: str
    outcomes: list[bool] = field(default_factory=list)  # pass/fail per completed repeat, by repeat index
    scores: list[float] = field(default_factory=list)  # weighted score per completed repeat (aligned)
    assertions: dict[str, float] = field(default_factory=dict)  # "idx:type" -> mean value over repeats
    metrics: dict[str, float] = field(default_factory=dict)  # metric name -> mean value over repeats
    errors: int = 0
    output: str | None = None  # first repeat's output (for showing regressions)
    output_truncated: bool = False  # a baseline file kept only the start of `output`
    output_hash: str | None = None
    input_tokens: float | None = None  # mean per repeat
    output_tokens: float | None = None
    cost_usd: Decimal | None = None  # total over repeats
    latency_ms: list[float] = field(default_factory=list)

    @property
    def repeats(self) -> int:
        return len(self.outcomes)

    @property
    def pass_rate(self) -> float | None:
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else None

    @property
    def score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    @property
    def flaky(self) -> bool:
        return 0 < sum(self.outcomes) < len(self.outcomes)


@dataclass
class CaseSet:
    """One side of a diff: where it came from and its cases."""

    label: str  # e.g. "run 20261127-...", "baseline@origin/main"
    suite: str
    cases: dict[str, CaseStats]
    run: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


def _output_hash(output: str | None) -> str | None:
    return None if output is None else hashlib.sha256(output.encode()).hexdigest()[:16]


def from_results(label: str, suite: str, run: dict[str, Any], results: list[dict[str, Any]]) -> CaseSet:
    """Aggregate stored results (with their scores) per case key."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        grouped[result["case_key"]].append(result)
    cases: dict[str, CaseStats] = {}
    metric_values: dict[str, list[float]] = defaultdict(list)
    for key, rows in grouped.items():
        rows.sort(key=lambda r: r["repeat_index"])
        first = rows[0]
        stats = CaseStats(
            key, first["prompt_name"], first["model_name"], first["dataset_name"], first["case_id"]
        )
        per_assertion: dict[str, list[float]] = defaultdict(list)
        per_metric: dict[str, list[float]] = defaultdict(list)
        tokens_in: list[int] = []
        tokens_out: list[int] = []
        costs: list[Decimal] = []
        unknown_cost = False
        for row in rows:
            if row.get("error"):
                stats.errors += 1
                continue
            outcome = row.get("passed") is not False
            stats.outcomes.append(outcome)
            # Scores stay aligned with outcomes: an unscored result counts as its pass/fail.
            stats.scores.append(float(row["score"]) if row.get("score") is not None else float(outcome))
            if stats.output is None:
                stats.output = row.get("output")
            for score in row.get("scores") or []:
                if score.get("value") is None:
                    continue
                per_assertion[f"{score['idx']}:{score['scorer']}"].append(float(score["value"]))
                if score.get("metric"):
                    per_metric[score["metric"]].append(float(score["value"]))
            if row.get("input_tokens") is not None:
                tokens_in.append(int(row["input_tokens"]))
            if row.get("output_tokens") is not None:
                tokens_out.append(int(row["output_tokens"]))
            # Nominal cost (list price, cached or not): a cached head run still compares on what it costs.
            nominal = row.get("cost_nominal_usd", row.get("cost_usd"))
            if nominal is None:
                unknown_cost = True
            else:
                costs.append(Decimal(nominal))
            if row.get("latency_ms") is not None and not row.get("cached"):
                stats.latency_ms.append(float(row["latency_ms"]))
        stats.output_hash = _output_hash(stats.output)
        stats.assertions = {k: sum(v) / len(v) for k, v in per_assertion.items()}
        stats.metrics = {k: sum(v) / len(v) for k, v in per_metric.items()}
        for name, values in per_metric.items():
            metric_values[name].extend(values)
        stats.input_tokens = sum(tokens_in) / len(tokens_in) if tokens_in else None
        stats.output_tokens = sum(tokens_out) / len(tokens_out) if tokens_out else None
        stats.cost_usd = None if unknown_cost or not costs else sum(costs, Decimal(0))
        cases[key] = stats
    metrics = {k: sum(v) / len(v) for k, v in metric_values.items()}
    return CaseSet(label, suite, cases, run, metrics)
