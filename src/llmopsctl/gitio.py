"""The only module that imports git (GitPython): commit, branch, dirty flag, files at a ref, changed files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


class GitError(Exception):
    """A git operation failed (not a repository, unknown ref, ...)."""


def _git() -> ModuleType | None:
    """GitPython, or None when it cannot work (it raises ImportError when no git executable is installed)."""
    try:
        # lazy: GitPython is slow to import, and only the commands that read git pay for it
        import git
    except ImportError:
        return None
    return git


def _require_git() -> Any:
    git = _git()
    if git is None:
        raise GitError("git is not installed (no git executable found)")
    return git


@dataclass(frozen=True)
class GitState:
    sha: str | None = None
    branch: str | None = None
    dirty: bool | None = None


def state(path: Path) -> GitState:
    """Where the working tree at `path` stands; all None outside a git repository or without git."""
    git: Any = _git()
    if git is None:
        return GitState()
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return GitState()
    try:
        sha = repo.head.commit.hexsha if repo.head.is_valid() else None
        branch = None if repo.head.is_detached else repo.active_branch.name
        dirty = repo.is_dirty(untracked_files=True)
    except (ValueError, TypeError, git.GitCommandError):
        return GitState()
    finally:
        repo.close()
    return GitState(sha, branch, dirty)


def _repo(path: Path) -> Any:
    git = _require_git()
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(f"{path} is not inside a git repository") from None


def resolve_ref(path: Path, ref: str) -> str | None:
    """The commit sha `ref` names, or None when it names nothing."""
    git = _require_git()
    repo = _repo(path)
    try:
        return str(repo.commit(ref).hexsha)
    except (git.BadName, ValueError, git.GitCommandError):
        return None
    finally:
        repo.close()


def file_at(path: Path, ref: str, file: Path) -> str | None:
    """Text of `file` (absolute, or relative to `path`) as committed at `ref`; None if absent there."""
    git = _require_git()
    repo = _repo(path)
    try:
        top = Path(str(repo.working_tree_dir)).resolve()
        rel = (file.resolve() if file.is_absolute() else (path.resolve() / file)).relative_to(top).as_posix()
        try:
            blob = repo.commit(ref).tree / rel
        except KeyError:
            return None
        except (git.BadName, ValueError) as exc:
            raise GitError(f"unknown git ref {ref!r}") from exc
        data: bytes = blob.data_stream.read()
        return data.decode("utf-8")
    finally:
        repo.close()


def _diff_base(git: Any, repo: Any, ref: str) -> Any:
    """The commit a branch's changes since `ref` start from: its merge base with HEAD, else `ref` itself."""
    try:
        base = repo.merge_base(ref, "HEAD") if repo.head.is_valid() else []
        return base[0] if base else repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError) as exc:
        raise GitError(f"unknown git ref {ref!r}") from exc


def diff_base(path: Path, ref: str) -> str:
    """The sha of the commit `changed_files(path, ref)` compares the working tree with."""
    git = _require_git()
    repo = _repo(path)
    try:
        return str(_diff_base(git, repo, ref).hexsha)
    finally:
        repo.close()


def changed_files(path: Path, ref: str) -> list[Path]:
    """Files that differ between `ref` (its merge base with HEAD) and the working tree, untracked included;
    a renamed file is listed under its old and its new name."""
    git = _require_git()
    repo = _repo(path)
    try:
        top = Path(str(repo.working_tree_dir)).resolve()
        base_commit = _diff_base(git, repo, ref)
        names: set[str] = set()
        for diff in base_commit.diff(None):
            for name in (diff.a_path, diff.b_path):
                if name:
                    names.add(name)
        names.update(repo.untracked_files)
        return sorted(top / n for n in names)
    finally:
        repo.close()


@dataclass(frozen=True)
class Checkout:
    """The git working tree holding a directory: its top, its checked-out commit and where it came from."""

    top: Path
    commit: str | None  # None before the first commit
    dirty: bool
    remote_url: str | None  # the URL of `origin`, else of the only remote; None without one


def checkout(path: Path) -> Checkout | None:
    """The working tree holding `path` (which need not exist yet: its nearest existing parent counts); None
    outside a git repository or without git."""
    git: Any = _git()
    if git is None:
        return None
    start = path.resolve()
    while not start.exists() and start != start.parent:
        start = start.parent
    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        if repo.bare or repo.working_tree_dir is None:
            return None
        top = Path(str(repo.working_tree_dir)).resolve()
        commit = repo.head.commit.hexsha if repo.head.is_valid() else None
        remotes = {remote.name: remote for remote in repo.remotes}
        remote = remotes.get("origin") or (next(iter(remotes.values())) if len(remotes) == 1 else None)
        url = next(iter(remote.urls), None) if remote is not None else None
        return Checkout(top, commit, repo.is_dirty(untracked_files=True), url)
    except (ValueError, TypeError, git.GitCommandError):
        return None
    finally:
        repo.close()
