"""Throughput and memory of `llmopsctl eval` (the real CLI, as a subprocess) against a local fake model.

Each scenario builds a project in a temp dir (a git repository, like a real one): llmops.yaml, one
prompt with a variables schema, one `openai` model whose `base_url` points at benchmarks/llm_server.py
(no api_key_env: none is needed for a local base_url), pricing, a JSONL dataset of N cases and a suite
with the quickstart's regex assertion. The server runs in its own process with a fixed latency.

Scenarios and targets:
  1. 500 cases, 20 ms, --concurrency 16, --no-cache: wall <= 1.2 x ideal (500 x 20 ms / 16) + start-up
  2. 10,000 cases, 20 ms, --concurrency 64, --no-cache: wall <= 1.3 x ideal (10,000 x 20 ms / 64) + start-up
  3. the same 10,000 again, all answered from the cache: wall < 3 s
  4. 100,000 cases (JSONL), 1 ms, --concurrency 64, --no-cache: peak RSS < 500 MB

"start-up" is the median wall time of a 1-case run (fresh project each time) minus its one call's latency.
Every run is checked: exit code 0, the JSON reports N cases, 0 errors, N passed, and the server saw the
expected number of requests (N, or 0 for the cached run). A run that did the wrong work fails the bench.

Run: python benchmarks/bench_eval.py [--quick] [--only 1,2,3,4]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    BenchError,
    Proc,
    Row,
    child_env,
    cleanup,
    cli_command,
    log,
    markdown_table,
    median,
    ms,
    run_child,
    scratch_dir,
    secs,
)
from llm_server import BenchServer

ANSWER = "positive"
RSS_TARGET_MB = 500.0
CACHED_TARGET_S = 3.0

SETTINGS = """\
version: 1
project: bench
db: .llmops/llmops.duckdb
defaults:
  concurrency: 8
  timeout_s: 30
  retries: 0          # a failed call must show up as an error, not be retried away
  cache_ttl: 7d
"""

PROMPT = """\
description: Sentiment of a product review (benchmark prompt).
team: bench
variables:
  type: object
  required: [review]
  properties:
    review: {type: string, minLength: 1}
    n: {type: integer}
messages:
  - role: system
    content: |
      You classify the sentiment of product reviews as positive, negative or neutral.
      Answer with the label only, in lowercase, with no punctuation and no explanation.
  - role: user
    content: "Review #{{ n }}: {{ review }}"
params:
  temperature: 0
  max_tokens: 5
"""

MODEL = """\
description: An OpenAI-compatible local server (benchmarks/llm_server.py).
provider: openai
model: gpt-bench
base_url: {base_url}
params:
  temperature: 0
pricing:
  input: 0.15
  output: 0.60
  cached_input: 0.075
"""

ECHO_MODEL = """\
description: The offline echo provider (answers with the user message) after a fixed sleep, no HTTP at all.
provider: echo
model: echo
params:
  latency_ms: {latency_ms}
pricing:
  input: 0.15
  output: 0.60
"""

SUITE = """\
description: Benchmark suite.
team: bench
prompts: [classify]
models: [{model}]
datasets: [reviews]
assert:
  - type: regex
    value: '{pattern}'
    config: {{flags: i}}
    metric: accuracy
"""
OPENAI_PATTERN = "^\\W*{{ expected }}\\W*$"  # the quickstart's assertion
ECHO_PATTERN = "\\b{{ expected }}\\W*$"  # echo answers with the user message, which ends with it

TEXT = (
    "battery lasts all day and the screen is bright but the case scratches easily after a week "
    "shipping was quick support answered within an hour would buy again for my parents too"
)


def write_project(
    root: Path, cases: int, base_url: str | None, *, echo_latency_ms: float = 20.0, git: bool = True
) -> Path:
    """A project whose model is the bench server at `base_url`, or the echo provider when it is None."""
    for sub in ("prompts", "models", "datasets", "suites"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "llmops.yaml").write_text(SETTINGS + "teams: [{name: bench}]\n")
    (root / "prompts" / "classify.yaml").write_text(PROMPT)
    if base_url is not None:
        (root / "models" / "bench-openai.yaml").write_text(MODEL.format(base_url=base_url))
        suite = SUITE.format(model="bench-openai", pattern=OPENAI_PATTERN)
    else:
        (root / "models" / "bench-echo.yaml").write_text(ECHO_MODEL.format(latency_ms=echo_latency_ms))
        suite = SUITE.format(model="bench-echo", pattern=ECHO_PATTERN)
    (root / "suites" / "bench.yaml").write_text(suite)
    words = TEXT.split()
    with (root / "datasets" / "reviews.jsonl").open("w") as out:
        for i in range(cases):
            k = i % len(words)
            review = " ".join(words[k:] + words[:k])[: 60 + i % 90] + f" (order {i}), overall {ANSWER}."
            case = {
                "id": f"r{i:06d}",
                "vars": {"review": review, "n": i},
                "expected": ANSWER,
                "tags": ["bench"],
            }
            out.write(json.dumps(case) + "\n")
    (root / ".gitignore").write_text(".llmops/\n")
    if git:  # a scratch repository in the temp dir (never the source tree): run provenance reads git
        env = child_env(
            {
                "GIT_AUTHOR_NAME": "bench",
                "GIT_AUTHOR_EMAIL": "bench@example.invalid",
                "GIT_COMMITTER_NAME": "bench",
                "GIT_COMMITTER_EMAIL": "bench@example.invalid",
            }
        )
        for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench project"]):
            subprocess.run(["git", "-C", str(root), *cmd], check=True, env=env, capture_output=True)
    return root


@dataclass
class EvalRun:
    proc: Proc
    report: dict[str, Any]
    requests: int  # calls the server answered during the run


def run_eval(
    project: Path,
    server: BenchServer | None,
    *,
    cases: int,
    concurrency: int,
    no_cache: bool,
    expect_cached: bool = False,
    env: dict[str, str] | None = None,
) -> EvalRun:
    """Run `llmopsctl eval` in `project` and check it did exactly the expected work."""
    cli, _ = cli_command()
    cmd = [*cli, "eval", "--quiet", "--json", "--concurrency", str(concurrency)]
    if no_cache:
        cmd.append("--no-cache")
    before = server.stats()["requests"] if server else 0
    proc = run_child(cmd, cwd=project, env=env)
    requests = int(server.stats()["requests"] - before) if server else 0
    what = f"llmopsctl eval ({cases} cases, concurrency {concurrency}{', --no-cache' if no_cache else ''})"
    proc.check(what)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise BenchError(f"{what}: output is not JSON: {proc.stdout[:300]!r}") from None
    cached = sum(r.get("cached", 0) for r in report.get("runs", []))
    problems = []
    if report.get("cases") != cases:
        problems.append(f"{report.get('cases')} cases reported, expected {cases}")
    if report.get("errors") != 0:
        problems.append(f"{report.get('errors')} errors")
    if report.get("passed") != cases:
        problems.append(f"{report.get('passed')} passed, expected {cases}")
    if cached != (cases if expect_cached else 0):
        problems.append(f"{cached} cached, expected {cases if expect_cached else 0}")
    if server is not None and requests != (0 if expect_cached else cases):
        problems.append(f"the server answered {requests} calls, expected {0 if expect_cached else cases}")
    if problems:
        raise BenchError(f"{what}: " + "; ".join(problems) + f"\nstderr: {proc.stderr[-1000:]}")
    return EvalRun(proc, report, requests)


class Workspace:
    """Temp projects of one bench session, removed at the end."""

    def __init__(self) -> None:
        self.dirs: list[Path] = []

    def project(
        self, name: str, cases: int, server: BenchServer | None, echo_latency_ms: float = 20.0
    ) -> Path:
        root = scratch_dir(name)
        self.dirs.append(root)
        return write_project(
            root, cases, server.base_url if server else None, echo_latency_ms=echo_latency_ms
        )

    def close(self) -> None:
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


def measure_startup(ws: Workspace, server: BenchServer, runs: int) -> float:
    """Median wall time of a 1-case run in a fresh project, minus the one call's latency."""
    times = []
    for i in range(runs + 1):
        project = ws.project("startup", 1, server)
        result = run_eval(project, server, cases=1, concurrency=16, no_cache=True)
        if i:  # the first run warms .pyc files and the page cache
            times.append(result.proc.wall_s)
    return median(times) - server.latency_ms / 1000


def throughput_row(
    label: str,
    cases: int,
    latency_ms: float,
    concurrency: int,
    walls: list[float],
    startup: float,
    factor: float,
    rss_mb: float,
    *,
    info: bool = False,
) -> Row:
    ideal = cases * latency_ms / 1000 / concurrency
    wall = median(walls)
    limit = factor * ideal + startup
    work = wall - startup
    runs = f"median of {len(walls)}, " if len(walls) > 1 else ""
    return Row(
        label,
        f"{secs(wall)} wall ({runs}{secs(work)} after start-up = {work / ideal:.2f} x ideal {secs(ideal)}; "
        f"{cases / work:.0f} cases/s; peak RSS {rss_mb:.0f} MB)",
        "" if info else f"<= {factor:g} x {secs(ideal)} + start-up {secs(startup)} = {secs(limit)}",
        None if info else wall <= limit,
    )


def run(quick: bool = False, only: set[str] | None = None) -> list[Row]:
    want = only or {"1", "2", "3", "4", "5"}
    _, how = cli_command()
    log(f"[eval] llmopsctl runs as: {how}")
    n1 = 500
    n2 = 2_000 if quick else 10_000
    n4 = 10_000 if quick else 100_000
    rows: list[Row] = []
    ws = Workspace()
    try:
        with BenchServer(latency_ms=20) as server:
            log("[eval] server floor (raw asyncio client)")
            from llm_server import selftest

            floor, ideal = selftest(20, n2, 64)
            rows.append(
                Row(
                    f"eval: server floor, raw asyncio client, {n2:,} calls, 20 ms, concurrency 64",
                    f"{secs(floor)} = {floor / ideal:.2f} x ideal {secs(ideal)} (best case here)",
                )
            )
            log("[eval] start-up (1-case runs)")
            startup = measure_startup(ws, server, 3 if quick else 5)
            rows.append(
                Row(
                    "eval: start-up (1-case run, minus its 20 ms call)",
                    f"{ms(startup)} (median, fresh project)",
                )
            )
            if "1" in want:
                log(f"[eval] scenario 1: {n1} cases, concurrency 16")
                project = ws.project("s1", n1, server)
                results = [
                    run_eval(project, server, cases=n1, concurrency=16, no_cache=True)
                    for _ in range(1 if quick else 3)
                ]
                rows.append(
                    throughput_row(
                        f"eval 1: {n1:,} cases, 20 ms, concurrency 16, --no-cache",
                        n1,
                        20,
                        16,
                        [r.proc.wall_s for r in results],
                        startup,
                        1.2,
                        max(r.proc.maxrss_mb for r in results),
                    )
                )
            if want & {"2", "3"}:
                project = ws.project("s2", n2, server)
                log(f"[eval] scenario 2: {n2:,} cases, concurrency 64, --no-cache")
                s2 = run_eval(project, server, cases=n2, concurrency=64, no_cache=True)
                rows.append(
                    throughput_row(
                        f"eval 2: {n2:,} cases, 20 ms, concurrency 64, --no-cache",
                        n2,
                        20,
                        64,
                        [s2.proc.wall_s],
                        startup,
                        1.3,
                        s2.proc.maxrss_mb,
                    )
                )
                log(f"[eval] engine alone: {n2:,} cases, echo provider sleeping 20 ms, concurrency 64")
                echo = run_eval(ws.project("echo", n2, None), None, cases=n2, concurrency=64, no_cache=True)
                rows.append(
                    throughput_row(
                        f"eval (diagnostic): {n2:,} cases, echo provider (20 ms sleep, no HTTP), c 64",
                        n2,
                        20,
                        64,
                        [echo.proc.wall_s],
                        startup,
                        1.3,
                        echo.proc.maxrss_mb,
                        info=True,
                    )
                )
                log(f"[eval] filling the cache: {n2:,} cases, concurrency 64, cache on (cold)")
                cold = run_eval(project, server, cases=n2, concurrency=64, no_cache=False)
                ideal = n2 * 20 / 1000 / 64
                rows.append(
                    Row(
                        f"eval: {n2:,} cases, cold cache (looks up and writes the cache)",
                        f"{secs(cold.proc.wall_s)} wall ({(cold.proc.wall_s - startup) / ideal:.2f} x ideal "
                        f"after start-up; peak RSS {cold.proc.maxrss_mb:.0f} MB)",
                    )
                )
                if "3" in want:
                    log(f"[eval] scenario 3: {n2:,} cases, all cached")
                    hot = run_eval(
                        project, server, cases=n2, concurrency=64, no_cache=False, expect_cached=True
                    )
                    rows.append(
                        Row(
                            f"eval 3: {n2:,} cases, all from the cache",
                            f"{secs(hot.proc.wall_s)} wall ({n2 / hot.proc.wall_s:.0f} cases/s; "
                            f"peak RSS {hot.proc.maxrss_mb:.0f} MB)",
                            f"< {secs(CACHED_TARGET_S)}",
                            hot.proc.wall_s < CACHED_TARGET_S,
                        )
                    )
        if "5" in want:
            # Model APIs answer in hundreds of milliseconds: the engine's own cost next to that.
            n5 = 1_000 if quick else 4_000
            with BenchServer(latency_ms=250) as server:
                log(f"[eval] scenario 5: {n5:,} cases, 250 ms, concurrency 64, --no-cache")
                s5 = run_eval(ws.project("s5", n5, server), server, cases=n5, concurrency=64, no_cache=True)
                rows.append(
                    throughput_row(
                        f"eval 5 (realistic latency): {n5:,} cases, 250 ms, concurrency 64, --no-cache",
                        n5,
                        250,
                        64,
                        [s5.proc.wall_s],
                        startup,
                        1.3,
                        s5.proc.maxrss_mb,
                        info=True,
                    )
                )
        if "4" in want:
            with BenchServer(latency_ms=1) as server:
                log(f"[eval] scenario 4: {n4:,} cases, 1 ms, concurrency 64, --no-cache")
                project = ws.project("s4", n4, server)
                s4 = run_eval(project, server, cases=n4, concurrency=64, no_cache=True)
                rows.append(
                    Row(
                        f"eval 4: peak RSS, {n4:,} cases (JSONL), 1 ms, concurrency 64, --no-cache",
                        f"{s4.proc.maxrss_mb:.0f} MB (wall {secs(s4.proc.wall_s)}, "
                        f"{n4 / s4.proc.wall_s:.0f} cases/s)",
                        f"< {RSS_TARGET_MB:.0f} MB",
                        s4.proc.maxrss_mb < RSS_TARGET_MB,
                    )
                )
    finally:
        ws.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Throughput and memory of llmopsctl eval.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (2,000 and 10,000 cases)")
    parser.add_argument("--only", help="comma-separated scenario numbers, e.g. 2,3")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    try:
        print(markdown_table(run(args.quick, only)))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
