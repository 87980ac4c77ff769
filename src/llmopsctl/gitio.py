"""The only module that imports git (GitPython): commit, branch, dirty flag, files at a ref, changed files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GitState:
    sha: str | None = None
    branch: str | None = None
    dirty: bool | None = None


def state(path: Path) -> GitState:
    """Where the working tree at `path` stands; all None outside a git repository or without git."""
    try:
        import git
    except ImportError:  # GitPython present but no git executable
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
