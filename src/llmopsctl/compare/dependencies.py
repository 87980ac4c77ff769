"""The files a suite's results depend on: what `--changed-since` matches changed files against.

A suite depends on its own file; its prompts, models and datasets; the judge and embedding models its
assertions name (`config.model`); every file an assertion or a model names (a JSON Schema file, a python
scorer's module, a rubric file: any string of `value`, `config` or a model's `options` that is the path of
a file in the project, or `module:function` of a project module); the Python files a python model or scorer
runs, with what they import from the project (llmopsctl.pysources); its recorded cassette (what `--replay`
answers from) and its baseline file (what `--base baseline` compares with).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from llmopsctl import pysources
from llmopsctl.core.assertions import Assertion
from llmopsctl.core.definitions import ModelConfig, Suite
from llmopsctl.project.model import Project

LONGEST_PATH = 512  # longer strings (rubrics, inline schemas, expected answers) are never file names


def suite_files(project: Project, suite: Suite) -> dict[Path, str]:
    """Each file the suite depends on (resolved), with what it is to the suite, e.g. `model bot`."""
    root = project.root
    files: dict[Path, str] = {suite.path.resolve(): f"suite {suite.name}"}

    def add(paths: Iterable[Path], what: str) -> None:
        for path in paths:
            files.setdefault(path.resolve(), what)

    for name in suite.prompts:
        if name in project.prompts:
            add([project.prompts[name].path], f"prompt {name}")
    for name in suite.datasets:
        if name in project.datasets:
            add([project.datasets[name].path], f"dataset {name}")
    asserts = list(_assertions(project, suite))
    judges = {a.config["model"] for a in asserts if isinstance(a.config.get("model"), str)}
    for name in sorted({*suite.models, *judges}):
        model = project.models.get(name)
        if model is not None:
            add([model.path], f"model {name}")
            add(_model_sources(project, model), f"model {name}")
    strings = {s for a in asserts for s in _strings((a.value, dict(a.config)))}
    for text in sorted(strings):
        add(_named_files(root, text), f"an assertion of suite {suite.name} ({text})")
    llmops = root / ".llmops"
    add([llmops / "cassettes" / f"{suite.name}.jsonl"], f"the cassette of suite {suite.name}")
    add([llmops / "baselines" / f"{suite.name}.json"], f"the baseline of suite {suite.name}")
    return files


def _assertions(project: Project, suite: Suite) -> Iterator[Assertion]:
    """Every assertion the suite can score with, the members of assert-sets included."""

    def visit(assertions: Iterable[Assertion]) -> Iterator[Assertion]:
        for assertion in assertions:
            yield assertion
            if assertion.type == "assert-set":  # it cannot be negated
                yield from visit(assertion.members())

    yield from visit(suite.asserts)
    for name in suite.datasets:
        dataset = project.datasets.get(name)
        for case in dataset.cases if dataset is not None else ():
            yield from visit(case.asserts)


def _model_sources(project: Project, model: ModelConfig) -> set[Path]:
    """A python model's source files, and any file its options name."""
    found: set[Path] = set()
    if model.provider == "python":
        module_ref = model.model.rpartition(":")[0]
        found |= pysources.sources(project.root, module_ref)
    for text in _strings(dict(model.options)):
        found |= _named_files(project.root, text)
    return found


def _strings(value: Any) -> Iterator[str]:
    """The strings in `value` (nested in mappings and lists) that could name a file."""
    if isinstance(value, str):
        text = value.strip()
        if text and len(text) <= LONGEST_PATH and "\n" not in text and "{{" not in text:
            yield text
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _named_files(root: Path, text: str) -> set[Path]:
    """The files `text` names: a file relative to the project root, or `module:function` (python code)."""
    found: set[Path] = set()
    try:
        path = Path(text).expanduser()
        path = path if path.is_absolute() else root / path
        if path.is_file():
            found.add(path.resolve())
    except (OSError, ValueError, RuntimeError):  # not a usable path (a null byte, an unknown ~user)
        pass
    module_ref, sep, attr = text.rpartition(":")
    if sep and module_ref and attr.replace(".", "_").isidentifier():
        try:
            found |= pysources.sources(root, module_ref)
        except (OSError, ValueError, RuntimeError):
            pass
    return found
