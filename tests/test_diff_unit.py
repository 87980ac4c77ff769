"""The wiring between case sets, the statistics and the gate, on case sets built by hand."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest

from llmopsctl.compare import stats
from llmopsctl.compare.baseline import dumps, from_document, loads, same_results, to_document
from llmopsctl.compare.caseset import CaseSet, CaseStats, from_results
from llmopsctl.compare.diff import DiffResult, classify, diff
from llmopsctl.compare.gate import gate_verdict, merge_thresholds
from llmopsctl.core.settings import GateThresholds
from llmopsctl.errors import ConfigError
from llmopsctl.report.diff_render import render_junit, render_markdown, render_text, to_json

Z95 = 1.959963984540054


def case(
    case_id: str,
    outcomes: list[bool],
    *,
    scores: list[float] | None = None,
    cost: str | None = None,
    latency: list[float] | None = None,
    errors: int = 0,
    model: str = "m",
    output: str | None = None,
) -> CaseStats:
    return CaseStats(
        key=f"p/{model}/d/{case_id}",
        prompt="p",
        model=model,
        dataset="d",
        case_id=case_id,
        outcomes=list(outcomes),
        scores=[float(o) for o in outcomes] if scores is None else scores,
        errors=errors,
        cost_usd=None if cost is None else Decimal(cost),
        latency_ms=latency or [],
        output=output,
    )


def caseset(*cases: CaseStats, label: str = "side", metrics: dict[str, float] | None = None) -> CaseSet:
    return CaseSet(label, "s", {c.key: c for c in cases}, metrics=metrics or {})


def wilson(successes: int, n: int) -> tuple[float, float]:
    """The Wilson interval by its textbook formula, independent of stats.wilson_interval."""
    p = successes / n
    center = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return (center - half, center + half)


# --- classify -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "head", "status", "reason"),
    [
        ([True], [False], "regressed", "passed 100% of repeats in the base, 0% now"),
        (
            [True, True, True],
            [False, False, False],
            "regressed",
            "passed 100% of repeats in the base, 0% now",
        ),
        (
            [True, False, True],
            [False, False, False],
            "regressed",
            "passed 67% of repeats in the base, 0% now",
        ),
        ([False], [True], "improved", "passed 0% of repeats in the base, 100% now"),
        ([True, True, True], [True, False, True], "flaky", "repeats disagree: 2/3 passed"),
        ([False, False], [False, True], "flaky", "repeats disagree: 1/2 passed"),
        ([True], [True], "unchanged", ""),
        ([False, False], [False, False], "unchanged", ""),
        ([], [True], "improved", "the base errored"),
        ([], [False], "unchanged", "the base errored"),
    ],
)
def test_classify(base: list[bool], head: list[bool], status: str, reason: str) -> None:
    assert classify(case("c", base), case("c", head)) == (status, reason)


def test_classify_new_removed_and_error() -> None:
    assert classify(None, case("c", [True])) == ("new", "not in the base")
    assert classify(case("c", [True]), None) == ("removed", "not in the head")
    assert classify(case("c", [True]), case("c", [], errors=3)) == (
        "error",
        "every repeat errored in the head (3)",
    )


def test_diff_lists_every_case_once_and_pair_renames_the_base_side() -> None:
    base = caseset(case("a", [True]), case("b", [True]), case("gone", [True]))
    head = caseset(case("a", [True]), case("b", [False]), case("fresh", [True]))
    result = diff(base, head)
    assert [(c.key, c.status) for c in result.cases] == [
        ("p/m/d/a", "unchanged"),
        ("p/m/d/b", "regressed"),
        ("p/m/d/fresh", "new"),
        ("p/m/d/gone", "removed"),
    ]
    assert result.counts() == {
        "regressed": 1, "improved": 0, "flaky": 0, "error": 0, "new": 1, "removed": 1, "unchanged": 1
    }  # fmt: skip
    assert result.cases[1].score_delta == -1.0 and result.cases[2].score_delta is None

    renamed = caseset(case("a", [True], model="m2"), case("b", [True], model="m2"))
    paired = diff(caseset(case("a", [True]), case("b", [True])), renamed, pairs={"m": "m2"})
    assert [(c.key, c.status) for c in paired.cases] == [("p/m2/d/a", "unchanged"), ("p/m2/d/b", "unchanged")]
    assert paired.aggregate.n_pairs == 2
    assert diff(caseset(case("a", [True])), renamed).aggregate.n_pairs == 0


# --- the aggregate: McNemar, Wilson, scores, cost, latency, metrics ----------------------------------------


def mcnemar_example() -> DiffResult:
    """20 cases: 10 pass -> fail, 2 fail -> pass, 8 pass -> pass."""
    base, head = [], []
    for i in range(20):
        b, h = (True, False) if i < 10 else (False, True) if i < 12 else (True, True)
        base.append(case(f"c{i:02d}", [b]))
        head.append(case(f"c{i:02d}", [h]))
    return diff(caseset(*base), caseset(*head))


def test_mcnemar_counts_and_exact_p_value() -> None:
    result = mcnemar_example()
    agg = result.aggregate
    assert (agg.n_pairs, agg.discordant_lost, agg.discordant_gained) == (20, 10, 2)
    assert agg.mcnemar_p == 0.03857421875  # 2 * (C(12,0) + C(12,1) + C(12,2)) / 2**12, exactly
    assert (agg.pass_rate_base, agg.pass_rate_head) == (18 / 20, 10 / 20)
    assert agg.pass_ci_base == pytest.approx(wilson(18, 20), abs=1e-12)
    assert agg.pass_ci_head == pytest.approx(wilson(10, 20), abs=1e-12)
    assert agg.pass_ci_head == pytest.approx((0.299298, 0.700702), abs=1e-6)
    assert agg.cohens_h == pytest.approx(2 * math.asin(math.sqrt(0.5)) - 2 * math.asin(math.sqrt(0.9)))
    assert result.counts()["regressed"] == 10 and result.counts()["improved"] == 2
    assert agg.score_diff == pytest.approx(-0.4)


def test_repeats_make_one_observation_per_case_and_a_perfect_side_has_a_closed_interval() -> None:
    base = caseset(case("a", [True, True, True]), case("b", [True, True, True]))
    head = caseset(case("a", [True, False, True]), case("b", [False, False, False]))
    agg = diff(base, head).aggregate
    # Two cases, not six repeats: a passes on most repeats, b lost.
    assert (agg.n_pairs, agg.discordant_lost, agg.discordant_gained) == (2, 1, 0)
    assert agg.mcnemar_p == 1.0
    assert agg.pass_rate_head == pytest.approx((2 / 3 + 0) / 2)
    assert agg.pass_ci_base is not None and agg.pass_ci_base[1] == 1.0
    assert agg.pass_ci_base[0] == pytest.approx(wilson(2, 2)[0])
    assert diff(caseset(case("a", [True])), caseset(case("a", [False, True, True]))).aggregate.n_pairs == 1


def test_more_repeats_of_a_deterministic_model_do_not_make_a_drop_more_significant() -> None:
    def sides(repeats: int) -> tuple[CaseSet, CaseSet]:
        base = caseset(*(case(f"c{i}", [True] * repeats) for i in range(20)))
        head = caseset(*(case(f"c{i}", [i >= 4] * repeats) for i in range(20)))
        return base, head

    once, five = diff(*sides(1)).aggregate, diff(*sides(5)).aggregate
    assert once.mcnemar_p == five.mcnemar_p == 2 * 0.5**4
    assert once.score_p == five.score_p and once.pass_ci_head == five.pass_ci_head


def test_scores_compare_pair_by_pair() -> None:
    base = caseset(*(case(f"c{i}", [True], scores=[1.0]) for i in range(10)))
    head = caseset(*(case(f"c{i}", [True], scores=[0.5]) for i in range(10)))
    agg = diff(base, head).aggregate
    assert (agg.score_base, agg.score_head, agg.score_diff) == (1.0, 0.5, -0.5)
    assert agg.score_diff_ci == (-0.5, -0.5)
    assert agg.score_p == 2 / 2**10  # exact sign-flip test: only all-negative and all-positive are as extreme
    assert agg.effect_size is None  # every difference equal: no spread, d_z undefined
    assert agg.discordant_lost == 0 and agg.mcnemar_p == 1.0


def test_cost_and_tokens_count_paired_cases_only() -> None:
    base = caseset(
        case("a", [True], cost="0.010"), case("b", [True], cost="0.020"), case("gone", [True], cost="5")
    )
    head = caseset(
        case("a", [True], cost="0.015"), case("b", [True], cost="0.030"), case("new", [True], cost="9")
    )
    base.cases["p/m/d/a"].input_tokens, head.cases["p/m/d/a"].input_tokens = 100, 150
    base.cases["p/m/d/a"].output_tokens, head.cases["p/m/d/a"].output_tokens = 10, 20
    agg = diff(base, head).aggregate
    assert (agg.cost_base, agg.cost_head) == (Decimal("0.030"), Decimal("0.045"))
    assert agg.cost_increase_pct == pytest.approx(50.0)
    data = to_json(diff(base, head), None)["aggregate"]  # money in JSON: exact decimal text
    assert (data["cost_base"], data["cost_head"]) == ("0.03", "0.045")
    assert "$0.03 -> $0.045 (+50.0%)" in render_text(diff(base, head), None)
    assert (agg.tokens_base, agg.tokens_head) == (110, 170)
    # A paired case without a price makes the total unknown, never a smaller number.
    head.cases["p/m/d/b"].cost_usd = None
    agg = diff(base, head).aggregate
    assert agg.cost_head is None and agg.cost_increase_pct is None


def test_latency_quantiles_and_metric_deltas() -> None:
    base = caseset(case("a", [True], latency=[10.0, 20.0]), metrics={"accuracy": 0.9, "gone": 0.1})
    head = caseset(case("a", [True], latency=[float(x) for x in range(1, 101)]), metrics={"accuracy": 0.7})
    agg = diff(base, head).aggregate
    assert (agg.p50_base, agg.p95_base) == (15.0, pytest.approx(19.5))
    assert (agg.p50_head, agg.p95_head) == (50.5, pytest.approx(95.05))
    assert agg.metrics == {"accuracy": (0.9, 0.7), "gone": (0.1, None)}


def test_from_results_groups_repeats_and_skips_errors() -> None:
    def row(repeat: int, passed: bool | None, **extra: object) -> dict[str, object]:
        return {
            "case_key": "p/m/d/a", "prompt_name": "p", "model_name": "m", "dataset_name": "d", "case_id": "a",
            "repeat_index": repeat, "passed": passed, "score": None if passed is None else float(passed),
            "output": f"out{repeat}", "cost_nominal_usd": Decimal("0.5"), "latency_ms": 10.0 * (repeat + 1),
            "scores": [{"idx": 0, "scorer": "equals", "value": float(bool(passed)), "metric": "acc"}],
            **extra,
        }  # fmt: skip

    rows = [row(2, True), row(0, True, cached=True), row(1, False), row(3, None, error="boom")]
    stats_ = from_results("run r", "s", {"id": "r"}, rows).cases["p/m/d/a"]
    assert stats_.outcomes == [True, False, True] and stats_.errors == 1 and stats_.flaky
    assert stats_.output == "out0" and stats_.cost_usd == Decimal("1.5")
    assert stats_.latency_ms == [10.0, 20.0, 30.0]  # a cached answer brings its original call's latency
    assert stats_.latency_from == {"cache": 1}
    assert stats_.metrics == {"acc": pytest.approx(2 / 3)} and stats_.assertions == {
        "0:equals": pytest.approx(2 / 3)
    }


def test_latencies_from_a_cassette_or_the_cache_are_named_and_missing_ones_unknown() -> None:
    def row(repeat: int, latency: float | None, **extra: object) -> dict[str, object]:
        return {
            "case_key": "p/m/d/a", "prompt_name": "p", "model_name": "m", "dataset_name": "d", "case_id": "a",
            "repeat_index": repeat, "passed": True, "score": 1.0, "output": "o", "cost_nominal_usd": None,
            "latency_ms": latency, "scores": [], **extra,
        }  # fmt: skip

    replayed = [row(0, 150.0, source="replay"), row(1, None, source="replay"), row(2, None, cached=True)]
    head = from_results("run h", "s", {"id": "h"}, replayed)
    assert head.cases["p/m/d/a"].latency_ms == [150.0]  # an unknown latency is not 0
    assert head.cases["p/m/d/a"].latency_from == {"cassette": 1, "unknown": 2}
    base = caseset(case("a", [True], latency=[100.0, 120.0]))
    result = diff(base, CaseSet("run h", "s", head.cases))
    assert result.aggregate.p95_head == 150.0
    text = render_text(result, None)
    assert "-> 150 ms / 150 ms (head: 1 from a cassette, 2 replayed or cached with no latency kept)" in text
    verdict = gate_verdict(result, GateThresholds.from_mapping({"max_p95_latency_ms": 100}))
    assert verdict.reasons == [
        "p95 latency 150 ms is above max_p95_latency_ms=100 (latencies: 1 from a cassette, "
        "2 replayed or cached with no latency kept)"
    ]
    unknown = from_results("run u", "s", {"id": "u"}, [row(0, None, source="replay")])
    verdict = gate_verdict(diff(base, unknown), GateThresholds.from_mapping({"max_p95_latency_ms": 100}))
    assert verdict.passed and verdict.notes == [
        "p95 latency unknown, max_p95_latency_ms=100 not checked (latencies: 1 replayed or cached with "
        "no latency kept)"
    ]


# --- baseline files -----------------------------------------------------------------------------------------


def test_baseline_document_round_trips_with_fixed_precision() -> None:
    c = case(
        "a", [True, False, True], scores=[1.0, 0.123456789, 1.0], cost="0.000123456789123", latency=[1.26]
    )
    source = caseset(c, metrics={"acc": 2 / 3})
    source.run = {"id": "r1", "git_sha": "abc", "started_at": "2026-01-01 00:00:00", "tool_version": "0.1.0"}
    document = to_document(source, "suitehash")
    entry = document["cases"]["p/m/d/a"]
    assert entry["scores"] == [1.0, 0.1235, 1.0] and entry["score"] == 0.7078 and entry["pass_rate"] == 0.6667
    assert entry["cost_usd"] == "0.0001234568" and entry["latency_ms"] == [1.3]
    assert document["metrics"] == {"acc": 0.6667} and document["hashes"] == {"suite": "suitehash"}
    text = dumps(document)
    assert text == dumps(json.loads(text))  # sorted keys: what is read back writes back the same
    back = loads(text, "baseline", "b.json").cases["p/m/d/a"]
    assert back.outcomes == [True, False, True] and back.cost_usd == Decimal("0.0001234568")
    assert back.flaky and back.latency_ms == [1.3]

    # Another run with the same results: only the run and the latencies differ.
    again = caseset(case("a", [True, False, True], scores=[1.0, 0.123456789, 1.0], cost="0.000123456789123"))
    again.cases["p/m/d/a"].latency_ms = [99.0]
    again.metrics = {"acc": 2 / 3}
    again.run = {"id": "r2", "git_sha": "def"}
    assert same_results(text, to_document(again, "suitehash"))
    again.cases["p/m/d/a"].outcomes = [True, True, True]
    assert not same_results(text, to_document(again, "suitehash"))
    assert not same_results(text, to_document(source, "otherhash"))
    assert not same_results("{not json", document)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": 1,\n "cases": [}', "b.json:2:12: invalid JSON"),
        ('{"format": 99, "cases": {}}', "b.json is not an llmopsctl baseline"),
        ('{"format": 1, "cases": {"k": {"prompt": "p"}}}', "b.json: malformed baseline entry (KeyError"),
    ],
)
def test_broken_baseline_files_are_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        loads(text, "baseline", "b.json")
    assert str(info.value).startswith(message)
    with pytest.raises(ConfigError):
        from_document([], "baseline", "b.json")


# --- gate verdicts ------------------------------------------------------------------------------------------


def test_merge_thresholds_later_layers_win_and_unknown_or_unset_keys_are_dropped() -> None:
    merged = merge_thresholds(
        GateThresholds.from_mapping({"min_pass_rate": 0.5, "max_regressions": 0, "bogus": 1}),
        GateThresholds.from_mapping({"min_pass_rate": 0.7, "significance": 0.05}),
        GateThresholds.from_mapping({"min_pass_rate": None, "max_regressions": 2, "allow_flaky": False}),
    )
    assert merged.to_dict() == {
        "min_pass_rate": 0.7,
        "max_regressions": 2,
        "significance": 0.05,
        "allow_flaky": False,
    }
    # Nothing configured anywhere: a significant drop in the pass rate still fails the gate.
    assert merge_thresholds(GateThresholds(), GateThresholds()).to_dict() == {"significance": 0.05}


def test_a_gate_without_thresholds_fails_on_a_significant_drop_only() -> None:
    base = [case(f"c{i:02d}", [True]) for i in range(30)]
    noisy = [case(f"c{i:02d}", [i >= 2]) for i in range(30)]  # 2 lost of 30: McNemar p=0.5
    dropped = [case(f"c{i:02d}", [i >= 12]) for i in range(30)]  # 12 lost: p < 0.001
    defaults = merge_thresholds(GateThresholds())
    assert gate_verdict(diff(caseset(*base), caseset(*noisy)), defaults).passed
    verdict = gate_verdict(diff(caseset(*base), caseset(*dropped)), defaults)
    assert not verdict.passed and "significant" in verdict.reasons[0]


def test_judge_lists_every_failing_reason() -> None:
    base = [case(f"c{i:02d}", [True], cost="0.01", latency=[10.0]) for i in range(20)]
    head = [case(f"c{i:02d}", [i >= 10], cost="0.02", latency=[500.0]) for i in range(18)]
    head.append(case("c18", [True, False, True], cost="0.02"))  # flaky
    head.append(case("c19", [], errors=1))
    result = diff(caseset(*base), caseset(*head))
    verdict = gate_verdict(
        result,
        GateThresholds(
            max_regressions=0,
            min_pass_rate=0.9,
            significance=0.05,
            max_score_drop=0.1,
            max_cost_increase_pct=10,
            max_p95_latency_ms=100,
            allow_flaky=False,
        ),
    )
    assert not verdict.passed and verdict.notes == []
    regressed = ", ".join(f"p/m/d/c{i:02d}" for i in range(10))
    assert verdict.reasons[0] == f"10 regressed case(s), more than max_regressions=0: {regressed}"
    assert verdict.reasons[1:4] == [
        "pass rate 45.6% of 19 case(s) is below min_pass_rate=90%",  # (8 + 2/3) / 19 completed cases
        "pass rate fell from 100.0% to 45.6%, significant at 0.05 "
        "(exact McNemar p=0.00195, 10 lost, 0 gained)",
        "mean score fell by 0.544, more than max_score_drop=0.1, permutation p=0.000977",
    ]
    # c19 errored in the head: it has no cost there, so it is left out of the cost comparison.
    assert verdict.reasons[4] == "cost rose 100.0%, more than max_cost_increase_pct=10"
    assert verdict.reasons[5] == "p95 latency 500 ms is above max_p95_latency_ms=100"
    assert verdict.reasons[6] == "1 flaky case(s) and allow_flaky is false: p/m/d/c18"
    assert verdict.reasons[7] == "1 case(s) errored on every repeat: p/m/d/c19"
    assert len(verdict.reasons) == 8


def test_judge_passes_noise_and_says_why() -> None:
    # One case lost, one flaky: no significant drop at 0.05, and flaky cases alone never fail the gate.
    base = [case(f"c{i}", [True, True, True]) for i in range(10)]
    head = [case(f"c{i}", [True, True, True]) for i in range(8)]
    head += [case("c8", [True, False, True]), case("c9", [True, True, True], cost="0.1")]
    result = diff(caseset(*base), caseset(*head))
    verdict = gate_verdict(
        result,
        GateThresholds.from_mapping(
            {"significance": 0.05, "max_score_drop": 0.01, "max_cost_increase_pct": 5}
        ),
    )
    assert verdict.passed and verdict.reasons == []
    assert verdict.notes == [
        "pass rate fell 100.0% -> 96.7%, not significant (p=1)",
        "mean score fell by 0.033 but not significantly (p=1)",
        "cost change unknown (a side has calls without a price)",
        "1 flaky case(s) (repeats disagree); flaky cases alone never fail the gate",
    ]
    assert gate_verdict(result, GateThresholds.from_mapping({})).passed and gate_verdict(
        result, GateThresholds.from_mapping({})
    ).notes[-1].startswith("1 flaky case(s)")


def test_judge_without_results() -> None:
    result = diff(caseset(case("a", [True])), caseset(case("a", [], errors=2)))
    verdict = gate_verdict(
        result, GateThresholds.from_mapping({"min_pass_rate": 0.5, "max_p95_latency_ms": 10})
    )
    assert verdict.reasons == [
        "no case completed, so the pass rate is unknown",
        "1 case(s) errored on every repeat: p/m/d/a",
    ]
    assert verdict.notes == ["p95 latency unknown, max_p95_latency_ms=10 not checked"]


# --- reports ------------------------------------------------------------------------------------------------


def test_reports_name_the_regressed_cases_and_junit_counts_the_gate() -> None:
    base = caseset(case("a", [True], output="yes"), case("b", [True]), label="baseline")
    head = caseset(case("a", [False], output="no | way"), case("b", [True]), case("n", [True]), label="run r")
    result = diff(base, head)
    verdict = gate_verdict(result, GateThresholds.from_mapping({"max_regressions": 0}))
    text = render_text(result, verdict)
    assert "REGRESSED p/m/d/a  passed 100% of repeats in the base, 0% now" in text
    assert "was: yes" in text and "now: no | way" in text and "gate FAILED for s" in text
    md = render_markdown(result, verdict)
    assert "| `p/m/d/a` | passed 100% of repeats in the base, 0% now | yes | no \\| way |" in md
    assert "| `p/m/d/n` | new | not in the base |" in md
    data = to_json(result, verdict)
    assert [c["key"] for c in data["cases"]] == ["p/m/d/a", "p/m/d/n"] and data["gate"]["passed"] is False

    root = ET.fromstring(
        render_junit(
            [(result, verdict), (diff(base, base), gate_verdict(diff(base, base), GateThresholds()))]
        )
    )
    first, second = root.findall("testsuite")
    assert (first.get("tests"), first.get("failures")) == (
        "4",
        "2",
    )  # a, b, n and the gate; a and the gate fail
    assert (second.get("tests"), second.get("failures")) == ("3", "0")
    assert (root.get("tests"), root.get("failures")) == ("7", "2")
    failure = first.find("testcase[@name='p/m/d/a']/failure")
    assert (
        failure is not None
        and failure.get("message") == "regressed: passed 100% of repeats in the base, 0% now"
    )


def test_junit_fails_exactly_when_the_gate_does_and_claims_no_gate_without_a_verdict() -> None:
    base = caseset(case("a", [True]), case("b", [True]))
    result = diff(base, caseset(case("a", [False]), case("b", [True])))
    tolerant = gate_verdict(result, GateThresholds(max_regressions=1))
    root = ET.fromstring(render_junit([(result, tolerant)]))
    assert (root.get("tests"), root.get("failures")) == ("3", "0")
    assert root.find(".//failure") is None
    out = root.findtext(".//testcase[@name='p/m/d/a']/system-out") or ""
    assert out.startswith("regressed, within the gate's thresholds: passed 100% of repeats")
    bare = ET.fromstring(render_junit([(result, None)]))
    assert [tc.get("name") for tc in bare.iter("testcase")] == ["p/m/d/a", "p/m/d/b"]
    assert (bare.get("tests"), bare.get("failures")) == ("2", "1")


def test_gate_reasons_and_notes_format_a_missing_p_value_as_a_dash() -> None:
    base = [case(f"c{i}", [True], scores=[1.0]) for i in range(4)]
    head = [case(f"c{i}", [i > 0], scores=[0.0 if i == 0 else 1.0]) for i in range(4)]
    result = diff(caseset(*base), caseset(*head))
    result.aggregate.mcnemar_p = None
    result.aggregate.score_p = None
    strict = gate_verdict(result, GateThresholds(significance=0.05, max_score_drop=0.1))
    assert strict.notes == [
        "pass rate fell 100.0% -> 75.0%, not significant (p=-)",
        "mean score fell by 0.250 but not significantly (p=-)",
    ]
    lax = gate_verdict(result, GateThresholds(max_score_drop=0.1))
    assert lax.reasons == ["mean score fell by 0.250, more than max_score_drop=0.1"]
    assert "p=-" in render_text(result, strict) and "p=-" in render_markdown(result, strict)


def test_the_files_changed_between_two_records_and_what_older_records_leave_unknown() -> None:
    old = {
        "prompts": {"p": "p1"},
        "models": {"m": "m1", "gone": "g1"},
        "datasets": {"d": "d1"},
        "answers": {"prompts": {"p": "pa"}, "models": {"m": "ma"}, "suite": "sa"},
    }
    new = {
        "prompts": {"p": "p2"},  # answer hash the same: runtime settings only
        "models": {"m": "m2", "judge": "j1"},
        "datasets": {"d": "d1"},
        "code": {"m": "c1"},  # the base recorded no code hashes: not compared
        "answers": {"prompts": {"p": "pa"}, "models": {"m": "mb"}, "suite": "sa"},
    }
    base = CaseSet("base", "s", {}, run={"hashes": old, "suite_hash": "s1"})
    head = CaseSet("head", "s", {}, run={"hashes": new, "suite_hash": "s2"})
    result = diff(base, head)
    assert [str(c) for c in result.changes or []] == [
        "prompt p: runtime settings only",
        "model gone: only in the base",
        "model judge: only in the head",
        "model m",
        "suite s: runtime settings only",
    ]
    assert diff(CaseSet("new suite", "s", {}), head).changes is None  # nothing recorded: unknown, not "none"
    assert diff(head, head).changes == []
    assert re.search(r"files changed +none\n", render_text(diff(head, head), None))


def test_wilson_interval_agrees_with_the_formula() -> None:
    for successes, n in [(1, 10), (5, 10), (9, 10), (37, 120)]:
        assert stats.wilson_interval(successes, n) == pytest.approx(wilson(successes, n), abs=1e-12)
