"""`llmopsctl validate` end to end: exact `path:line:col: message ($.json.path)` lines and exit codes.

Exit codes: 0 valid, 1 problems found, 2 usage or configuration error (3 would be a crash: never).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import Result

from conftest import Cli, problem_lines

Validate = Callable[..., Result]

# Built at run time so this file itself never contains something that looks like a key.
FAKE_OPENAI_KEY = "sk-proj-" + "Ab3dEf6hIj" * 3

TWO_VARS_PROMPT = """\
variables:
  type: object
  properties:
    n: {type: integer}
messages:
  - role: user
    content: "{{ ticket }} {{ lang }} {{ n }}"
"""
TWO_VARS_SUITE = "prompts: [two]\nmodels: [keyword-baseline]\ndatasets: [two]\n"


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def failed(result: Result) -> list[str]:
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.stderr.startswith("error: "), result.stderr
    return problem_lines(result)


# Each case: files written into a fresh quickstart project -> the exact lines validate prints.
CASES: dict[str, tuple[dict[str, str | bytes], list[str]]] = {
    "yaml-syntax": (
        {"prompts/broken.yaml": "messages:\n  - role: user\n   content: hi\n"},
        [
            "prompts/broken.yaml:3:4: YAML syntax error: did not find expected '-' indicator "
            "(while parsing a block collection)"
        ],
    ),
    "unterminated-quote": (
        {"prompts/broken.yaml": 'messages:\n  - role: user\n    content: "unterminated\n'},
        [
            "prompts/broken.yaml:4:1: YAML syntax error: found unexpected end of stream "
            "(while scanning a quoted scalar)"
        ],
    ),
    "tab-indentation": (
        {"prompts/tabs.yaml": "messages:\n\t- role: user\n"},
        [
            "prompts/tabs.yaml:2:1: YAML syntax error: found character that cannot start any token "
            "(while scanning for the next token); YAML indentation must use spaces, not tabs"
        ],
    ),
    "duplicate-key": (
        {"prompts/dup.yaml": "messages:\n  - role: user\n    content: hi\nmessages: []\n"},
        ["prompts/dup.yaml:4:1: duplicate key 'messages' (first defined on line 1)"],
    ),
    "empty-file": (
        {"prompts/empty.yaml": ""},
        ["prompts/empty.yaml:1:1: file is empty"],
    ),
    "only-comments": (
        {"models/todo.yaml": "# TODO: add the model\n"},
        ["models/todo.yaml:1:1: file is empty"],
    ),
    "invalid-utf8": (
        {"prompts/latin1.yaml": b'messages:\n  - role: user\n    content: "caf\xe9"\n'},
        ["prompts/latin1.yaml:3:18: not valid UTF-8 (byte 0xe9); save the file as UTF-8"],
    ),
    "unknown-key-in-prompt": (
        {"prompts/typo.yaml": "mesages:\n  - role: user\n    content: hi\n"},
        [
            "prompts/typo.yaml:1:1: missing required key 'messages'",
            "prompts/typo.yaml:1:1: unknown key 'mesages'; did you mean 'messages'? ($.mesages)",
        ],
    ),
    "unknown-key-in-closed-object": (
        {
            "models/priced.yaml": (
                "provider: openai\nmodel: gpt-4o\n"
                "pricing:\n  input: 2.5\n  output: 10\n  cahced_input: 1.25\n"
            )
        },
        [
            "models/priced.yaml:6:3: unknown key 'cahced_input' in $.pricing; did you mean 'cached_input'? "
            "($.pricing.cahced_input)"
        ],
    ),
    "wrong-type": (
        {"prompts/wrong.yaml": "messages: 5\n"},
        ["prompts/wrong.yaml:1:11: expected a list, got an integer ($.messages)"],
    ),
    "wrong-type-nested": (
        {"models/hot.yaml": "provider: openai\nmodel: gpt-4o\nparams:\n  temperature: hot\n"},
        ["models/hot.yaml:4:16: expected a number, got a string ($.params.temperature)"],
    ),
    "enum": (
        {"prompts/role.yaml": "messages:\n  - role: sytem\n    content: hi\n"},
        [
            "prompts/role.yaml:2:11: 'sytem' is not one of: system, user, assistant, developer, tool; "
            "did you mean 'system'? ($.messages[0].role)"
        ],
    ),
    "name-not-file-name": (
        {"prompts/named.yaml": "name: other\nmessages:\n  - role: user\n    content: hi\n"},
        ["prompts/named.yaml:1:7: name 'other' does not match the file name 'named' ($.name)"],
    ),
    "unknown-references": (
        {
            "suites/refs.yaml": "prompts: [ticket-triag]\n"
            "models: [keyword-baselin]\ndatasets: [support-ticket]\n"
        },
        [
            "suites/refs.yaml:1:11: unknown prompt 'ticket-triag' (no prompts/ticket-triag.yaml); "
            "did you mean 'ticket-triage'? ($.prompts[0])",
            "suites/refs.yaml:2:10: unknown model 'keyword-baselin' (no models/keyword-baselin.yaml); "
            "did you mean 'keyword-baseline'? ($.models[0])",
            "suites/refs.yaml:3:12: unknown dataset 'support-ticket' "
            "(no datasets/support-ticket.yaml|.jsonl|.csv); "
            "did you mean 'support-tickets'? ($.datasets[0])",
        ],
    ),
    "unknown-team": (
        {"prompts/teamed.yaml": "team: suport-ai\nmessages:\n  - role: user\n    content: hi\n"},
        [
            "prompts/teamed.yaml:1:7: unknown team 'suport-ai'; did you mean 'support-ai'? "
            "(teams in llmops.yaml) "
            "($.team)"
        ],
    ),
    "unknown-team-on-a-dataset": (
        {"datasets/teamed.yaml": "team: support\ncases:\n  - id: a\n    vars: {ticket: x}\n"},
        [
            "datasets/teamed.yaml:1:7: unknown team 'support'; did you mean 'support-ai'? "
            "(teams in llmops.yaml) ($.team)"
        ],
    ),
    "case-lacks-variable-and-breaks-variables-schema": (
        {
            "prompts/two.yaml": TWO_VARS_PROMPT,
            "suites/two.yaml": TWO_VARS_SUITE,
            "datasets/two.yaml": (
                "cases:\n"
                "  - id: complete\n"
                "    vars: {ticket: x, lang: en, n: 1}\n"
                "  - id: no-lang\n"
                "    vars: {ticket: x, n: 2}\n"
                "  - id: n-as-text\n"
                '    vars: {ticket: x, lang: en, n: "three"}\n'
            ),
        },
        [
            "datasets/two.yaml:5:11: case 'no-lang' lacks variable 'lang' used by prompt 'two' (suite 'two') "
            "($.cases[1].vars)",
            "datasets/two.yaml:7:36: case 'n-as-text' does not fit the variables of prompt 'two': "
            "'three' is not of type 'integer' ($.cases[2].vars.n)",
        ],
    ),
    "case-lacks-several-variables": (
        {
            "prompts/two.yaml": TWO_VARS_PROMPT,
            "suites/two.yaml": TWO_VARS_SUITE,
            "datasets/two.yaml": "cases:\n  - id: bare\n    vars: {n: 1}\n",
        },
        [
            "datasets/two.yaml:3:11: case 'bare' lacks variables 'lang', 'ticket' used by prompt 'two' "
            "(suite 'two') ($.cases[0].vars)"
        ],
    ),
    "jinja-syntax-error-in-block-scalar": (
        {
            "prompts/jinja.yaml": (
                "description: a broken template\n"
                "messages:\n"
                "  - role: system\n"
                "    content: |\n"
                "      Line one\n"
                "      Line two {{ ticket }\n"
                "      Line three\n"
            )
        },
        ["prompts/jinja.yaml:6:1: template syntax error: unexpected '}' ($.messages[0].content)"],
    ),
    "jinja-syntax-error-in-second-message": (
        {
            "prompts/jinja.yaml": (
                "messages:\n"
                "  - role: system\n"
                "    content: fine {{ x }}\n"
                "  - role: user\n"
                "    content: |-\n"
                "      {% for t in tickets %}\n"
                "      {{ t }}\n"
                "      {% endfor %}\n"
                "      {% endif %}\n"
            )
        },
        [
            "prompts/jinja.yaml:9:1: template syntax error: Encountered unknown tag 'endif'. "
            "($.messages[1].content)"
        ],
    ),
    "duplicate-case-id-hides-no-other-problem": (
        {
            "suites/dups.yaml": "prompts: [ticket-triage]\nmodels: [keyword-baseline]\ndatasets: [dups]\n",
            "datasets/dups.yaml": (
                "cases:\n"
                "  - id: same\n    vars: {ticket: a}\n"
                "  - id: same\n"
                "    vars: {tiket: b}\n"
                "    assert:\n"
                "      - type: containz\n"
                "        value: x\n"
                "  - id: other\n    vars: {ticket: c}\n    tgas: [x]\n"
            ),
        },
        [
            "datasets/dups.yaml:4:9: duplicate case id 'same' (first used on line 2) ($.cases[1].id)",
            "datasets/dups.yaml:5:11: case 'same' does not fit the variables of prompt 'ticket-triage': "
            "'ticket' is a required property ($.cases[1].vars)",
            "datasets/dups.yaml:5:11: case 'same' lacks variable 'ticket' used by prompt 'ticket-triage' "
            "(suite 'dups') ($.cases[1].vars)",
            "datasets/dups.yaml:7:15: unknown assertion type 'containz'; did you mean 'contains'? "
            "($.cases[1].assert[0].type)",
            "datasets/dups.yaml:11:5: unknown key 'tgas' in $.cases[2]; did you mean 'tags'? "
            "($.cases[2].tgas)",
        ],
    ),
    "unknown-jinja-filters-and-tests": (
        {
            "prompts/jinja.yaml": (
                "messages:\n"
                "  - role: system\n"
                "    content: |\n"
                "      Answer in {{ lang | uper }}.\n"
                "      {% if ticket is evn %}short{% endif %}\n"
                "  - role: user\n"
                '    content: "{{ ticket | trim | lenght }}"\n'
            )
        },
        [
            "prompts/jinja.yaml:4:1: unknown filter 'uper'; did you mean 'upper'? ($.messages[0].content)",
            "prompts/jinja.yaml:5:1: unknown test 'evn'; did you mean 'even'? ($.messages[0].content)",
            "prompts/jinja.yaml:7:1: unknown filter 'lenght'; did you mean 'length'? ($.messages[1].content)",
        ],
    ),
    "jinja-problems-in-assertion-values": (
        {
            "suites/templated.yaml": (
                "prompts: [ticket-triage]\n"
                "models: [keyword-baseline]\n"
                "datasets: [support-tickets]\n"
                "assert:\n"
                "  - type: equals\n"
                "    value: '{{ expected | lowr }}'\n"
                "  - type: contains\n"
                "    value: '{{ expected }'\n"
            )
        },
        [
            "suites/templated.yaml:6:1: unknown filter 'lowr'; did you mean 'lower'? ($.assert[0].value)",
            "suites/templated.yaml:8:1: template syntax error: unexpected '}' ($.assert[1].value)",
        ],
    ),
    "duplicate-case-ids": (
        {
            "datasets/dups.yaml": (
                "cases:\n"
                "  - id: same\n    vars: {ticket: a}\n"
                "  - id: other\n    vars: {ticket: b}\n"
                "  - id: same\n    vars: {ticket: c}\n"
            )
        },
        ["datasets/dups.yaml:6:9: duplicate case id 'same' (first used on line 2) ($.cases[2].id)"],
    ),
    "api-key-in-a-comment": (
        {"models/leak.yaml": f"provider: openai\nmodel: gpt-4o\n# key:  {FAKE_OPENAI_KEY}\n"},
        [
            "models/leak.yaml:3:9: this looks like an OpenAI API key: never commit secrets; "
            "read them from an environment variable"
        ],
    ),
    "api-key-in-a-dataset": (
        {
            "datasets/leaky.yaml": (
                f"cases:\n  - id: a\n    vars:\n      ticket: my key {FAKE_OPENAI_KEY} stopped working\n"
            )
        },
        [
            "datasets/leaky.yaml:4:22: this looks like an OpenAI API key: never commit secrets; "
            "read them from an environment variable"
        ],
    ),
    "api-key-field-in-model": (
        {"models/keyed.yaml": "provider: openai\nmodel: gpt-4o\napi_key: not-a-real-key\n"},
        [
            "models/keyed.yaml:3:1: API keys must not be written in files: "
            "put the key in an environment variable "
            "and name that variable in `api_key_env` ($.api_key)"
        ],
    ),
    "unknown-assertion-type-and-invalid-regex": (
        {
            "datasets/asserts.yaml": (
                "cases:\n"
                "  - id: a\n"
                "    vars: {ticket: x}\n"
                "    assert:\n"
                "      - type: containz\n"
                "        value: x\n"
                "      - type: regex\n"
                '        value: "([a-z"\n'
                "      - type: not-icontains\n"
                "        value: sorry\n"
            ),
            "suites/asserting.yaml": (
                "prompts: [ticket-triage]\n"
                "models: [keyword-baseline]\n"
                "datasets: [support-tickets]\n"
                "assert:\n"
                "  - type: not-icontain\n"
                "    value: sorry\n"
                "  - type: regex\n"
                "    value: '^(billing'\n"
                "    config: {flags: i}\n"
            ),
        },
        [
            "datasets/asserts.yaml:5:15: unknown assertion type 'containz'; did you mean 'contains'? "
            "($.cases[0].assert[0].type)",
            "datasets/asserts.yaml:8:16: invalid regular expression '([a-z': unterminated character set at "
            "position 1 ($.cases[0].assert[1].value)",
            "suites/asserting.yaml:5:11: unknown assertion type 'not-icontain'; "
            "did you mean 'not-icontains'? "
            "($.assert[0].type)",
            "suites/asserting.yaml:8:12: invalid regular expression '^(billing': missing ), unterminated "
            "subpattern at position 1 ($.assert[1].value)",
        ],
    ),
    "jsonl-bad-line": (
        {
            "datasets/rows.jsonl": (
                '{"id": "a", "vars": {"ticket": "x"}, "expected": "billing"}\n'
                "\n"
                '{"id": "b", "vars": {"ticket": "y"}, "expected": "other"\n'
                '{"id": "c", "vars": {"ticket": "z"}, "expected": "other"}\n'
            )
        },
        ["datasets/rows.jsonl:3:57: invalid JSON: Expecting ',' delimiter"],
    ),
    "jsonl-line-not-an-object": (
        {"datasets/rows.jsonl": '{"id": "a", "vars": {"ticket": "x"}}\n["not", "a", "case"]\n'},
        ["datasets/rows.jsonl:2:1: each line must be a JSON object (a case), got list"],
    ),
    "jsonl-case-problem-has-its-line": (
        {
            "prompts/two.yaml": TWO_VARS_PROMPT,
            "suites/two.yaml": TWO_VARS_SUITE,
            "datasets/two.jsonl": (
                '{"id": "a", "vars": {"ticket": "x", "lang": "en", "n": 1}}\n'
                '{"id": "b", "vars": {"ticket": "x", "lang": "en", "n": 1}, "tgas": ["x"]}\n'
                "\n"
                '{"id": "c", "vars": {"ticket": "x", "n": 1}}\n'
            ),
        },
        [
            "datasets/two.jsonl:2:1: unknown key 'tgas' in $.cases[1]; did you mean 'tags'? "
            "($.cases[1].tgas)",
            "datasets/two.jsonl:4:1: case 'c' lacks variable 'lang' used by prompt 'two' (suite 'two') "
            "($.cases[2].vars)",
        ],
    ),
    "csv-case-problem-has-its-line": (
        {
            "prompts/two.yaml": TWO_VARS_PROMPT,
            "suites/two.yaml": TWO_VARS_SUITE,
            "datasets/two.csv": 'id,ticket,n,expected\nt1,"multi\nline ticket",1,billing\nt2,plain,2,other\n',
        },
        [
            "datasets/two.csv:2:1: case 't1' does not fit the variables of prompt 'two': "
            "'1' is not of type 'integer' ($.cases[0].vars.n)",
            "datasets/two.csv:2:1: case 't1' lacks variable 'lang' used by prompt 'two' (suite 'two') "
            "($.cases[0].vars)",
            "datasets/two.csv:4:1: case 't2' does not fit the variables of prompt 'two': "
            "'2' is not of type 'integer' ($.cases[1].vars.n)",
            "datasets/two.csv:4:1: case 't2' lacks variable 'lang' used by prompt 'two' (suite 'two') "
            "($.cases[1].vars)",
        ],
    ),
    "unknown-provider": (
        {"models/local.yaml": "provider: olama\nmodel: llama3\n"},
        [
            "models/local.yaml:1:11: unknown provider 'olama'; did you mean 'ollama'? "
            "(known: anthropic, echo, ollama, openai, python, replay) ($.provider)"
        ],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_validate_reports(name: str, project: Path, validate: Validate) -> None:
    files, expected = CASES[name]
    write(project, files)
    assert failed(validate()) == expected


def test_unknown_top_level_key_in_settings(project: Path, validate: Validate) -> None:
    settings = project / "llmops.yaml"
    text = settings.read_text()
    line = len(text.splitlines()) + 1
    settings.write_text(text + "retenton:\n  results: 90d\n")
    assert failed(validate()) == [
        f"llmops.yaml:{line}:1: unknown key 'retenton'; did you mean 'retention'? ($.retenton)"
    ]


def test_broken_settings_do_not_hide_other_problems(project: Path, validate: Validate) -> None:
    (project / "llmops.yaml").write_text("version: 2\n")
    write(project, {"prompts/wrong.yaml": "messages: 5\n"})
    assert failed(validate()) == [
        "llmops.yaml:1:10: must be 1, got 2 ($.version)",
        "prompts/wrong.yaml:1:11: expected a list, got an integer ($.messages)",
    ]


def test_csv_dataset_validates(project: Path, validate: Validate) -> None:
    (project / "datasets" / "support-tickets.yaml").unlink()
    write(
        project,
        {
            "datasets/support-tickets.csv": (
                "id,ticket,expected,tags\n"
                'card-declined,"My card was declined, twice",billing,billing;edge-case\n'
                'app-crash,"The app crashes on start\nsince the update",technical,technical\n'
                "parcel-lost,Where is my parcel?,shipping,shipping\n"
            )
        },
    )
    result = validate()
    assert result.exit_code == 0, result.output
    assert "1 datasets (3 cases)" in result.stdout


def test_jsonl_dataset_validates(project: Path, validate: Validate) -> None:
    cases = yaml.safe_load((project / "datasets" / "support-tickets.yaml").read_text())["cases"]
    (project / "datasets" / "support-tickets.yaml").unlink()
    text = "".join(json.dumps(case) + "\n" for case in cases)
    write(project, {"datasets/support-tickets.jsonl": text})
    result = validate()
    assert result.exit_code == 0, result.output
    assert "1 datasets (20 cases)" in result.stdout


def test_all_problems_are_reported_in_one_run(project: Path, validate: Validate) -> None:
    write(
        project,
        {
            "prompts/wrong.yaml": "messages: 5\n",
            "prompts/dup.yaml": "messages: []\nmessages: []\n",
            "models/keyed.yaml": "provider: openai\nmodel: gpt-4o\napi_key: x\n",
            "datasets/rows.jsonl": "{oops}\n",
            "suites/refs.yaml": "prompts: [nope]\nmodels: [keyword-baseline]\ndatasets: [support-tickets]\n",
        },
    )
    result = validate()
    lines = failed(result)
    assert [line.split(":", 1)[0] for line in lines] == [
        "datasets/rows.jsonl",
        "models/keyed.yaml",
        "prompts/dup.yaml",
        "prompts/wrong.yaml",
        "suites/refs.yaml",
    ]
    assert result.stderr.strip() == "error: 5 problems in 5 file(s)"


def test_json_format(project: Path, validate: Validate) -> None:
    ok = validate("--format", "json")
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert set(data) == {"ok", "files", "errors", "notes", "hashes"}
    assert data["notes"] == []
    assert data["ok"] is True
    assert data["files"] == 6
    assert data["errors"] == []
    assert {kind: sorted(names) for kind, names in data["hashes"].items()} == {
        "prompts": ["ticket-triage"],
        "models": ["gpt-4o-mini", "keyword-baseline"],
        "datasets": ["support-tickets"],
        "suites": ["triage"],
    }
    assert all(
        isinstance(h, str) and len(h) == 16 for names in data["hashes"].values() for h in names.values()
    )

    write(project, {"prompts/wrong.yaml": "messages: 5\n"})
    bad = validate("-f", "json")
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert data["ok"] is False
    assert data["errors"] == [
        {
            "path": "prompts/wrong.yaml",
            "line": 1,
            "col": 11,
            "message": "expected a list, got an integer",
            "json_path": "$.messages",
            "code": "schema",
        }
    ]


def test_format_must_be_text_or_json(validate: Validate) -> None:
    result = validate("--format", "xml")
    assert result.exit_code == 2


class TestPaths:
    """`validate FILE...` (what pre-commit runs): those files plus what they are cross-checked with."""

    def test_unrelated_broken_file_is_not_reported(self, project: Path, validate: Validate) -> None:
        write(project, {"prompts/broken.yaml": "messages: [\n"})
        result = validate("prompts/ticket-triage.yaml")
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("ok: ")
        assert failed(validate()) == [
            "prompts/broken.yaml:2:1: YAML syntax error: did not find expected node content "
            "(while parsing a flow node)"
        ]

    def test_only_the_named_broken_file(self, project: Path, validate: Validate) -> None:
        write(project, {"prompts/broken.yaml": "messages: 5\n", "models/broken.yaml": "provider: openai\n"})
        assert failed(validate("prompts/broken.yaml")) == [
            "prompts/broken.yaml:1:11: expected a list, got an integer ($.messages)"
        ]
        assert failed(validate(project / "models" / "broken.yaml")) == [
            "models/broken.yaml:1:1: missing required key 'model'"
        ]

    def test_prompt_change_reports_the_datasets_it_breaks(self, project: Path, validate: Validate) -> None:
        prompt = project / "prompts" / "ticket-triage.yaml"
        prompt.write_text(
            prompt.read_text().replace("Ticket: {{ ticket }}", "Ticket ({{ channel }}): {{ ticket }}")
        )
        lines = failed(validate("prompts/ticket-triage.yaml"))
        assert lines[0] == (
            "datasets/support-tickets.yaml:10:7: case 'double-charged-subscription' lacks variable 'channel' "
            "used by prompt 'ticket-triage' (suite 'triage') ($.cases[0].vars)"
        )
        assert len(lines) == 20
        assert all(line.startswith("datasets/support-tickets.yaml:") for line in lines)

    def test_dataset_change_is_checked_against_its_prompts(self, project: Path, validate: Validate) -> None:
        write(project, {"prompts/broken.yaml": "messages: 5\n"})
        dataset = project / "datasets" / "support-tickets.yaml"
        dataset.write_text(dataset.read_text().replace("      ticket: Hi, I was", "      tiket: Hi, I was"))
        assert failed(validate("datasets/support-tickets.yaml")) == [
            "datasets/support-tickets.yaml:10:7: case 'double-charged-subscription' "
            "does not fit the variables "
            "of prompt 'ticket-triage': 'ticket' is a required property ($.cases[0].vars)",
            "datasets/support-tickets.yaml:10:7: case 'double-charged-subscription' lacks variable 'ticket' "
            "used by prompt 'ticket-triage' (suite 'triage') ($.cases[0].vars)",
        ]

    def test_non_project_file_gets_the_secret_scan(self, project: Path, validate: Validate) -> None:
        write(project, {"notes.md": f"# Notes\n\nkey = {FAKE_OPENAI_KEY}\n"})
        assert failed(validate("notes.md")) == [
            "notes.md: note: not a project file, not checked (beyond the scan for secrets)",
            "notes.md:3:7: this looks like an OpenAI API key: never commit secrets; "
            "read them from an environment variable",
        ]

    def test_paths_that_are_not_project_files_are_named_in_notes(
        self, project: Path, validate: Validate
    ) -> None:
        write(project, {"README.md": "# Evals\n", "docs/guide.yaml": "a: 1\n"})
        result = validate("README.md", "docs/guide.yaml", "evals", "prompts/ticket-triage.yaml")
        assert result.exit_code == 0, result.output
        lines = problem_lines(result)
        assert lines[:3] == [
            "README.md: note: not a project file, not checked (beyond the scan for secrets)",
            "docs/guide.yaml: note: not a project file, not checked (beyond the scan for secrets)",
            "evals: note: not a project file, not checked (a directory: give its files, or no path for all)",
        ]
        assert lines[3].startswith("ok: ")
        as_json = json.loads(validate("README.md", "-f", "json").stdout)
        assert as_json["ok"] is True and as_json["errors"] == []
        assert [(n["path"], n["code"]) for n in as_json["notes"]] == [("README.md", "note")]

    def test_misplaced_files_under_project_folders_are_errors(
        self, project: Path, validate: Validate
    ) -> None:
        prompt = (project / "prompts" / "ticket-triage.yaml").read_text()
        write(
            project,
            {
                "prompts/triage/v2.yaml": prompt,
                "datasets/extra.json": "{}\n",
                "models/NOTES.md": "how we pick models\n",
            },
        )
        result = validate("prompts/triage/v2.yaml", "datasets/extra.json", "models/NOTES.md")
        assert failed(result) == [
            "models/NOTES.md: note: not a project file, not checked (beyond the scan for secrets)",
            "datasets/extra.json: not loaded: datasets/ holds .yaml, .yml, .jsonl or .csv files",
            "prompts/triage/v2.yaml: not loaded: prompts are read from prompts/<name>.yaml, "
            "not from subfolders",
        ]
        assert result.stderr.strip() == "error: 2 problems in 2 file(s)"


class TestHostileInput:
    """Hostile files give exit 1 and a message: never a crash (exit 3), never a hang."""

    @pytest.mark.timeout(20)
    def test_alias_bomb(self, project: Path, validate: Validate) -> None:
        rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
            rows.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
        rows.append("messages: *i")
        write(project, {"prompts/bomb.yaml": "\n".join(rows) + "\n"})
        [line] = failed(validate())
        assert line.startswith("prompts/bomb.yaml:")
        assert "YAML aliases expand to more than 100,000 nodes (an alias bomb?)" in line

    @pytest.mark.timeout(20)
    def test_recursive_alias(self, project: Path, validate: Validate) -> None:
        write(project, {"prompts/rec.yaml": "a: &x\n  b: *x\nmessages: []\n"})
        assert failed(validate()) == [
            "prompts/rec.yaml:1:4: recursive YAML alias (an anchor refers to itself)"
        ]

    def test_directory_named_like_a_file(self, project: Path, validate: Validate) -> None:
        (project / "prompts" / "x.yaml").mkdir()
        assert failed(validate()) == ["prompts/x.yaml: is a directory, expected a file"]

    @pytest.mark.timeout(20)
    @pytest.mark.skipif(os.name == "nt", reason="symlinks")
    def test_symlink_loop(self, project: Path, validate: Validate) -> None:
        (project / "prompts" / "loop.yaml").symlink_to("loop.yaml")
        [line] = failed(validate())
        assert line.startswith("prompts/loop.yaml: cannot read: ")

    @pytest.mark.timeout(20)
    @pytest.mark.skipif(os.name == "nt", reason="symlinks")
    def test_dangling_symlink(self, project: Path, validate: Validate) -> None:
        (project / "models" / "gone.yaml").symlink_to("nowhere.yaml")
        [line] = failed(validate())
        assert line.startswith("models/gone.yaml: cannot read: ")

    def test_binary_file(self, project: Path, validate: Validate) -> None:
        png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
        write(project, {"prompts/logo.yaml": png, "datasets/blob.jsonl": png})
        assert failed(validate()) == [
            "datasets/blob.jsonl: looks like a binary file (contains NUL bytes)",
            "prompts/logo.yaml: looks like a binary file (contains NUL bytes)",
        ]

    @pytest.mark.timeout(20)
    def test_deep_nesting(self, project: Path, validate: Validate) -> None:
        write(
            project,
            {
                "prompts/deep.yaml": "messages: " + "[" * 5000 + "]" * 5000 + "\n",
                "datasets/deep.jsonl": '{"vars": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
            },
        )
        lines = failed(validate())
        assert len(lines) == 2
        assert lines[0] == "datasets/deep.jsonl:1:1: JSON is nested too deeply"
        assert lines[1].startswith("prompts/deep.yaml:1:")

    @pytest.mark.timeout(60)
    def test_huge_jsonl_dataset(self, project: Path, validate: Validate) -> None:
        ticket = "My parcel never arrived and the tracking page shows nothing at all. " * 70
        head = '{"id": "c'
        tail = f'", "vars": {{"ticket": "{ticket}"}}, "expected": "shipping", "tags": ["shipping"]}}\n'
        path = project / "datasets" / "huge.jsonl"
        count = size = 0
        with path.open("w", encoding="utf-8") as out:
            while size < 50 * 1024 * 1024:
                line = f"{head}{count}{tail}"
                out.write(line)
                size += len(line)
                count += 1
            out.write("{not json}\n")
        assert path.stat().st_size >= 50 * 1024 * 1024
        assert failed(validate()) == [
            f"datasets/huge.jsonl:{count + 1}:2: invalid JSON: "
            f"Expecting property name enclosed in double quotes"
        ]

    def test_jsonl_with_a_huge_integer(self, project: Path, validate: Validate) -> None:
        write(project, {"datasets/big-int.jsonl": '{"id": "a", "vars": {"n": 1' + "0" * 5000 + "}}\n"})
        [line] = failed(validate())
        assert line.startswith("datasets/big-int.jsonl:1:")

    @pytest.mark.parametrize("value", ["!!int x", "0b_", "!!float nope", "!!binary a"])
    def test_yaml_scalar_that_does_not_convert(self, value: str, project: Path, validate: Validate) -> None:
        write(project, {"prompts/odd.yaml": f"messages: {value}\n"})
        [line] = failed(validate())
        assert line.startswith("prompts/odd.yaml:1:11: ")


class TestHashes:
    """Content hashes ignore formatting (key order, quoting, indentation, comments); content changes them."""

    @staticmethod
    def prompt_hash(validate: Validate) -> str:
        result = validate("--format", "json")
        assert result.exit_code == 0, result.output
        return str(json.loads(result.stdout)["hashes"]["prompts"]["ticket-triage"])

    def test_reformatting_keeps_the_hash(self, project: Path, validate: Validate) -> None:
        path = project / "prompts" / "ticket-triage.yaml"
        original = self.prompt_hash(validate)
        data = yaml.safe_load(path.read_text())

        path.write_text(yaml.safe_dump(data, sort_keys=True, indent=4, default_style='"', width=40))
        assert self.prompt_hash(validate) == original

        reordered = dict(reversed(list(data.items())))
        path.write_text(json.dumps(reordered, indent=1))  # JSON is YAML too
        assert self.prompt_hash(validate) == original

        path.write_text("# a comment\n" + yaml.safe_dump(data, default_flow_style=True, width=10_000))
        assert self.prompt_hash(validate) == original

    def test_changing_content_changes_the_hash(self, project: Path, validate: Validate) -> None:
        path = project / "prompts" / "ticket-triage.yaml"
        original = self.prompt_hash(validate)
        path.write_text(path.read_text().replace("Ticket: {{ ticket }}", "Ticket:  {{ ticket }}"))
        changed = self.prompt_hash(validate)
        assert changed != original
        data = yaml.safe_load(path.read_text())
        data["variables"]["properties"]["ticket"]["minLength"] = 2
        path.write_text(yaml.safe_dump(data))
        assert self.prompt_hash(validate) not in (original, changed)

    def test_dataset_hash_ignores_format(self, project: Path, validate: Validate) -> None:
        def dataset_hash() -> str:
            result = validate("--format", "json")
            assert result.exit_code == 0, result.output
            return str(json.loads(result.stdout)["hashes"]["datasets"]["support-tickets"])

        original = dataset_hash()
        yaml_path = project / "datasets" / "support-tickets.yaml"
        cases = yaml.safe_load(yaml_path.read_text())["cases"]
        yaml_path.unlink()
        write(project, {"datasets/support-tickets.jsonl": "".join(json.dumps(c) + "\n" for c in cases)})
        assert dataset_hash() == original


def test_eval_refuses_an_unknown_filter_with_its_place_not_a_crash(project: Path, cli: Cli) -> None:
    prompt = project / "prompts" / "ticket-triage.yaml"
    text = prompt.read_text()
    prompt.write_text(text.replace("Ticket: {{ ticket }}", "Ticket: {{ ticket | uper }}"))
    line = text.splitlines().index('    content: "Ticket: {{ ticket }}"') + 1
    result = cli("-C", project, "eval")
    assert result.exit_code == 2, result.output
    assert (
        f"prompts/ticket-triage.yaml:{line}:1: unknown filter 'uper'; did you mean 'upper'? "
        "($.messages[1].content)" in result.stderr
    )
    assert "bug" not in result.stderr
