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
    # Answers whose latency is not this run's own call: "cassette" and "cache" (the recorded or cached
    # call's latency, in latency_ms), "unknown" (replayed or cached with none kept: not in latency_ms).
    latency_from: dict[str, int] = field(default_factory=dict)

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


def _add_latency(stats: CaseStats, row: dict[str, Any]) -> None:
    """A result's latency, and where it comes from when it is not this run's call (see latency_from)."""
    origin = "cassette" if row.get("source") == "replay" else "cache" if row.get("cached") else None
    if row.get("latency_ms") is not None:
        stats.latency_ms.append(float(row["latency_ms"]))
    elif origin is not None:
        origin = "unknown"
    if origin is not None:
        stats.latency_from[origin] = stats.latency_from.get(origin, 0) + 1


def latency_origins(cases: Any) -> dict[str, int]:
    """latency_from summed over `cases` (CaseStats)."""
    total: dict[str, int] = {}
    for case in cases:
        for origin, count in case.latency_from.items():
            total[origin] = total.get(origin, 0) + count
    return total


LATENCY_ORIGINS = {
    "cassette": "from a cassette",
    "cache": "from the cache",
    "unknown": "replayed or cached with no latency kept",
}


def describe_latency_origins(counts: dict[str, int]) -> str:
    """Where latencies that are not this run's calls come from, e.g. "6 from a cassette"; "" when none."""
    return ", ".join(f"{counts[k]} {text}" for k, text in LATENCY_ORIGINS.items() if counts.get(k))


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
            _add_latency(stats, row)
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
