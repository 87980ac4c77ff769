"""What the benchmarks share: how to launch the real CLI, timing a child process, peak RSS, the table.

The CLI is always run as a separate process, exactly as a user runs it:

- `<venv>/bin/llmopsctl` (the console script pip writes) when it exists next to this interpreter;
- otherwise a copy of pip's console-script wrapper (`import re, sys; from llmopsctl.cli import main;
  sys.exit(main())`) run by this interpreter, which costs the same as the real script (no `runpy`,
  unlike `python -m llmopsctl`). The source tree's `src/` is put on PYTHONPATH when llmopsctl is not
  importable otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
RESULTS = Path(__file__).resolve().parent / "results"
# Compiled .pyc files of the children go here (an installed package has them; this environment sets
# PYTHONDONTWRITEBYTECODE, which would make every run recompile llmopsctl from source). Outside the tree.
PYCACHE = Path(tempfile.gettempdir()) / "llmopsctl-bench-pycache"

_SHIM = """\
# A copy of the wrapper pip writes for the `llmopsctl = llmopsctl.cli:main` console script.
import re
import sys
from llmopsctl.cli import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""
_shim_dir: Path | None = None


@dataclass
class Row:
    """One line of the results table. ok=None: for information, no target."""

    metric: str
    measured: str
    target: str = ""
    ok: bool | None = None

    @property
    def status(self) -> str:
        return "info" if self.ok is None else ("pass" if self.ok else "**MISSED**")


@dataclass
class Proc:
    returncode: int
    wall_s: float
    maxrss_mb: float  # peak resident set size of this child alone (from wait4)
    stdout: str
    stderr: str

    def check(self, what: str) -> None:
        if self.returncode != 0:
            tail = "\n".join((self.stderr or self.stdout).strip().splitlines()[-15:])
            raise BenchError(f"{what}: exit code {self.returncode}\n{tail}")


class BenchError(RuntimeError):
    """A benchmark could not measure what it should (the command failed or did the wrong work)."""


def scratch_dir(prefix: str) -> Path:
    """A new temporary directory outside the source tree (the caller removes it)."""
    path = Path(tempfile.mkdtemp(prefix=f"llmopsctl-bench-{prefix}-"))
    if ROOT in path.parents:
        raise BenchError(f"refusing to work inside the source tree: {path}")
    return path


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if importlib.util.find_spec("llmopsctl") is None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(var, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["NO_COLOR"] = "1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env.update(extra or {})
    return env


def cli_command() -> tuple[list[str], str]:
    """(argv prefix that runs llmopsctl, description of it)."""
    script = Path(sys.executable).parent / "llmopsctl"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)], f"console script {script}"
    global _shim_dir
    if _shim_dir is None:
        _shim_dir = scratch_dir("shim")
        (_shim_dir / "llmopsctl").write_text(_SHIM)
    return (
        [sys.executable, str(_shim_dir / "llmopsctl")],
        f"pip's console-script wrapper run by {sys.executable} (no console script installed in this venv)",
    )


def cleanup() -> None:
    global _shim_dir
    if _shim_dir is not None:
        shutil.rmtree(_shim_dir, ignore_errors=True)
        _shim_dir = None


def run_child(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = 600.0,
) -> Proc:
    """Run a command to completion; wall time from spawn to exit, and its own peak RSS (wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env if env is not None else child_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        timer = threading.Timer(timeout_s, _kill, (proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Proc(
            returncode=proc.returncode,
            wall_s=wall,
            maxrss_mb=usage.ru_maxrss / 1024.0,  # Linux: KiB
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| metric | measured | target | result |", "|---|---|---|---|"]
    for row in rows:
        cells = [row.metric, row.measured, row.target or "-", row.status]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
