"""Run every benchmark, print a Markdown table and write it to benchmarks/results/latest.md.

    python benchmarks/run_all.py [--quick] [--only startup|eval|eval:1,2,...]

The exit code is 0 even when a target is missed (the table says MISSED); it is 1 only when a benchmark
could not measure at all (a command failed, or did not do the work it should have).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone

import bench_eval
import bench_startup
import bench_units
from _common import RESULTS, ROOT, BenchError, Row, cleanup, cli_command, log, markdown_table

BENCHES = ("startup", "units", "eval")


def _git_state() -> str:
    """Commit and dirty flag of the source tree, read-only."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + (" (with uncommitted changes)" if dirty else "")


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("httpx", "httpcore", "anyio", "sniffio", "duckdb", "typer"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} -")
    return ", ".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the llmopsctl benchmarks.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repetitions")
    parser.add_argument(
        "--only",
        metavar="NAME",
        help="one benchmark: startup, units, eval, or eval:N[,N...] for some eval scenarios (1-4)",
    )
    args = parser.parse_args()
    name, _, scenarios = (args.only or "").partition(":")
    if name and name not in BENCHES:
        parser.error(f"--only: unknown benchmark {name!r} (known: {', '.join(BENCHES)})")

    started = time.perf_counter()
    rows: list[Row] = []
    failures: list[str] = []
    for bench in BENCHES:
        if name and bench != name:
            continue
        log(f"== {bench}")
        try:
            if bench == "startup":
                rows += bench_startup.run(args.quick)
            elif bench == "units":
                rows += bench_units.run(args.quick)
            else:
                only = set(scenarios.split(",")) if scenarios else None
                rows += bench_eval.run(args.quick, only)
        except BenchError as exc:
            failures.append(f"{bench}: {exc}")
            rows.append(Row(f"{bench}: could not measure", str(exc).splitlines()[0], "", False))
        except Exception:
            failures.append(f"{bench}: {traceback.format_exc()}")
            rows.append(Row(f"{bench}: crashed", "see the log", "", False))
    _, how = cli_command()
    cleanup()

    missed = [r for r in rows if r.ok is False]
    header = [
        "# llmopsctl benchmarks",
        "",
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}; mode: {'quick' if args.quick else 'full'}"
        f"; took {time.perf_counter() - started:.0f} s",
        f"- source: {_git_state()}",
        f"- machine: {platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}; {_versions()}",
        f"- llmopsctl run as: {how}",
        "",
    ]
    verdict = (
        f"**MISSED: {len(missed)} target(s)**: " + "; ".join(r.metric for r in missed)
        if missed
        else "All targets met."
    )
    text = "\n".join([*header, markdown_table(rows), "", verdict, ""])
    if failures:
        text += "\n## Errors\n\n```\n" + "\n\n".join(failures) + "\n```\n"
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text)
    log(f"written to {RESULTS / 'latest.md'}")
    if missed:
        log(f"MISSED {len(missed)} target(s)")
    return 1 if failures else 0


def _cpus() -> str:
    import os

    return str(os.cpu_count() or "?")


if __name__ == "__main__":
    sys.exit(main())
