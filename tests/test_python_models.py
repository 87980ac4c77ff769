"""A `provider: python` model whose function cannot be loaded: `validate` reports it at the model file's
`model` key without running the user's code, and `eval` stops with exit 2 before any case runs. An
exception the function raises while answering a case stays an error of that case."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import problem_lines
from eval_helpers import MakeProject, ModelDef, cli, db_path, eval_json, query, results
from llmopsctl.userfunc import MODEL_ARGUMENTS, static_problem

Validate = Callable[..., Result]

MODEL_FILE = "models/keyword-baseline.yaml"
MODEL_LINE = 6  # `model:` in the quickstart's model file; its value starts in column 8


@pytest.fixture(autouse=True)
def _forget_user_modules() -> Iterator[None]:
    """Modules imported from the tests' projects do not outlive the test (their names repeat)."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(("pm_", "_llmopsctl_user_")):
            del sys.modules[name]


def set_model(project: Path, model: str, files: dict[str, str] | None = None) -> None:
    path = project / MODEL_FILE
    lines = path.read_text().splitlines()
    assert lines[MODEL_LINE - 1].startswith("model: ")
    lines[MODEL_LINE - 1] = f"model: {model}"
    path.write_text("\n".join(lines) + "\n")
    for rel, text in (files or {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)


def at_model(message: str) -> str:
    return f"{MODEL_FILE}:{MODEL_LINE}:8: {message} ($.model)"


# --- validate ----------------------------------------------------------------------------------------

BROKEN: dict[str, tuple[str, dict[str, str], str]] = {
    "no-file": (
        "evals/nofile.py:f",
        {},
        "evals/nofile.py does not exist (paths are relative to the project root)",
    ),
    "a-directory": ("evals/:f", {}, "evals/ is not a file"),
    "no-function": (
        "evals/keyword_baseline.py:nosuch",
        {},
        "evals/keyword_baseline.py defines no function 'nosuch'",
    ),
    "syntax-error": (
        "evals/bad.py:f",
        {"evals/bad.py": "def f(vars):\n    return (\n"},
        "evals/bad.py: syntax error at line 2: '(' was never closed",
    ),
    "compile-error": (
        "evals/bad.py:f",
        {"evals/bad.py": "def f(vars):\n    return 1\nreturn 2\n"},
        "evals/bad.py: syntax error at line 3: 'return' outside function",
    ),
    "no-submodule": (
        "pm_pkg.missing:f",
        {"pm_pkg/__init__.py": ""},
        "cannot find module 'pm_pkg.missing' (looked in the project root and the installed packages)",
    ),
    "module-without-the-function": (
        "pm_pkg.app:nosuch",
        {"pm_pkg/__init__.py": "", "pm_pkg/app.py": "def answer(vars):\n    return 'x'\n"},
        "pm_pkg.app defines no function 'nosuch'",
    ),
    "required-parameter": (
        "evals/app.py:answer",
        {"evals/app.py": "def answer(question, vars=None):\n    return question\n"},
        "evals/app.py: function 'answer' requires parameter 'question', which llmopsctl does not pass "
        "(its parameters may only be among vars, messages, params, case_id, metadata, or **kwargs)",
    ),
    "not-module-function": (
        '"evals/keyword_baseline.py:"',
        {},
        "a python model is `module:function` or `path/file.py:function`",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_validate_reports_a_broken_python_model(name: str, project: Path, validate: Validate) -> None:
    model, files, message = BROKEN[name]
    set_model(project, model, files)
    result = validate()
    assert result.exit_code == 1, result.output
    assert problem_lines(result) == [at_model(message)]


FINE: dict[str, tuple[str, dict[str, str]]] = {
    "quickstart": ("evals/keyword_baseline.py:classify", {}),
    "dotted-module-namespace-package": ("evals.keyword_baseline:classify", {}),
    "package-module": (
        "pm_pkg.app:Bot.answer",
        {
            "pm_pkg/__init__.py": "",
            "pm_pkg/app.py": "class Bot:\n    @staticmethod\n    def answer(vars):\n        return ''\n",
        },
    ),
    "installed-module-is-not-read": ("json:nosuch", {}),  # only importing it would tell
    "star-import-is-not-guessed": (
        "evals/app.py:classify",
        {"evals/app.py": "from keyword_baseline import *\n"},
    ),
    "conditional-definition-is-not-guessed": (
        "evals/app.py:f",
        {"evals/app.py": "import sys\nif sys.platform:\n    def f(vars):\n        return ''\n"},
    ),
    "module-getattr": ("evals/app.py:f", {"evals/app.py": "def __getattr__(name):\n    return print\n"}),
    "tuple-assignment": ("evals/app.py:f", {"evals/app.py": "f, g = print, print\n"}),
    "kwargs-and-defaults": (
        "evals/app.py:f",
        {"evals/app.py": "async def f(vars, *args, case_id, extra=1, **kwargs):\n    return ''\n"},
    ),
}


@pytest.mark.parametrize("name", list(FINE))
def test_validate_accepts_a_loadable_python_model(name: str, project: Path, validate: Validate) -> None:
    model, files = FINE[name]
    set_model(project, model, files)
    result = validate()
    assert result.exit_code == 0, result.output


def test_validate_does_not_run_the_users_code(project: Path, validate: Validate) -> None:
    side_effect = project / "ran.txt"
    code = f"open({str(side_effect)!r}, 'w').close()\ndef f(vars):\n    return ''\n"
    set_model(project, "evals/app.py:nosuch", {"evals/app.py": code})
    assert problem_lines(validate()) == [at_model("evals/app.py defines no function 'nosuch'")]
    assert not side_effect.exists()


def test_static_problem_follows_options_root(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bot.py").write_text("def reply(messages):\n    return ''\n")
    assert static_problem(tmp_path, "app/bot.py", "reply", offered=MODEL_ARGUMENTS) is None
    assert static_problem(tmp_path / "app", "bot.py", "reply", offered=MODEL_ARGUMENTS) is None
    assert static_problem(tmp_path, "bot.py", "reply") == (
        "bot.py does not exist (paths are relative to the project root)"
    )
    positional_only = "def reply(vars, /):\n    return ''\n"
    (tmp_path / "app" / "po.py").write_text(positional_only)
    assert "requires parameter 'vars'" in (
        static_problem(tmp_path, "app/po.py", "reply", offered=MODEL_ARGUMENTS) or ""
    )
    assert (
        static_problem(tmp_path, "app/po.py", "reply") is None
    )  # no `offered`: the signature is not checked


# --- eval -------------------------------------------------------------------------------------------

APP = textwrap.dedent(
    """\
    def answer(vars):
        return vars["word"]
    """
)


def eval_fails_to_load(root: Path) -> str:
    result = cli("-C", root, "eval")
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    db = db_path(root)
    assert not db.exists() or query(db, "SELECT * FROM runs") == []  # no run, no case
    return result.stderr


@pytest.mark.parametrize(
    ("source", "message", "hint"),
    [
        (
            "import pm_not_installed_dep\n" + APP,
            "models/app.yaml: python model 'app': importing app.py raised ModuleNotFoundError: "
            "No module named 'pm_not_installed_dep'",
            "install the missing package 'pm_not_installed_dep' in this environment",
        ),
        (
            "raise RuntimeError('no database configured')\n" + APP,
            "models/app.yaml: python model 'app': importing app.py raised RuntimeError: "
            "no database configured",
            "fix the error in",
        ),
        (
            "answer = 42\n",
            "models/app.yaml: python model 'app': app.py:answer is a int, not a function",
            "point `model:` at a function",
        ),
    ],
)
def test_eval_stops_with_exit_2_when_the_function_cannot_be_loaded(
    eval_project: MakeProject, source: str, message: str, hint: str
) -> None:
    models = [ModelDef("app", provider="python", model="app.py:answer")]
    root = eval_project(cases=3, models=models, files={"app.py": source})
    stderr = eval_fails_to_load(root)
    assert f"error: {message}" in stderr and hint in stderr


def test_eval_refuses_a_python_model_that_validate_rejects(eval_project: MakeProject) -> None:
    models = [ModelDef("app", provider="python", model="nofile.py:answer")]
    root = eval_project(cases=3, models=models)
    stderr = eval_fails_to_load(root)
    assert "models/app.yaml:" in stderr and "nofile.py does not exist" in stderr


def test_eval_redacts_a_secret_in_the_load_error(
    eval_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "pm-secret-value-123456"
    monkeypatch.setenv("PM_SERVICE_TOKEN", secret)
    source = "import os\nraise RuntimeError(os.environ['PM_SERVICE_TOKEN'])\n" + APP
    models = [ModelDef("app", provider="python", model="app.py:answer")]
    root = eval_project(cases=1, models=models, files={"app.py": source})
    stderr = eval_fails_to_load(root)
    assert "RuntimeError" in stderr and secret not in stderr


def test_an_exception_while_answering_stays_an_error_of_the_case(eval_project: MakeProject) -> None:
    source = textwrap.dedent(
        """\
        def answer(vars, case_id):
            if case_id == "q002":
                raise ValueError("boom")
            return vars["word"]
        """
    )
    models = [ModelDef("app", provider="python", model="app.py:answer")]
    root = eval_project(cases=3, models=models, files={"app.py": source})
    data = eval_json(root, code=1)
    assert (data["passed"], data["errors"]) == (2, 1)
    (error,) = [r for r in results(root, data["run_id"]) if r["error"]]
    assert error["case_id"] == "q002" and "ValueError: boom" in error["error"]


def test_the_metadata_a_python_model_returns_is_kept_with_its_result(eval_project: MakeProject) -> None:
    source = textwrap.dedent(
        """\
        def answer(vars, case_id):
            if case_id == "q002":
                return vars["word"]  # no metadata
            return {
                "output": vars["word"],
                "metadata": {"retrieved": ["doc-7", "doc-9"], "route": "faq", "score": 0.5},
            }
        """
    )
    models = [ModelDef("app", provider="python", model="app.py:answer")]
    root = eval_project(cases=2, models=models, files={"app.py": source})
    data = eval_json(root)
    rows = {r["case_id"]: r for r in results(root, data["run_id"])}
    assert json.loads(rows["q001"]["response_metadata"]) == {
        "retrieved": ["doc-7", "doc-9"],
        "route": "faq",
        "score": 0.5,
    }
    assert rows["q002"]["response_metadata"] is None
    shown = cli("-C", root, "runs", "show", data["run_id"], "--format", "json")
    (first,) = [r for r in json.loads(shown.stdout)["results"] if r["case_id"] == "q001"]
    assert first["response_metadata"]["route"] == "faq"
