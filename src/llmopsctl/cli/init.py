"""`llmopsctl init`: scaffold a project from a shipped template."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from llmopsctl.project.installation import InstallSpec
    from llmopsctl.project.scaffold import ScaffoldResult


def init(
    directory: Path = typer.Argument(
        None, help="Where to create the project (default: $LLMOPSCTL_PROJECT, else here).", show_default=False
    ),
    template: str = typer.Option("quickstart", "--template", "-t", help="Template to start from."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
    install_spec: str = typer.Option(
        None,
        "--install-spec",
        envvar="LLMOPSCTL_INSTALL_SPEC",
        metavar="SPEC",
        help="The pip requirement the CI workflow and the pre-commit hooks install llmopsctl with "
        "(default: the llmopsctl running now, e.g. 'llmopsctl @ git+https://HOST/ORG/llmopsctl.git@COMMIT').",
    ),
) -> None:
    """Create llmops.yaml, a prompt, models, a golden dataset and a suite, ready to validate and run; and,
    at the top of the git repository the project is in, a GitHub workflow and a pre-commit configuration."""
    from llmopsctl import gitio
    from llmopsctl.cli.context import given_project
    from llmopsctl.project.scaffold import scaffold

    if directory is None:
        given = given_project()
        directory = Path(given[0]) if given else Path(".")
    install = _install(install_spec)
    found = gitio.checkout(directory)
    top = found.top if found is not None else None
    result = scaffold(directory, template, force=force, install=install, repo_top=top)
    _report(result, directory, top, install)
    where = "" if directory.resolve() == Path.cwd().resolve() else f" -C {directory}"
    typer.echo("")
    typer.echo(f"next: llmopsctl{where} validate && llmopsctl{where} eval")


def _report(result: ScaffoldResult, directory: Path, top: Path | None, install: InstallSpec) -> None:
    for rel in result.created:
        typer.echo(f"created  {rel}")
    for rel in result.overwritten:
        typer.echo(f"replaced {rel}")
    for rel in result.skipped:
        typer.echo(f"kept     {rel} (exists; --force replaces it)")
    if top is not None and top != directory.resolve():
        where = directory.resolve().relative_to(top).as_posix()
        typer.echo(
            f"the project is {where}/ in the git repository at {top}: the workflow and the pre-commit "
            "config are at the repository's top, and name the project's directory"
        )
    if any(rel.endswith(".pre-commit-config.yaml") for rel in result.skipped):
        typer.echo(
            "note: the repository has a .pre-commit-config.yaml already: add the llmopsctl-validate and "
            "llmopsctl-gate hooks to it (see the README's pre-commit section)"
        )
    written = result.created + result.overwritten
    if any(rel.endswith((".github/workflows/llmops.yml", ".pre-commit-config.yaml")) for rel in written):
        _tell_install(install)


def _install(requirement: str | None) -> InstallSpec:
    """The llmopsctl CI and the hooks install: the one given, else the running one (for a local checkout,
    its git remote at the checked-out commit)."""
    from llmopsctl import gitio
    from llmopsctl.project.installation import chosen_install, from_checkout, running_install

    if requirement is not None:
        return chosen_install(requirement)
    spec = running_install()
    if spec.local_dir is not None:
        found = gitio.checkout(spec.local_dir)
        if found is not None:
            spec = from_checkout(spec, found.top, found.commit, found.remote_url, found.dirty)
    return spec


def _tell_install(install: InstallSpec) -> None:
    typer.echo(f"the CI workflow and the pre-commit hooks install {install.requirement}")
    if not install.portable:
        typer.echo(
            f"warning: the llmopsctl running now is {install.origin}: {install.advice}. "
            "Change the marked line (LLMOPSCTL_INSTALL in the workflow, additional_dependencies in the "
            "pre-commit config) or run init again with --install-spec SPEC.",
            err=True,
        )
