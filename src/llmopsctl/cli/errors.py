"""The one place where exceptions become messages and exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import Any

import typer

from llmopsctl.errors import EXIT_INTERRUPTED, EXIT_UNEXPECTED, EXIT_USAGE, LlmopsError


def _err(text: str, color: str | None = None, bold: bool = False) -> None:
    typer.echo(typer.style(text, fg=color, bold=bold) if color else text, err=True)


def report_error(exc: LlmopsError) -> int:
    _err(f"error: {exc.message}", "red", bold=True)
    if exc.hint:
        _err(f"hint: {exc.hint}", "yellow")
    return exc.exit_code


def run_guarded(invoke: Callable[[], Any], *, debug: Callable[[], bool]) -> int:
    """Run the command, mapping every outcome to an exit code. Tracebacks never include local variables."""
    try:
        result = invoke()
    except LlmopsError as exc:
        if debug():
            traceback.print_exc()
        return report_error(exc)
    except typer.Exit as exc:
        if exc.exit_code == EXIT_INTERRUPTED:
            _err("interrupted", "yellow")
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _err("interrupted", "yellow")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # usage errors from argument parsing
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _err(f"error: {exc.format_message()}", "red")
        return EXIT_USAGE
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as exc:
        if debug():
            traceback.print_exc()
        _err(f"unexpected error: {type(exc).__name__}: {exc}", "red", bold=True)
        _err(
            "hint: this is a bug in llmopsctl; rerun with --debug and include the traceback in a bug report",
            "yellow",
        )
        return EXIT_UNEXPECTED
    return int(result) if isinstance(result, int) else 0
