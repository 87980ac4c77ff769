"""What baselines keep for review: the start of each case's output, the files a run was made from, and a
warning when a baseline is taken from a run of other files. Through the CLI, in real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate_helpers import (
    MODELS_PY,
    SETTINGS,
    baseline_file,
    branch,
    eval_run,
    gate_json,
    make_baseline,
    make_project,
    model_yaml,
    ok,
    prompt_yaml,
    run,
    write,
)

pytestmark = pytest.mark.usefixtures("gate_isolation")


def baseline_case(root: Path, case_id: str) -> dict[str, object]:
    case: dict[str, object] = json.loads(baseline_file(root).read_text(encoding="utf-8"))["cases"][
        f"ask/bot/items/{case_id}"
    ]
    return case


def test_baselines_keep_outputs_so_regressions_show_what_the_answer_was(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root, suite={"gate": {"max_regressions": 0}})
    make_baseline(repo)
    assert baseline_case(root, "c03")["output"] == "CHERRY."
    assert baseline_case(root, "c03")["output_truncated"] is False
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})
    text = ok(run(root, "gate", "--base", "main"), 1).stdout
    assert "was: CHERRY.\n            now: nope" in text and "was: GRAPE.\n            now: nope" in text
    md = ok(run(root, "diff", "--base", "main", "--format", "md")).stdout
    assert "| `ask/bot/items/c03` | passed 100% of repeats in the base, 0% now | CHERRY. | nope |" in md


def test_output_chars_in_llmops_yaml_and_on_the_command_line(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    settings = SETTINGS + "baseline:\n  output_chars: 3\n"
    repo = make_project(root, suite={"gate": {"max_regressions": 0}}, extra={"llmops.yaml": settings})
    base_run = make_baseline(repo)
    assert baseline_case(root, "c03") | {"output": "CHE", "output_truncated": True} == baseline_case(
        root, "c03"
    )
    assert baseline_case(root, "c04")["output"] == "DAT"  # DATE.
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})
    text = ok(run(root, "gate", "--base", "main"), 1).stdout
    assert "was: CHE [the baseline file keeps its first 3 characters]" in text

    # The option wins over llmops.yaml; 0 keeps no output, only its hash.
    repo.git.checkout("main")
    ok(run(root, "baseline", "update", "--run", base_run, "--output-chars", "0"))
    case = baseline_case(root, "c03")
    assert case["output"] is None and case["output_truncated"] is False and case["output_hash"]
    ok(run(root, "baseline", "update", "--run", base_run, "--output-chars", "100"))
    assert baseline_case(root, "c03")["output"] == "CHERRY."
    refused = ok(run(root, "baseline", "update", "main", "--output-chars", "-1"), 2)
    assert "--output-chars" in refused.stderr and "Traceback" not in refused.output
    write(root, {"llmops.yaml": SETTINGS + "baseline:\n  output_chars: many\n"})
    invalid = ok(run(root, "validate"), 1)
    assert "llmops.yaml" in invalid.stdout and "output_chars" in invalid.stdout


def test_the_diff_header_names_the_files_that_changed_since_the_base(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root)
    make_baseline(repo)
    branch(
        repo, "swap", {"models/bot.yaml": model_yaml("worse"), "prompts/ask.yaml": prompt_yaml(" Be brief.")}
    )
    text = ok(run(root, "gate", "--base", "main")).stdout
    assert "files changed" in text and "prompt ask (prompts/ask.yaml); model bot (models/bot.yaml)" in text
    (item,) = gate_json(ok(run(root, "diff", "--base", "main", "--format", "json")))
    assert item["changed_files"] == [
        {"kind": "prompt", "name": "ask", "how": "changed", "path": "prompts/ask.yaml"},
        {"kind": "model", "name": "bot", "how": "changed", "path": "models/bot.yaml"},
    ]
    # Runtime settings alone: named as such. The same files: none.
    repo.git.checkout("main")
    branch(repo, "timeout", {"models/bot.yaml": model_yaml("good") + "timeout_s: 5\n"})
    text = ok(run(root, "gate", "--base", "main")).stdout
    assert "model bot (models/bot.yaml): runtime settings only" in text
    # A python model's code (its module and what that imports) is named apart from its model file.
    repo.git.checkout("main")
    branch(repo, "code", {"app/models.py": MODELS_PY.replace('{"c03", "c07"}', '{"c03"}')})
    text = ok(run(root, "gate", "--base", "main")).stdout
    assert "files changed" in text and "python code of model bot (app/models.py and what it imports)" in text
    repo.git.checkout("main")
    md = ok(run(root, "gate", "--base", "main", "--format", "md")).stdout
    assert "| files changed | none |" in md


def test_baseline_update_warns_when_the_run_was_made_from_other_files(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    make_project(root)
    run_id = eval_run(root, "main")
    # Runtime settings only: the run's answers are still those of the working tree, no warning.
    write(root, {"models/bot.yaml": model_yaml("good") + "retries: 4\n"})
    quiet = ok(run(root, "baseline", "update", "--run", run_id))
    assert quiet.stderr == ""
    write(root, {"prompts/ask.yaml": prompt_yaml(" Be brief.")})
    warned = ok(run(root, "baseline", "update", "--run", run_id))
    assert f"warning: run {run_id} was made from files that differ from the working tree's: " in warned.stderr
    assert "prompt ask (prompts/ask.yaml)" in warned.stderr and "model bot" not in warned.stderr
    assert "run `llmopsctl eval main`" in warned.stderr
    # The latest run is checked the same way.
    assert "warning: run" in ok(run(root, "baseline", "update", "main")).stderr
