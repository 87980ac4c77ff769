"""Render a diff and a gate verdict as terminal text, Markdown, JUnit XML and JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from llmopsctl.compare.caseset import describe_latency_origins
from llmopsctl.compare.diff import DENOMINATORS, Aggregate, CaseDiff, DiffResult
from llmopsctl.compare.gate import GateVerdict
from llmopsctl.core.format import money, tokens
from llmopsctl.report.format import jsonable

SHOWN_STATUSES = ("regressed", "error", "flaky", "improved", "new", "removed")
TRUNCATE = 300


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ci(ci: tuple[float, float] | None, percent: bool = True) -> str:
    if ci is None:
        return ""
    lo, hi = ci
    return f" [{lo:.1%}, {hi:.1%}]" if percent else f" [{lo:+.3f}, {hi:+.3f}]"


def _p(p: float | None) -> str:
    return "-" if p is None else f"{p:.3g}"


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.0f}{unit}"


def _cost_delta(base: Decimal | None, head: Decimal | None, pct: float | None) -> str:
    text = f"{money(base)} -> {money(head)}"
    return text + (f" ({pct:+.1f}%)" if pct is not None else "")


def _latency_origins(a: Aggregate) -> str:
    """Which latencies are not the runs' own calls: from a cassette or the cache, or unknown."""
    sides = [
        f"{side}: {text}"
        for side, counts in (("base", a.latency_from_base), ("head", a.latency_from_head))
        if (text := describe_latency_origins(counts))
    ]
    return f" ({'; '.join(sides)})" if sides else ""


def summary_lines(result: DiffResult) -> list[tuple[str, str]]:
    """(label, value) of each figure; every label says what the figure is computed over."""
    a = result.aggregate
    counts = result.counts()
    lines = []
    if result.changes is not None:
        lines.append(("files changed", "; ".join(map(str, result.changes)) or "none"))
    lines += [
        (
            "cases",
            ", ".join(f"{counts[s]} {s}" for s in (*SHOWN_STATUSES, "unchanged") if counts[s]) or "none",
        ),
        (
            "pass rate, all cases",
            f"{_pct(a.pass_rate_all_base)} of {a.n_cases_base} -> {_pct(a.pass_rate_all_head)} of "
            f"{a.n_cases_head} (each side's completed cases)",
        ),
        (
            "pass rate, paired (95% CI)",
            f"{_pct(a.pass_rate_base)}{_ci(a.pass_ci_base)} -> {_pct(a.pass_rate_head)}{_ci(a.pass_ci_head)} "
            f"over the {a.n_pairs} cases completed on both sides",
        ),
        (
            "paired change",
            f"{a.discordant_lost} pass->fail, {a.discordant_gained} fail->pass over {a.n_pairs} cases; "
            f"exact McNemar p={_p(a.mcnemar_p)}",
        ),
    ]
    if a.score_base is not None and a.score_head is not None and a.score_diff is not None:
        lines.append(
            (
                "mean score, paired",
                f"{a.score_base:.3f} -> {a.score_head:.3f} "
                f"(diff {a.score_diff:+.3f}{_ci(a.score_diff_ci, False)}, permutation p={_p(a.score_p)}, "
                f"effect size dz={'-' if a.effect_size is None else f'{a.effect_size:.2f}'})",
            )
        )
    lines.append(("cost, paired", _cost_delta(a.cost_base, a.cost_head, a.cost_increase_pct)))
    lines.append(
        (
            "tokens, paired",
            f"{tokens(a.tokens_base, missing='-', compact=False)} -> "
            f"{tokens(a.tokens_head, missing='-', compact=False)}",
        )
    )
    lines.append(
        (
            "latency p50 / p95, uncached calls",
            f"{_num(a.p50_base, ' ms')} / {_num(a.p95_base, ' ms')} -> "
            f"{_num(a.p50_head, ' ms')} / {_num(a.p95_head, ' ms')}{_latency_origins(a)}",
        )
    )
    for name, (base, head) in a.metrics.items():
        lines.append((f"metric {name}, all results", f"{_pct(base)} -> {_pct(head)}"))
    return lines


def _truncate(text: str | None, full: bool) -> str:
    if text is None:
        return "(none)"
    text = text.strip()
    return text if full or len(text) <= TRUNCATE else text[: TRUNCATE - 1] + "…"


def _case_outputs(case: CaseDiff, full: bool) -> tuple[str, str]:
    base = case.base
    if base is not None and base.output is None and base.output_hash is not None:
        # Made with baseline.output_chars 0, or before baseline files kept outputs: only a hash is there.
        old = "(not kept in the baseline file)"
    else:
        old = _truncate(base.output if base else None, full)
        if base is not None and base.output is not None and base.output_truncated:
            old += f" [the baseline file keeps its first {len(base.output)} characters]"
    return (old, _truncate(case.head.output if case.head else None, full))


def render_text(result: DiffResult, verdict: GateVerdict | None, *, full: bool = False) -> str:
    out = [f"suite {result.suite}: {result.base.label} -> {result.head.label}"]
    width = max(len(k) for k, _ in summary_lines(result))
    out += [f"  {k:<{width}}  {v}" for k, v in summary_lines(result)]
    for status in SHOWN_STATUSES:
        for case in result.by_status(status):
            out.append(f"  {status.upper():<9} {case.key}  {case.reason}")
            if status == "regressed":
                old, new = _case_outputs(case, full)
                out.append(f"            was: {old}")
                out.append(f"            now: {new}")
    if verdict is not None:
        out.append(_verdict_line(result, verdict))
        out += [f"  x {r}" for r in verdict.reasons]
        out += [f"  - {n}" for n in verdict.notes]
    return "\n".join(out)


def _verdict_line(result: DiffResult, verdict: GateVerdict) -> str:
    state = "PASSED" if verdict.passed else "FAILED"
    if verdict.enforced:
        return f"gate {state} for {result.suite}"
    return f"gate thresholds {state} for {result.suite} (as `llmopsctl gate` judges it; diff does not fail)"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def render_markdown(result: DiffResult, verdict: GateVerdict | None, *, full: bool = False) -> str:
    icon = "" if verdict is None else ("✅ " if verdict.passed else "❌ ")
    state = "" if verdict is None else (" — gate passed" if verdict.passed else " — gate failed")
    if verdict is not None and not verdict.enforced:
        state = state.replace("gate", "gate thresholds") + " (not enforced by diff)"
    out = [f"### {icon}llmopsctl: suite `{result.suite}`{state}", ""]
    out.append(f"Comparing **{result.head.label}** with **{result.base.label}**.")
    out.append("")
    if verdict is not None and verdict.reasons:
        out += [f"- ❌ {_md_escape(r)}" for r in verdict.reasons]
        out.append("")
    out += ["| | |", "|---|---|"]
    out += [f"| {k} | {_md_escape(v)} |" for k, v in summary_lines(result)]
    out.append("")
    regressed = result.by_status("regressed")
    if regressed:
        out += [
            "<details open><summary>Regressed cases</summary>",
            "",
            "| case | why | was | now |",
            "|---|---|---|---|",
        ]
        for case in regressed:
            old, new = _case_outputs(case, full)
            out.append(
                f"| `{case.key}` | {_md_escape(case.reason)} | {_md_escape(old)} | {_md_escape(new)} |"
            )
        out += ["", "</details>", ""]
    others = [c for s in ("error", "flaky", "improved", "new", "removed") for c in result.by_status(s)]
    if others:
        out += [
            "<details><summary>Other changes</summary>",
            "",
            "| case | status | detail |",
            "|---|---|---|",
        ]
        out += [f"| `{c.key}` | {c.status} | {_md_escape(c.reason)} |" for c in others]
        out += ["", "</details>", ""]
    if verdict is not None and verdict.notes:
        out += [f"- {_md_escape(n)}" for n in verdict.notes]
        out.append("")
    return "\n".join(out)


def render_junit(results: list[tuple[DiffResult, GateVerdict | None]]) -> str:
    """One testsuite per suite: a testcase per case of the head and one for the gate. Regressed and errored
    cases are failures unless the gate passed them (within its thresholds): the file then fails exactly
    when the gate does. Without a verdict there is no gate testcase."""
    suites = ET.Element("testsuites", name="llmopsctl")
    total = failures = 0
    for result, verdict in results:
        element = ET.SubElement(suites, "testsuite", name=result.suite)
        failed = _junit_cases(element, result, verdict)
        tests = len([c for c in result.cases if c.head is not None])
        if verdict is not None:
            gate = ET.SubElement(element, "testcase", classname=f"llmopsctl.{result.suite}", name="gate")
            tests += 1
            if not verdict.passed:
                ET.SubElement(gate, "failure", message="; ".join(verdict.reasons), type="gate")
                failed += 1
            elif verdict.notes:
                ET.SubElement(gate, "system-out").text = "\n".join(verdict.notes)
        element.set("tests", str(tests))
        element.set("failures", str(failed))
        total += tests
        failures += failed
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _junit_cases(element: ET.Element, result: DiffResult, verdict: GateVerdict | None) -> int:
    """A testcase per case of the head under `element`; how many are failures."""
    tolerated = verdict is not None and verdict.passed
    failed = 0
    for case in (c for c in result.cases if c.head is not None):
        tc = ET.SubElement(element, "testcase", classname=f"llmopsctl.{result.suite}", name=case.key)
        if case.status in ("regressed", "error"):
            old, new = _case_outputs(case, False)
            if tolerated:
                text = f"{case.status}, within the gate's thresholds: {case.reason}\nwas: {old}\nnow: {new}"
                ET.SubElement(tc, "system-out").text = text
                continue
            failure = ET.SubElement(tc, "failure", message=f"{case.status}: {case.reason}", type=case.status)
            failure.text = f"was: {old}\nnow: {new}"
            failed += 1
        elif case.status == "flaky":
            ET.SubElement(tc, "system-out").text = f"flaky: {case.reason}"
    return failed


def to_json(result: DiffResult, verdict: GateVerdict | None) -> dict[str, Any]:
    a = result.aggregate
    data: dict[str, Any] = jsonable(
        {
            "suite": result.suite,
            "base": result.base.label,
            "head": result.head.label,
            "counts": result.counts(),
            "changed_files": None
            if result.changes is None
            else [{"kind": c.kind, "name": c.name, "how": c.how, "path": c.path} for c in result.changes],
            "aggregate": {k: v for k, v in vars(a).items()} | {"cost_increase_pct": a.cost_increase_pct},
            "cases": [
                {
                    "key": c.key,
                    "status": c.status,
                    "reason": c.reason,
                    "pass_rate_base": c.base.pass_rate if c.base else None,
                    "pass_rate_head": c.head.pass_rate if c.head else None,
                    "score_delta": c.score_delta,
                }
                for c in result.cases
                if c.status != "unchanged"
            ],
            "denominators": DENOMINATORS,
            "gate": None
            if verdict is None
            else {
                "passed": verdict.passed,
                "enforced": verdict.enforced,
                "reasons": verdict.reasons,
                "notes": verdict.notes,
                "thresholds": verdict.thresholds,
            },
        }
    )
    return data


def dumps_json(items: list[tuple[DiffResult, GateVerdict | None]]) -> str:
    return json.dumps([to_json(r, v) for r, v in items], indent=2, sort_keys=True)
