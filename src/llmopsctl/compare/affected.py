"""Which suites a set of changed files can affect; the suites a gate runs with `--changed-since`.

The rule, in order, for each file changed since the ref (committed, staged, unstaged or untracked):

1. A prompt, model or suite file, or llmops.yaml, whose edits touch only runtime settings (a timeout,
   retries, limits, concurrency, a cost cap, gate thresholds, descriptions: core.hashing.RUNTIME_KEYS)
   affects no suite: the answers stay the same.
2. A file a suite depends on (compare.dependencies: its files, its judges, the files its assertions and
   models name, the Python its models and scorers import from the project, its cassette and baseline)
   affects that suite.
3. llmops.yaml affects every suite.
4. Files that are known not to change results affect no suite: files outside the project, project files
   (prompts/, models/, datasets/, suites/) that no suite uses, everything else under .llmops/, and
   documentation and repository housekeeping (Markdown and reStructuredText files, README, LICENSE,
   CHANGELOG, .github/, .gitignore, pre-commit's configuration).
5. Any other file under the project affects every suite: a model may read it at run time in a way no
   static reading can see, and a gate that runs too much costs little while one that runs too little
   lets a regression merge.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from llmopsctl import gitio
from llmopsctl.compare.dependencies import suite_files
from llmopsctl.core.definitions import Suite
from llmopsctl.core.hashing import answer_hash
from llmopsctl.engine.plan import select_suites
from llmopsctl.errors import UsageError
from llmopsctl.project.loader import kind_of
from llmopsctl.project.model import KIND_DIRS, Project
from llmopsctl.project.yamlsource import SourceError, load_yaml_text, read_text

DOC_SUFFIXES = (".md", ".markdown", ".rst", ".adoc")
DOC_STEMS = ("readme", "license", "licence", "copying", "changelog", "changes", "authors", "notice")
HOUSEKEEPING = {
    ".github",
    ".gitignore",
    ".gitattributes",
    ".gitmodules",
    ".editorconfig",
    ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml",
    ".llmops",
    "CODEOWNERS",
}

# The text of a file as it was where the changes start (None: it did not exist there).
OldText = Callable[[Path], "str | None"]


def affected_suites(project: Project, changed: list[Path], old_text: OldText) -> dict[str, list[str]]:
    """The suites the `changed` files can affect, each with why (in the order of project.suites)."""
    depends = {name: suite_files(project, suite) for name, suite in project.suites.items()}
    reasons: dict[str, list[str]] = {name: [] for name in project.suites}
    for path in changed:
        path = path.resolve()
        rel = project.rel(path)
        kind = kind_of(project.root, path)
        if kind in ("llmops", "prompt", "model", "suite") and _runtime_only(path, kind, old_text):
            continue
        users = [name for name, files in depends.items() if path in files]
        for name in users:
            reasons[name].append(f"{rel} changed ({depends[name][path]})")
        if users:
            continue
        if kind == "llmops":
            why = f"{rel} changed"
        elif kind is not None or _unrelated(project.root, path):
            continue
        else:
            why = f"{rel} changed, and nothing tells it is unrelated to any suite"
        for name in reasons:
            reasons[name].append(why)
    return {name: why for name, why in reasons.items() if why}


def _runtime_only(path: Path, kind: str, old_text: OldText) -> bool:
    """Whether the file differs from its old text in runtime settings alone (or in formatting)."""
    old = old_text(path)
    if old is None or not path.is_file():
        return False
    try:
        before = load_yaml_text(old).data
        after = load_yaml_text(read_text(path)).data
    except SourceError:
        return False
    return answer_hash(kind, before) == answer_hash(kind, after)


def _unrelated(root: Path, path: Path) -> bool:
    """Whether a file no suite depends on is known not to change results (rule 4 above)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return True  # outside the project
    if not parts:
        return False
    if parts[0] in HOUSEKEEPING or "__pycache__" in parts:
        return True
    if len(parts) == 2 and parts[0] in KIND_DIRS.values() and parts[1].endswith((".yaml", ".yml")):
        return True  # a project file no suite uses (a dataset in another format is a kind file already)
    name = parts[-1].lower()
    return name.endswith(DOC_SUFFIXES) or name.split(".")[0] in DOC_STEMS


@dataclass(frozen=True)
class SuiteSelection:
    """The suites a gate runs, the ref `--changed-since` named (`auto` resolved to a real ref) and, with
    it, why each suite is affected."""

    suites: list[Suite]
    changed_since: str | None = None
    reasons: dict[str, list[str]] = field(default_factory=dict)


def auto_ref(root: Path) -> str:
    """What `--changed-since auto` means: the pushed range's old end under pre-commit's pre-push stage,
    else the branch's upstream, else origin/main or main."""
    pushed_from = os.environ.get("PRE_COMMIT_FROM_REF", "")
    candidates = ([pushed_from] if pushed_from.strip("0") else []) + ["@{upstream}", "origin/main", "main"]
    for ref in candidates:
        try:
            if gitio.resolve_ref(root, ref) is not None:
                return ref
        except gitio.GitError as exc:
            raise UsageError(f"--changed-since auto: {exc}") from None
    raise UsageError("--changed-since auto: no upstream branch, origin/main or main to compare with")


def select_gate_suites(project: Project, names: Sequence[str], changed_since: str | None) -> SuiteSelection:
    """The named suites (default: all), narrowed to those the files changed since `changed_since` (a git
    ref, or `auto`) can affect. With no suite left the gate has nothing to do."""
    chosen = select_suites(project, list(names))
    if not changed_since:
        return SuiteSelection(chosen)
    if changed_since == "auto":
        changed_since = auto_ref(project.root)
    root = project.root
    try:
        changed = gitio.changed_files(root, changed_since)
        base = gitio.diff_base(root, changed_since)
    except gitio.GitError as exc:
        raise UsageError(f"--changed-since: {exc}") from None

    def old_text(path: Path) -> str | None:
        try:
            return gitio.file_at(root, base, path)
        except (gitio.GitError, UnicodeDecodeError, ValueError):
            return None

    affected = affected_suites(project, changed, old_text)
    selected = [s for s in chosen if s.name in affected]
    return SuiteSelection(selected, changed_since, {s.name: affected[s.name] for s in selected})
