"""`eval --resume` after edits to the files a run was made from: runtime settings may change, answers may not.

The run is left incomplete by a python model that fails one case while a flag file exists; removing the
flag lets a resume finish it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate_helpers import SETTINGS, eval_run, make_project, model_yaml, ok, run, suite_yaml, write
from llmopsctl.providers import python as python_provider

FLAKY_PY = """\
from pathlib import Path


def answer(vars, case_id):
    if case_id == "c05" and (Path(__file__).parent / "down.flag").exists():
        raise RuntimeError("the service is down")
    return vars["text"].upper() + "."
"""


pytestmark = pytest.mark.usefixtures("gate_isolation")


def incomplete_run(root: Path) -> str:
    """A run of suite `main` that could not complete c05 (the flag file is left in place)."""
    model = model_yaml("answer", module="app/flaky.py")
    make_project(root, extra={"app/flaky.py": FLAKY_PY, "models/bot.yaml": model})
    (root / "app" / "down.flag").write_text("", encoding="utf-8")
    result = run(root, "eval", "main", "--json", "-q")
    data = json.loads(ok(result, 1).stdout)
    assert data["errors"] == 1
    run_id: str = data["run_id"]
    return run_id


def test_resume_accepts_edits_to_runtime_settings_and_to_the_model_code(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    run_id = incomplete_run(root)
    model = model_yaml("answer", module="app/flaky.py")
    runtime = "timeout_s: 30\nretries: 2\nlimits:\n  rpm: 600\ndescription: the bot\n"
    write(
        root,
        {
            "models/bot.yaml": model + runtime,
            "suites/main.yaml": suite_yaml(gate={"max_regressions": 0}) + "concurrency: 2\nmax_cost: 5\n",
            "llmops.yaml": SETTINGS.replace("retries: 0", "retries: 1"),
            # The fix for what failed: what a resume is for.
            "app/flaky.py": FLAKY_PY.replace('case_id == "c05" and ', "False and "),
        },
    )
    python_provider._FILE_MODULES.clear()  # import the edited file, as a new process would
    data = json.loads(ok(run(root, "eval", "--resume", run_id, "--json", "-q")).stdout)
    assert data["run_id"] == run_id and data["cases"] == 1 and data["errors"] == 0


def test_resume_refuses_edits_that_change_answers(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    run_id = incomplete_run(root)
    (root / "app" / "down.flag").unlink()
    model = model_yaml("answer", module="app/flaky.py")
    write(root, {"models/bot.yaml": model + "timeout_s: 30\nparams:\n  temperature: 0.5\n"})
    refused = ok(run(root, "eval", "--resume", run_id, "-q"), 2)
    assert f"cannot resume run {run_id}: model 'bot' changed since it started" in refused.stderr
    assert "Traceback" not in refused.output
    # Restored, it resumes; a new run of the edited files is a new run.
    write(root, {"models/bot.yaml": model})
    ok(run(root, "eval", "--resume", run_id, "-q"))
    assert eval_run(root, "main") != run_id
