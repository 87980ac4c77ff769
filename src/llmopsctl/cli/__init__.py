"""Command-line interface. `main` answers `--version` before importing anything heavy."""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if args in (["--version"], ["-V"]):
        from llmopsctl import __version__

        sys.stdout.write(f"llmopsctl {__version__}\n")
        return
    from llmopsctl.cli.app import app

    app(prog_name="llmopsctl")
