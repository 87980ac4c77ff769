"""In-process speed of the pieces whose cost grows with input size: statistics, scorers on huge outputs, and
the store's batch write. Each is timed as the best of a few repetitions (the least disturbed by other load).

    python benchmarks/bench_units.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from _common import ROOT, Row, markdown_table, ms, secs

sys.path.insert(0, str(ROOT / "src"))

from llmopsctl.compare.distributions import mcnemar_exact
from llmopsctl.compare.resampling import paired_bootstrap_ci, paired_permutation_test
from llmopsctl.core.assertions import Assertion
from llmopsctl.core.records import ResultRecord, RunRecord, ScoreRecord
from llmopsctl.scorers.base import ScoreContext
from llmopsctl.scorers.registry import run_assertion
from llmopsctl.store import Store


def took(seconds: float) -> str:
    return ms(seconds) if seconds < 1 else secs(seconds)


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """The fastest of `repeat` runs of `fn`, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _diffs(seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(0.0, 1.0) for _ in range(1000)]


def _statistics(repeat: int) -> list[Row]:
    diffs = _diffs(3)
    bootstrap = best_of(repeat, lambda: paired_bootstrap_ci(diffs, resamples=10_000))
    permutation = best_of(repeat, lambda: paired_permutation_test(diffs, resamples=10_000))
    pairs = ((30_000, 70_000), (50_000, 50_001), (400_000, 600_000), (499_999, 500_001))
    mcnemar = best_of(repeat, lambda: [mcnemar_exact(b, c) for b, c in pairs])
    return [
        Row("bootstrap CI, 1,000 pairs x 10,000 resamples", took(bootstrap), "<= 1.5 s", bootstrap <= 1.5),
        Row("permutation test, 1,000 pairs x 10,000", took(permutation), "<= 1.0 s", permutation <= 1.0),
        Row("exact McNemar, 4 tables of up to 1,000,000 pairs", took(mcnemar), "<= 0.5 s", mcnemar <= 0.5),
    ]


def _score(type_name: str, output: str, value: object) -> None:
    import asyncio

    asyncio.run(run_assertion(Assertion(type_name, value), ScoreContext(output=output)))


def _scorers(repeat: int) -> list[Row]:
    text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 18_000  # ~1 MB
    words = "the quick brown fox jumps over the lazy dog. " * 22_000  # ~1 MB, ~200k tokens
    lexical = best_of(repeat, lambda: [_score(t, text, "adipiscing") for t in ("contains", "regex")])
    overlap = best_of(
        repeat, lambda: [_score(t, words, "the lazy dog jumps") for t in ("rouge-l", "f1", "bleu")]
    )
    return [
        Row("contains + regex on a 1 MB output", took(lexical), "<= 1 s", lexical <= 1.0),
        Row("rouge-l + f1 + bleu on a 1 MB output", took(overlap), "<= 10 s", overlap <= 10.0),
    ]


def _result(i: int) -> ResultRecord:
    return ResultRecord(
        run_id="big",
        item_key=f"case{i:05d}#0",
        suite="s",
        case_key=f"p/m/d/case{i:05d}",
        prompt_name="p",
        model_name="m",
        output="ok",
        input_tokens=100,
        output_tokens=10,
        cost_usd=Decimal("0.0000123456"),
        passed=True,
    )


def _store_write(repeat: int) -> list[Row]:
    rows = [_result(i) for i in range(10_000)]
    scores = [ScoreRecord(result_id=f"big/case{i:05d}#0", scorer="exact", value=1.0) for i in range(10_000)]
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "r.duckdb") as store:
            store.create_run(RunRecord(id="big", suite="s"))
            times.append(best_of(1, lambda s=store: s.write_results(rows, scores)))
    elapsed = min(times)
    return [Row("store: write 10,000 results with scores", took(elapsed), "<= 3 s", elapsed <= 3.0)]


def run(quick: bool = False) -> list[Row]:
    repeat = 1 if quick else 3
    return _statistics(repeat) + _scorers(repeat) + _store_write(repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition each")
    rows = run(parser.parse_args().quick)
    print(markdown_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
