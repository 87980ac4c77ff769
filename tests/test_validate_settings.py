"""`llmopsctl validate` of llmops.yaml against the rest of the project: budget scopes must exist."""

from __future__ import annotations

from pathlib import Path

from conftest import Cli
from test_validate import Validate, failed

BUDGETS = """\
budgets:
  - name: support
    scope: {team: suport-ai}
    period: month
    amount_usd: 100
  - scope: {prompt: ticket-triag}
    period: day
    amount_usd: 5
  - scope: {suite: triag}
    period: week
    amount_usd: 20
  - scope: {project: true}
    period: month
    amount_usd: 500
"""


class TestBudgetScopes:
    """A budget for a team, prompt or suite that does not exist would report 0% forever: it is an error."""

    @staticmethod
    def add_budgets(project: Path) -> int:
        """Append BUDGETS to llmops.yaml; the line number of its first budget's scope."""
        settings = project / "llmops.yaml"
        text = settings.read_text()
        settings.write_text(text + BUDGETS)
        return len(text.splitlines()) + 3

    @staticmethod
    def expected(line: int, teams: str) -> list[str]:
        return [
            f"llmops.yaml:{line}:19: budget 'support' is for unknown team 'suport-ai'; "
            f"did you mean 'support-ai'? ({teams}) ($.budgets[0].scope.team)",
            f"llmops.yaml:{line + 3}:21: budget 'prompt-ticket-triag-day' is for unknown prompt "
            "'ticket-triag' (no prompts/ticket-triag.yaml); did you mean 'ticket-triage'? "
            "($.budgets[1].scope.prompt)",
            f"llmops.yaml:{line + 6}:20: budget 'suite-triag-week' is for unknown suite 'triag' "
            "(no suites/triag.yaml); did you mean 'triage'? ($.budgets[2].scope.suite)",
        ]

    def test_against_the_declared_teams(self, project: Path, validate: Validate) -> None:
        line = self.add_budgets(project)
        assert failed(validate()) == self.expected(line, "teams in llmops.yaml")
        assert failed(validate("llmops.yaml")) == self.expected(line, "teams in llmops.yaml")

    def test_against_the_teams_files_name_when_none_are_declared(
        self, project: Path, validate: Validate
    ) -> None:
        settings = project / "llmops.yaml"
        text = settings.read_text()
        start, end = text.index("teams:\n"), text.index("support-ai@example.com\n")
        settings.write_text(text[:start] + text[end + len("support-ai@example.com\n") :])
        line = self.add_budgets(project)
        undeclared = "llmops.yaml declares no `teams`, and no prompt or suite has this `team`"
        assert failed(validate()) == self.expected(line, undeclared)
        assert failed(validate("llmops.yaml")) == self.expected(line, undeclared)
        # Only some files loaded: the teams the others name are not known, so team scopes are not judged.
        assert failed(validate("prompts/ticket-triage.yaml")) == self.expected(line, undeclared)[1:]

    def test_budgets_for_what_exists_validate(self, project: Path, validate: Validate, cli: Cli) -> None:
        self.add_budgets(project)
        settings = project / "llmops.yaml"
        text = settings.read_text()
        for wrong, right in (
            ("suport-ai", "support-ai"),
            ("ticket-triag}", "ticket-triage}"),
            ("triag}", "triage}"),
        ):
            text = text.replace(wrong, right)
        settings.write_text(text)
        result = validate()
        assert result.exit_code == 0, result.output
        assert cli("-C", project, "eval", "-q").exit_code == 0
        budget = cli("-C", project, "cost", "budget")
        assert budget.exit_code == 0, budget.output
        for name in ("support", "prompt-ticket-triage-day", "suite-triage-week", "project-month"):
            assert name in budget.stdout

    def test_eval_refuses_a_budget_for_nothing(self, project: Path, cli: Cli) -> None:
        self.add_budgets(project)
        result = cli("-C", project, "eval")
        assert result.exit_code == 2
        assert "budget 'support' is for unknown team 'suport-ai'" in result.stderr
