"""The `llmopsctl` command: global options, sub-commands, and exit-code mapping."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from llmopsctl import __version__
from llmopsctl.cli.context import NO_PROJECT, forget_given_project, project_option
from llmopsctl.cli.errors import run_guarded
from llmopsctl.errors import UsageError


class _Group(TyperGroup):
    """Typer group whose `main` maps errors to exit codes, for the console script and CliRunner alike, and
    whose commands that work on a project all take `--project DIR` (after the command's name)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_project_option(self, top=True)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        forget_given_project()
        debug = "--debug" in argv
        code = run_guarded(
            lambda: super(_Group, self).main(
                argv, prog_name or "llmopsctl", complete_var, standalone_mode=False, **extra
            ),
            debug=lambda: debug,
        )
        if standalone_mode:
            sys.exit(code)
        return code


def _add_project_option(group: Any, *, top: bool = False) -> None:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group of commands (runs, cost, ...)
            _add_project_option(command)
        elif not (top and name in NO_PROJECT) and not any(p.name == "project" for p in command.params):
            command.params.append(project_option())


app = typer.Typer(
    cls=_Group,
    name="llmopsctl",
    help="Git-native LLMOps: versioned prompts and evals, results with provenance, baseline diffs, CI gates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llmopsctl {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    directory: Path = typer.Option(
        None, "-C", help="Run as if llmopsctl was started in DIR (like git -C).", metavar="DIR"
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of unexpected errors."),
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    if directory is not None:
        if not directory.is_dir():
            raise UsageError(f"-C {directory}: no such directory")
        os.chdir(directory)


def _register() -> None:
    from llmopsctl.cli import compare as compare_cmd
    from llmopsctl.cli import cost as cost_cmd
    from llmopsctl.cli import data as data_cmd
    from llmopsctl.cli import eval as eval_cmd
    from llmopsctl.cli import init as init_cmd
    from llmopsctl.cli import retention as retention_cmd
    from llmopsctl.cli import runs as runs_cmd
    from llmopsctl.cli import schema as schema_cmd
    from llmopsctl.cli import validate as validate_cmd

    app.command("init")(init_cmd.init)
    app.command("validate")(validate_cmd.validate)
    app.command("schema")(schema_cmd.schema)
    app.command("eval")(eval_cmd.eval_command)
    app.add_typer(runs_cmd.runs_app, name="runs")
    app.command("sql")(data_cmd.sql)
    app.add_typer(data_cmd.cache_app, name="cache")
    app.add_typer(compare_cmd.baseline_app, name="baseline")
    app.command("diff")(compare_cmd.diff)
    app.command("gate")(compare_cmd.gate)
    app.add_typer(cost_cmd.cost_app, name="cost")
    app.add_typer(retention_cmd.retention_app, name="retention")


_register()
