"""Assertion type plugins: entry points of the group `llmopsctl.scorers` in a distribution installed on
sys.path for the test (a real dist-info directory, found by importlib.metadata like any other)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import problem_lines
from llmopsctl.core.assertions import Assertion
from llmopsctl.errors import ConfigError
from llmopsctl.scorers import registry
from llmopsctl.scorers.base import ScoreContext, ScorerError
from llmopsctl.scorers.declaration import AssertionType
from llmopsctl.scorers.registry import known_types, resolve, run_assertion

MODULE = "llmopsctl_test_plugin"
PLUGIN = """\
from llmopsctl.scorers.declaration import AssertionType


def begins(ctx, value, config):
    return ctx.output.startswith(str(value))


def check_begins(assertion, env):
    if assertion.value is not None and not isinstance(assertion.value, str):
        return [(("value",), "`value` must be a string")]
    return []


def shouts(ctx, value, config):
    return ctx.output.isupper()


BEGINS = AssertionType("begins", begins, check=check_begins)
WHISPERS = AssertionType("whispers", shouts, needs_value=False)
NOT_A_SCORER = 42
"""

Install = Callable[..., None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """install(distribution, {entry point name: "module:attribute"}) puts a distribution declaring those
    entry points, and the plugin module above, on sys.path; the registry forgets its plugins around."""
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{MODULE}.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(site))

    def install_dist(distribution: str, entry_points: dict[str, str]) -> None:
        info = site / f"{distribution.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[{registry.ENTRY_POINT_GROUP}]\n{lines}")

    registry.plugin_entry_points.cache_clear()
    registry.plugin.cache_clear()
    yield install_dist
    registry.plugin_entry_points.cache_clear()
    registry.plugin.cache_clear()
    sys.modules.pop(MODULE, None)


def test_a_declaration_plugin_is_used_as_declared(install: Install) -> None:
    install("begins-plugin", {"begins": f"{MODULE}:BEGINS"})
    declared, negate = resolve("begins")
    assert (declared.name, declared.needs_value, declared.negatable, negate) == ("begins", True, True, False)
    assert resolve("not-begins") == (declared, True)
    assert {"begins", "not-begins"} <= set(known_types())
    assert declared.problems(Assertion("begins", value=["a"])) == [(("value",), "`value` must be a string")]
    # it compares with the case's `expected` when the assertion has no `value`, as built-ins do
    context = ScoreContext(output="HELLO", expected="HE")
    assert asyncio.run(run_assertion(Assertion("begins"), context)).passed
    assert not asyncio.run(run_assertion(Assertion("not-begins"), context)).passed


def test_a_function_plugin_compares_with_no_value(install: Install) -> None:
    install("shouts-plugin", {"shouts": f"{MODULE}:shouts"})
    declared, _ = resolve("shouts")
    assert isinstance(declared, AssertionType)
    assert (declared.name, declared.needs_value, declared.negatable, declared.check) == (
        "shouts",
        False,
        True,
        None,
    )
    context = ScoreContext(output="HELLO", expected="hello")
    assert asyncio.run(run_assertion(Assertion("shouts"), context)).passed
    assert "not-shouts" in known_types()


def test_a_plugin_named_like_a_builtin_is_an_error(install: Install) -> None:
    install("shadow-plugin", {"contains": f"{MODULE}:shouts"})
    with pytest.raises(ConfigError) as caught:
        resolve("equals")
    assert str(caught.value) == (
        f"the assertion type plugin contains = '{MODULE}:shouts' (from shadow-plugin 1.0) has the name of "
        "a built-in assertion type or of its negation"
    )
    assert caught.value.hint == "rename the plugin's entry point (group 'llmopsctl.scorers') or uninstall it"


def test_a_plugin_named_like_a_builtins_negation_is_an_error(install: Install) -> None:
    install("negating-plugin", {"not-contains": f"{MODULE}:shouts"})
    with pytest.raises(ConfigError, match=r"plugin not-contains = .* or of its negation"):
        resolve("contains")


def test_two_plugins_of_one_name_are_an_error(install: Install) -> None:
    install("first-plugin", {"begins": f"{MODULE}:BEGINS"})
    install("second-plugin", {"begins": f"{MODULE}:shouts"})
    with pytest.raises(ConfigError, match="two assertion type plugins are named 'begins'") as caught:
        resolve("begins")
    assert "first-plugin 1.0" in str(caught.value) and "second-plugin 1.0" in str(caught.value)


def test_a_plugin_must_point_at_a_declaration_of_its_name_or_a_function(install: Install) -> None:
    install(
        "odd-plugin",
        {
            "murmurs": f"{MODULE}:WHISPERS",
            "answer": f"{MODULE}:NOT_A_SCORER",
            "gone": f"{MODULE}:missing",
        },
    )
    with pytest.raises(ConfigError, match="declares the type 'whispers'") as named:
        resolve("murmurs")
    assert named.value.hint == "name the entry point 'whispers', as the declaration does"
    with pytest.raises(ConfigError, match="is a int, neither an AssertionType nor a function"):
        resolve("answer")
    with pytest.raises(ScorerError, match=f"cannot load assertion type 'gone' from {MODULE}:missing"):
        resolve("gone")
    assert {"gone", "answer"} <= set(known_types()) and "not-gone" not in known_types()


DATASET = """\
cases:
  - id: a
    assert:
      - type: begins
        value: [not, a, string]
      - type: begins
      - type: assert-set
        value:
          - type: not-begins
            value: {a: 1}
"""


def test_validate_runs_a_plugins_check(
    install: Install, validate: Callable[..., Result], project: Path
) -> None:
    install("begins-plugin", {"begins": f"{MODULE}:BEGINS"})
    (project / "datasets" / "plugged.yaml").write_text(DATASET)
    result = validate()
    assert result.exit_code == 1, result.output
    assert problem_lines(result) == [
        "datasets/plugged.yaml:5:16: `value` must be a string ($.cases[0].assert[0].value)",
        "datasets/plugged.yaml:6:9: 'begins' needs a `value`, or an `expected` on the case "
        "($.cases[0].assert[1])",
        "datasets/plugged.yaml:10:20: `value` must be a string ($.cases[0].assert[2].value[0].value)",
    ]


def test_validate_stops_at_a_plugin_named_like_a_builtin(
    install: Install, validate: Callable[..., Result]
) -> None:
    install("shadow-plugin", {"regex": f"{MODULE}:shouts"})
    result = validate()
    assert result.exit_code == 2, result.output
    assert f"regex = '{MODULE}:shouts' (from shadow-plugin 1.0)" in result.stderr
    assert "hint: rename the plugin's entry point" in result.stderr
