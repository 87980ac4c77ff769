"""`gate --changed-since`: which suites a change can affect, through the CLI in real git repositories.

The project has one suite per kind of reference: `main` (a prompt, a python model, a dataset), `scored` (a
python scorer whose module imports another), `schema` (a json-schema file, and a model whose module imports
a helper), `judged` (an llm-judge whose judge is a python model). A branch changes one thing; the gate says
which suites it ran and why.
"""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from gate_helpers import (
    SETTINGS,
    branch,
    gate_json,
    make_baseline,
    make_project,
    model_yaml,
    ok,
    prompt_yaml,
    run,
    suite_yaml,
)

ALL = ["judged", "main", "schema", "scored"]

FILES = {
    "scoring_checks/__init__.py": "",
    "scoring_checks/normalise.py": "def norm(text):\n    return text.strip()\n",
    "scoring_checks/scoring.py": (
        "from scoring_checks.normalise import norm\n\n\ndef exact(output, expected):\n"
        "    return norm(output) == norm(expected)\n"
    ),
    "jsonapp/fmt.py": "def shout(word):\n    return word.upper() + '.'\n",
    "jsonapp/extra.py": (
        "import json\n\nfrom jsonapp.fmt import shout\n\n\ndef as_json(vars):\n"
        "    return json.dumps({'answer': shout(vars['text'])})\n"
    ),
    "app/judge.py": 'def grade(messages):\n    return \'{"score": 1, "reason": "fine"}\'\n',
    "app/words.txt": "apple banana\n",
    "schemas/answer.json": '{"type": "object", "required": ["answer"]}\n',
    "models/jsonbot.yaml": model_yaml("as_json", module="jsonapp/extra.py"),
    "models/judge.yaml": model_yaml("grade", module="app/judge.py"),
    "prompts/unused.yaml": prompt_yaml(),
    "suites/scored.yaml": suite_yaml().replace(
        "  - type: equals\n", "  - type: python\n    value: scoring_checks/scoring.py:exact\n"
    ),
    "suites/schema.yaml": suite_yaml(model="jsonbot").replace(
        "  - type: equals\n", "  - type: json-schema\n    value: schemas/answer.json\n"
    ),
    "suites/judged.yaml": suite_yaml().replace(
        "  - type: equals\n",
        "  - type: llm-judge\n    value: The answer is the word in capitals.\n    config: {model: judge}\n",
    ),
    "README.md": "a project\n",
}


pytestmark = pytest.mark.usefixtures("gate_isolation")


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    """The project on main, every suite's baseline committed."""
    repo = make_project(tmp_path / "proj", extra=FILES)
    for suite in ALL:
        make_baseline(repo, suite)
    return repo


def gated(repo: git.Repo, name: str, files: dict[str, str]) -> tuple[list[str], str]:
    """On branch NAME from main with FILES changed: the suites `gate --changed-since main` ran, and what
    it said on stderr about why."""
    repo.git.checkout("main")
    branch(repo, name, files)
    root = Path(str(repo.working_tree_dir))
    result = run(root, "gate", "--changed-since", "main", "--format", "json")
    if "nothing to gate" in result.stdout:
        ok(result)
        return [], result.stderr
    ok(result)
    return sorted(item["suite"] for item in gate_json(result)), result.stderr


def test_what_assertions_and_models_name_counts_with_what_their_code_imports(repo: git.Repo) -> None:
    # The module a python scorer imports (scoring_checks/scoring.py -> scoring_checks/normalise.py).
    suites, why = gated(
        repo, "scorer", {"scoring_checks/normalise.py": "def norm(text):\n    return text.strip()  #\n"}
    )
    assert suites == ["scored"]
    assert "gating scored: scoring_checks/normalise.py changed (an assertion of suite scored" in why
    # A JSON Schema file of a json-schema assertion.
    schema = '{"type": "object", "required": ["answer"], "description": "an answer"}\n'
    assert gated(repo, "schema", {"schemas/answer.json": schema})[0] == ["schema"]
    # A module the python model imports from the project (jsonapp/extra.py -> jsonapp/fmt.py).
    suites, why = gated(
        repo, "helper", {"jsonapp/fmt.py": "def shout(word):\n    return f'{word.upper()}.'\n"}
    )
    assert suites == ["schema"] and "gating schema: jsonapp/fmt.py changed (model jsonbot)" in why
    # The judge model's source, and its model file.
    judge = FILES["app/judge.py"].replace("fine", "good")
    assert gated(repo, "judge-code", {"app/judge.py": judge})[0] == ["judged"]
    assert gated(
        repo, "judge-file", {"models/judge.yaml": FILES["models/judge.yaml"] + "params:\n  seed: 1\n"}
    )[0] == ["judged"]


def test_a_file_nothing_accounts_for_affects_every_suite_and_documentation_none(repo: git.Repo) -> None:
    # A data file a model could read at run time: no static reading can tell, so every suite is gated.
    suites, why = gated(repo, "data", {"app/words.txt": "apple banana cherry\n"})
    assert suites == ALL
    assert "gating main: app/words.txt changed, and nothing tells it is unrelated to any suite" in why
    docs = {
        "README.md": "a project, documented\n",
        "docs/guide.md": "# How we evaluate\n",
        ".github/workflows/notes.yml": "name: notes\n",
        "prompts/unused.yaml": prompt_yaml(" Be brief."),  # a prompt no suite uses
    }
    assert gated(repo, "docs", docs)[0] == []
    # Answer-affecting settings in llmops.yaml affect every suite.
    assert gated(repo, "repeat", {"llmops.yaml": SETTINGS + "  repeat: 2\n"})[0] == ALL


def test_editing_runtime_settings_alone_changes_no_suite(repo: git.Repo) -> None:
    runtime = {
        "models/bot.yaml": model_yaml("good") + "timeout_s: 30\nretries: 5\nlimits:\n  concurrency: 2\n",
        "suites/main.yaml": suite_yaml(gate={"max_regressions": 1})
        + "concurrency: 2\nmax_cost: 5\ndescription: the main suite\n",
        "llmops.yaml": SETTINGS.replace("concurrency: 4", "concurrency: 2")
        + "  timeout_s: 20\ngate:\n  min_pass_rate: 0.5\n",
    }
    suites, _ = gated(repo, "runtime", runtime)
    assert suites == []
    # The same model file with a parameter that changes answers: every suite using the model.
    params = {"models/bot.yaml": runtime["models/bot.yaml"] + "params:\n  temperature: 0\n"}
    suites, why = gated(repo, "params", params)
    assert (
        suites == ["judged", "main", "scored"] and "gating main: models/bot.yaml changed (model bot)" in why
    )
