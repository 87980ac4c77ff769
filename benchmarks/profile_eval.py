"""Profile one `llmopsctl eval` in-process with cProfile (the fake model server runs in its own process).

    python benchmarks/profile_eval.py --cases 2000 --concurrency 64 [--cached] [--echo] [--top 40]

Prints the top functions; `--out FILE` also saves the raw stats (for snakeviz / pstats).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import time

from _common import SRC, child_env, scratch_dir
from bench_eval import write_project
from llm_server import BenchServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--cached", action="store_true", help="profile a second, fully cached run")
    parser.add_argument(
        "--echo", action="store_true", help="use the echo provider (no HTTP): the engine alone"
    )
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", help="save the raw profile here")
    args = parser.parse_args()

    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(key, None)
    os.environ.update({k: v for k, v in child_env().items() if k in ("NO_PROXY", "no_proxy", "NO_COLOR")})
    from llmopsctl.cli import main as cli_main

    root = scratch_dir("profile")
    cwd = os.getcwd()
    try:
        with BenchServer(args.latency_ms) as server:
            write_project(
                root, args.cases, None if args.echo else server.base_url, echo_latency_ms=args.latency_ms
            )
            os.chdir(root)
            argv = ["llmopsctl", "eval", "--quiet", "--json", "--concurrency", str(args.concurrency)]
            if args.cached:
                _run(cli_main, argv)  # fills the cache
            else:
                argv.append("--no-cache")
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            code = _run(cli_main, argv)
            profiler.disable()
            wall = time.perf_counter() - started
            print(
                f"exit code {code}, {wall:.2f} s wall, server answered {server.stats()['requests']} calls",
                file=sys.stderr,
            )
    finally:
        os.chdir(cwd)
        shutil.rmtree(root, ignore_errors=True)
    if args.out:
        profiler.dump_stats(args.out)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats(args.sort).print_stats(args.top)


def _run(cli_main: object, argv: list[str]) -> int:
    old = sys.argv
    sys.argv = argv
    try:
        cli_main()  # type: ignore[operator]
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv = old
    return 0


if __name__ == "__main__":
    main()
