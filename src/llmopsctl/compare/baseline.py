"""Baseline files (.llmops/baselines/<suite>.json): per-case results of a reference run, committed to git.

The format is stable on purpose: sorted keys, fixed precision and one case per block, so that the diff of a
baseline in a pull request is small and reviewable. Each case keeps the start of its output
(`baseline.output_chars` in llmops.yaml), so reviewers and regressions see what the answer was.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmopsctl.compare.caseset import CaseSet, CaseStats
from llmopsctl.core.settings import DEFAULT_OUTPUT_CHARS
from llmopsctl.errors import ConfigError

FORMAT = 1
PRECISION = 4


def baseline_path(root: Path, suite: str) -> Path:
    return root / ".llmops" / "baselines" / f"{suite}.json"


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), PRECISION)


def to_document(
    caseset: CaseSet, suite_hash: str | None = None, *, output_chars: int = DEFAULT_OUTPUT_CHARS
) -> dict[str, Any]:
    """The baseline document of `caseset`; each case keeps the first `output_chars` characters of its
    output (of its first completed repeat), so a regression shows what the answer was."""
    run = caseset.run
    cases: dict[str, Any] = {}
    for key in sorted(caseset.cases):
        c = caseset.cases[key]
        kept = c.output[:output_chars] if c.output is not None and output_chars > 0 else None
        cases[key] = {
            "prompt": c.prompt,
            "model": c.model,
            "dataset": c.dataset,
            "case_id": c.case_id,
            "outcomes": [1 if o else 0 for o in c.outcomes],
            "pass_rate": _round(c.pass_rate),
            "scores": [_round(s) for s in c.scores],
            "score": _round(c.score),
            "assertions": {k: _round(v) for k, v in sorted(c.assertions.items())},
            "metrics": {k: _round(v) for k, v in sorted(c.metrics.items())},
            "errors": c.errors,
            "output": kept,
            "output_truncated": kept is not None and c.output is not None and len(kept) < len(c.output),
            "output_hash": c.output_hash,
            "input_tokens": _round(c.input_tokens),
            "output_tokens": _round(c.output_tokens),
            "cost_usd": None
            if c.cost_usd is None
            else format(c.cost_usd.quantize(Decimal("1e-10")).normalize(), "f"),
            "latency_ms": [round(x, 1) for x in c.latency_ms],
        }
    return {
        "format": FORMAT,
        "suite": caseset.suite,
        "run": {
            "id": run.get("id"),
            "git_sha": run.get("git_sha"),
            "started_at": str(run["started_at"]) if run.get("started_at") else None,
            "tool_version": run.get("tool_version"),
        },
        "hashes": {**(run.get("hashes") or {}), "suite": run.get("suite_hash") or suite_hash},
        "metrics": {k: _round(v) for k, v in sorted(caseset.metrics.items())},
        "cases": cases,
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _results(document: Any) -> Any:
    """A baseline document without what differs between two runs of the same code: the run's id, time and
    commit, and the measured latencies."""
    if not isinstance(document, dict):
        return document
    cases = document.get("cases")
    if isinstance(cases, dict):
        cases = {
            k: {f: v for f, v in c.items() if f != "latency_ms"} if isinstance(c, dict) else c
            for k, c in cases.items()
        }
    return {**{k: v for k, v in document.items() if k != "run"}, "cases": cases}


def same_results(text: str, document: dict[str, Any]) -> bool:
    """Whether the baseline file `text` records the same results as `document`.

    `baseline update` then keeps the file as it is, so re-running unchanged code makes no diff to review.
    """
    try:
        old = json.loads(text)
    except json.JSONDecodeError:
        return False
    # Through JSON, so the new document's values compare as they would read back from its file.
    return bool(_results(old) == _results(json.loads(dumps(document))))


def from_document(document: Any, label: str, where: str) -> CaseSet:
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or not isinstance(document.get("cases"), dict)
    ):
        raise ConfigError(f"{where} is not an llmopsctl baseline (format {FORMAT})")
    cases: dict[str, CaseStats] = {}
    try:
        for key, c in document["cases"].items():
            cases[key] = CaseStats(
                key=key,
                prompt=c["prompt"],
                model=c["model"],
                dataset=c["dataset"],
                case_id=str(c["case_id"]),
                outcomes=[bool(o) for o in c.get("outcomes", [])],
                scores=[float(s) for s in c.get("scores", []) if s is not None],
                assertions={k: float(v) for k, v in (c.get("assertions") or {}).items() if v is not None},
                metrics={k: float(v) for k, v in (c.get("metrics") or {}).items() if v is not None},
                errors=int(c.get("errors", 0)),
                output=c["output"] if isinstance(c.get("output"), str) else None,
                output_truncated=bool(c.get("output_truncated")),
                output_hash=c.get("output_hash"),
                input_tokens=c.get("input_tokens"),
                output_tokens=c.get("output_tokens"),
                cost_usd=Decimal(c["cost_usd"]) if c.get("cost_usd") is not None else None,
                latency_ms=[float(x) for x in c.get("latency_ms", [])],
            )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ConfigError(f"{where}: malformed baseline entry ({type(exc).__name__}: {exc})") from None
    run = dict(document.get("run") or {})
    run["hashes"] = document.get("hashes") or {}
    metrics = {k: float(v) for k, v in (document.get("metrics") or {}).items() if v is not None}
    return CaseSet(label, str(document.get("suite")), cases, run, metrics)


def loads(text: str, label: str, where: str) -> CaseSet:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    return from_document(document, label, where)
