"""Start-up time of the real CLI, as a subprocess.

- `llmopsctl --version` against `python -c pass` (median of ~20 runs each);
  target: at most 2 x (python -c pass) + 60 ms;
- `llmopsctl validate` of the quickstart project (`llmopsctl init` into a temp dir first), median of
  ~10 runs; target: at most 350 ms;
- `llmopsctl --help`, for information.

Run: python benchmarks/bench_startup.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from _common import (
    BenchError,
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
)

VERSION_TARGET_FACTOR = 2.0
VERSION_TARGET_EXTRA_S = 0.060
VALIDATE_TARGET_S = 0.350


def _times(cmd: list[str], runs: int, *, cwd: Path | None = None, expect: str | None = None) -> list[float]:
    env = child_env()
    warm = run_child(cmd, cwd=cwd, env=env)  # compiles .pyc files, warms the page cache
    warm.check(" ".join(cmd))
    if expect is not None and expect not in warm.stdout:
        raise BenchError(f"{' '.join(cmd)}: expected {expect!r} in the output, got {warm.stdout[:300]!r}")
    times = []
    for _ in range(runs):
        proc = run_child(cmd, cwd=cwd, env=env)
        proc.check(" ".join(cmd))
        times.append(proc.wall_s)
    return times


def run(quick: bool = False) -> list[Row]:
    cli, how = cli_command()
    log(f"[startup] llmopsctl runs as: {how}")
    n_version = 10 if quick else 20
    n_validate = 5 if quick else 10
    rows: list[Row] = []

    base = median(_times([sys.executable, "-c", "pass"], n_version))
    version = median(_times([*cli, "--version"], n_version, expect="llmopsctl "))
    limit = VERSION_TARGET_FACTOR * base + VERSION_TARGET_EXTRA_S
    rows.append(Row("startup: `python -c pass` (baseline)", ms(base)))
    rows.append(
        Row(
            "startup: `llmopsctl --version`",
            f"{ms(version)} ({ms(version - base)} over baseline)",
            f"<= 2 x baseline + 60 ms = {ms(limit)}",
            version <= limit,
        )
    )

    help_time = median(_times([*cli, "--help"], n_validate, expect="validate"))
    rows.append(Row("startup: `llmopsctl --help`", ms(help_time)))

    project = scratch_dir("quickstart")
    try:
        init = run_child([*cli, "init", str(project)], env=child_env())
        init.check("llmopsctl init")
        validate = median(_times([*cli, "validate"], n_validate, cwd=project, expect="ok:"))
    finally:
        shutil.rmtree(project, ignore_errors=True)
    rows.append(
        Row(
            "startup: `llmopsctl validate` (quickstart project)",
            ms(validate),
            f"<= {ms(VALIDATE_TARGET_S)}",
            validate <= VALIDATE_TARGET_S,
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Start-up time of llmopsctl.")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    try:
        print(markdown_table(run(args.quick)))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
