"""The llmopsctl that `init`'s workflow and pre-commit hooks install: exactly the one that wrote them (read
from the running installation's metadata), or the one given with `--install-spec`; never a bare name."""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from ci_helpers import (
    base_env,
    find_step,
    fresh_venv,
    git_requirement,
    load_workflow,
    run_step,
    snapshot_repo,
)
from conftest import Cli
from gate_helpers import commit, init_repo
from llmopsctl import __version__, gitio
from llmopsctl.errors import UsageError
from llmopsctl.project import installation
from llmopsctl.project.installation import InstallSpec, chosen_install, from_checkout, install_spec
from llmopsctl.project.scaffold import render

SHA = "0123456789abcdef0123456789abcdef01234567"
WORKFLOW = ".github/workflows/llmops.yml"


def fake_dist(
    root: Path, direct_url: dict[str, Any] | str | None, version: str = "1.2.3"
) -> metadata.Distribution:
    """An installed llmopsctl's metadata, with this direct_url.json (None: none, as from an index)."""
    info = root / f"llmopsctl-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: llmopsctl\nVersion: {version}\n")
    if direct_url is not None:
        text = direct_url if isinstance(direct_url, str) else json.dumps(direct_url)
        (info / "direct_url.json").write_text(text)
    return metadata.PathDistribution(info)


def all_text(spec: InstallSpec) -> str:
    return " ".join([spec.requirement, spec.origin, spec.advice, *spec.note()])


# --- from the running installation's metadata ------------------------------------------------------------


def test_an_install_from_an_index_is_pinned_to_its_version(tmp_path: Path) -> None:
    spec = install_spec(fake_dist(tmp_path, None))
    assert spec.requirement == "llmopsctl==1.2.3"
    assert spec.portable
    assert "package index" in spec.origin
    assert "PIP_INDEX_URL" in spec.advice  # a private index must be reachable from CI too


def test_a_vcs_install_is_its_url_at_the_commit_without_credentials(tmp_path: Path) -> None:
    direct = {
        "url": "https://deploy:s3cr3t-token@git.example.com/org/llmopsctl.git",
        "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "v1.2.3"},
        "subdirectory": "python",
    }
    spec = install_spec(fake_dist(tmp_path, direct))
    assert (
        spec.requirement
        == f"llmopsctl @ git+https://git.example.com/org/llmopsctl.git@{SHA}#subdirectory=python"
    )
    assert spec.portable and not spec.advice
    assert "s3cr3t" not in all_text(spec) and "deploy" not in all_text(spec)


def test_an_ssh_vcs_install_keeps_its_user_name(tmp_path: Path) -> None:
    direct = {
        "url": "ssh://git@git.example.com/org/llmopsctl.git",
        "vcs_info": {"vcs": "git", "commit_id": SHA},
    }
    spec = install_spec(fake_dist(tmp_path, direct))
    assert spec.requirement == f"llmopsctl @ git+ssh://git@git.example.com/org/llmopsctl.git@{SHA}"


def test_a_vcs_install_from_a_repository_on_this_machine_is_not_portable(tmp_path: Path) -> None:
    direct = {"url": "file:///home/me/llmopsctl", "vcs_info": {"vcs": "git", "commit_id": SHA}}
    spec = install_spec(fake_dist(tmp_path, direct))
    assert spec.requirement == f"llmopsctl @ git+file:///home/me/llmopsctl@{SHA}"
    assert not spec.portable
    assert "on this machine" in spec.advice
    assert spec.note()[1].startswith("NOTE: ")


def test_an_archive_install_is_its_url_with_its_hash(tmp_path: Path) -> None:
    url = "https://files.example.com/llmopsctl-1.2.3-py3-none-any.whl"
    direct = {"url": url, "archive_info": {"hashes": {"sha256": "ab" * 32}}}
    spec = install_spec(fake_dist(tmp_path, direct))
    assert spec.requirement == f"llmopsctl @ {url}#sha256={'ab' * 32}"
    assert spec.portable

    local = install_spec(fake_dist(tmp_path / "b", {"url": "file:///tmp/llmopsctl.whl", "archive_info": {}}))
    assert local.requirement == "llmopsctl @ file:///tmp/llmopsctl.whl"
    assert not local.portable
    assert "/tmp/llmopsctl.whl" in local.origin


def test_an_install_from_a_local_directory_says_so(tmp_path: Path) -> None:
    checkout = tmp_path / "src" / "llmopsctl"
    spec = install_spec(fake_dist(tmp_path, {"url": checkout.as_uri(), "dir_info": {"editable": True}}))
    assert spec.requirement == f"llmopsctl @ {checkout.as_uri()}"
    assert not spec.portable
    assert spec.local_dir == checkout
    assert spec.origin == f"an editable install of the local directory {checkout}"
    assert "git URL at a commit" in spec.advice


def test_unreadable_metadata_gives_the_version_and_says_so(tmp_path: Path) -> None:
    spec = install_spec(fake_dist(tmp_path, "{not json"))
    assert spec.requirement == "llmopsctl==1.2.3"
    assert not spec.portable


# --- a local checkout: its remote at the checked-out commit ------------------------------------------------


def _checkout_spec(tmp_path: Path, remote: str | None, *, dirty: bool = False, sub: str = "") -> InstallSpec:
    repo = init_repo(tmp_path / "clone")
    (tmp_path / "clone" / "README").write_text("x")
    sha = commit(repo, "first")
    if remote is not None:
        repo.create_remote("origin", remote)
    if dirty:
        (tmp_path / "clone" / "README").write_text("changed")
    local = tmp_path / "clone" / sub if sub else tmp_path / "clone"
    local.mkdir(exist_ok=True)
    spec = install_spec(fake_dist(tmp_path / "meta", {"url": local.as_uri(), "dir_info": {"editable": True}}))
    found = gitio.checkout(local)
    assert found is not None and found.commit == sha
    return from_checkout(spec, found.top, found.commit, found.remote_url, found.dirty)


def test_a_checkout_with_a_remote_installs_from_the_remote_at_its_commit(tmp_path: Path) -> None:
    spec = _checkout_spec(tmp_path, "https://me:ghp_t0ken@git.example.com/org/llmopsctl.git", sub="python")
    sha = gitio.checkout(tmp_path / "clone")
    assert sha is not None
    assert spec.requirement == (
        f"llmopsctl @ git+https://git.example.com/org/llmopsctl.git@{sha.commit}#subdirectory=python"
    )
    assert "must be pushed to https://git.example.com/org/llmopsctl.git" in spec.advice
    assert "uncommitted" not in spec.advice
    assert "t0ken" not in all_text(spec)
    assert not spec.portable  # init still says plainly that it came from a local directory


def test_a_dirty_checkout_says_its_changes_are_not_installed(tmp_path: Path) -> None:
    spec = _checkout_spec(tmp_path, "git@git.example.com:org/llmopsctl.git", dirty=True)
    assert spec.requirement.startswith("llmopsctl @ git+ssh://git@git.example.com/org/llmopsctl.git@")
    assert "uncommitted changes" in spec.advice


@pytest.mark.parametrize("remote", [None, "/srv/git/llmopsctl.git", "file:///srv/git/llmopsctl.git"])
def test_a_checkout_without_a_remote_ci_can_reach_keeps_the_directory(
    tmp_path: Path, remote: str | None
) -> None:
    spec = _checkout_spec(tmp_path, remote)
    assert spec.requirement == f"llmopsctl @ {(tmp_path / 'clone').as_uri()}"


# --- --install-spec ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "   ", "-e .", "llmopsctl\nrm -rf /"])
def test_a_bad_install_spec_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError):
        chosen_install(bad)


def test_an_install_spec_with_credentials_is_refused_without_showing_them(cli: Cli, tmp_path: Path) -> None:
    spec = f"llmopsctl @ git+https://me:ghp_s3cret@git.example.com/org/llmopsctl.git@{SHA}"
    result = cli("init", tmp_path / "p", "--install-spec", spec)
    assert result.exit_code == 2
    assert "git+https://git.example.com/org/llmopsctl.git" in result.stderr
    assert "is given with credentials" in result.stderr
    assert "s3cret" not in result.output
    assert not (tmp_path / "p").exists()
    ssh = f"llmopsctl @ git+ssh://git@git.example.com/org/llmopsctl.git@{SHA}"  # a user name is no secret
    assert chosen_install(ssh).requirement == ssh


def test_init_with_a_bad_install_spec_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path / "p", "--install-spec", "-e .")
    assert result.exit_code == 2
    assert "--install-spec '-e .': one pip requirement" in result.stderr
    assert not (tmp_path / "p").exists()


def _installed(project: Path) -> tuple[str, list[str]]:
    """The requirement the workflow installs and the pre-commit hooks' additional dependencies."""
    workflow = load_workflow(project / WORKFLOW)
    step = find_step(workflow, "gate", "Install llmopsctl")
    assert step["run"] == 'pip install "$LLMOPSCTL_INSTALL"'
    hooks = [
        h
        for r in yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
        for h in r["hooks"]
    ]
    assert {h["language"] for h in hooks} == {"python"}
    deps = {tuple(h["additional_dependencies"]) for h in hooks}
    assert len(deps) == 1
    return workflow["env"]["LLMOPSCTL_INSTALL"], list(deps.pop())


def test_init_writes_the_given_install_spec_in_one_marked_place(cli: Cli, tmp_path: Path) -> None:
    spec = f"llmopsctl @ git+https://git.example.com/org/llmopsctl.git@{SHA}"
    result = cli("init", tmp_path / "p", "--install-spec", spec)
    assert result.exit_code == 0, result.output
    assert _installed(tmp_path / "p") == (spec, [spec])
    assert f"the CI workflow and the pre-commit hooks install {spec}" in result.stdout
    assert result.stderr == ""
    text = (tmp_path / "p" / WORKFLOW).read_text()
    assert text.count(spec) == 1
    assert "Chosen with `llmopsctl init --install-spec`" in text
    assert "pip install llmopsctl" not in text


def test_init_takes_the_install_spec_from_the_environment(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPSCTL_INSTALL_SPEC", "llmopsctl==9.9.9")
    assert cli("init", tmp_path / "p").exit_code == 0
    assert _installed(tmp_path / "p") == ("llmopsctl==9.9.9", ["llmopsctl==9.9.9"])


def test_init_from_a_local_directory_says_so_and_writes_what_to_change(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "llmopsctl-src"  # not in git: nothing better than the directory itself
    source.mkdir()
    dist = fake_dist(tmp_path / "meta", {"url": source.as_uri(), "dir_info": {"editable": True}})
    monkeypatch.setattr(installation.metadata, "distribution", lambda name: dist)
    result = cli("init", tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert _installed(tmp_path / "p") == (
        f"llmopsctl @ {source.as_uri()}",
        [f"llmopsctl @ {source.as_uri()}"],
    )
    assert f"warning: the llmopsctl running now is an editable install of the local directory {source}" in (
        result.stderr.replace("\n", " ")
    )
    assert "--install-spec SPEC" in result.stderr
    text = (tmp_path / "p" / WORKFLOW).read_text()
    assert "# NOTE: Other machines (CI, your team's) cannot install from a directory on this one" in text
    assert "# NOTE: Other machines" in (tmp_path / "p" / ".pre-commit-config.yaml").read_text()


def test_init_from_an_index_install_pins_the_version(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = fake_dist(tmp_path / "meta", None, version="2.0.1")
    monkeypatch.setattr(installation.metadata, "distribution", lambda name: dist)
    result = cli("init", tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert _installed(tmp_path / "p") == ("llmopsctl==2.0.1", ["llmopsctl==2.0.1"])
    assert result.stderr == ""


def test_templates_leave_no_token_unfilled(cli: Cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path / "p", "--install-spec", "llmopsctl==1.0").exit_code == 0
    for path in (tmp_path / "p").rglob("*"):
        if path.is_file():
            assert "%%" not in path.read_text(encoding="utf-8"), path


def test_render_fills_inline_tokens_and_blocks() -> None:
    text = "a: %%one%%\nenv:\n  %%block%%\nend: %%one%%\n  %%empty%%\n"
    values = {"one": '"1"', "block": ["X: 1", "Y: 2"], "empty": []}
    assert render(text, values) == 'a: "1"\nenv:\n  X: 1\n  Y: 2\nend: "1"\n'
    with pytest.raises(KeyError, match="%%missing%% has no value"):
        render("%%missing%%", values)
    with pytest.raises(KeyError, match="must stand alone"):
        render("x: %%block%%", values)


# --- the workflow's own install command, in a fresh virtual environment -----------------------------------


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_workflow_install_step_installs_the_llmopsctl_it_names(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "llmopsctl-repo"
    sha = snapshot_repo(source)
    spec = git_requirement(source, sha)
    assert cli("init", tmp_path / "p", "--install-spec", spec).exit_code == 0
    workflow = load_workflow(tmp_path / "p" / WORKFLOW)
    assert workflow["env"]["LLMOPSCTL_INSTALL"] == spec

    bin_dir = fresh_venv(tmp_path / "venv")
    env = {**base_env(), "PATH": f"{bin_dir}:{base_env()['PATH']}"}
    installed = run_step(workflow, "gate", "Install llmopsctl", cwd=tmp_path / "p", env=env)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    version = run_step_command(bin_dir / "llmopsctl", "--version", env=env)
    assert version == f"llmopsctl {__version__}\n"


def run_step_command(exe: Path, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
