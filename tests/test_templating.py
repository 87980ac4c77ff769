"""Prompt templates: the fast paths give exactly what Jinja gives, and errors stay errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmopsctl.core.definitions import Message
from llmopsctl.errors import ConfigError
from llmopsctl.project.templating import environment, render, render_cached, render_messages

NAMES = st.sampled_from(["question", "ticket", "name", "x"])
VALUES = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
LITERAL = st.text(alphabet=st.characters(blacklist_characters="{}%#\r"), max_size=20)


@st.composite
def simple_templates(draw: Any) -> str:
    parts = draw(st.lists(st.one_of(LITERAL, NAMES.map(lambda n: "{{ " + n + " }}")), max_size=6))
    return "".join(parts)


def jinja(text: str, context: dict[str, Any]) -> str:
    return environment().from_string(text).render(**context)


@given(simple_templates(), st.dictionaries(NAMES, VALUES))
def test_simple_templates_render_like_jinja(text: str, context: dict[str, Any]) -> None:
    try:
        expected = jinja(text, context)
    except Exception:
        with pytest.raises(ConfigError):
            render(text, context)
        with pytest.raises(ConfigError):
            render_cached(text, context)
        return
    assert render(text, context) == expected
    assert render_cached(text, context) == expected
    assert render_cached(text, context) == expected  # the second time from the cache


@given(LITERAL)
def test_text_without_template_syntax_is_returned_as_is(text: str) -> None:
    assert render(text, {}) == text == jinja(text, {})


def test_full_jinja_still_works_and_missing_variables_are_errors() -> None:
    assert render("{% for t in tags %}[{{ t|upper }}]{% endfor %}", {"tags": ["a", "b"]}) == "[A][B]"
    assert render("{{ data|tojson }}", {"data": {"b": 1, "a": 2}}) == '{"a": 2, "b": 1}'
    with pytest.raises(ConfigError, match="question"):
        render("Q: {{ question }}", {}, what="prompt 'p'")
    with pytest.raises(ConfigError):
        render_cached("{{ expected }}", {})


def test_cached_values_follow_their_variables() -> None:
    text = "^{{ expected }}$"
    assert render_cached(text, {"expected": "billing"}) == "^billing$"
    assert render_cached(text, {"expected": "shipping"}) == "^shipping$"
    assert render_cached(text, {"expected": 1}) == "^1$"
    assert render_cached(text, {"expected": True}) == "^True$"  # 1 and True are not the same value


def test_render_messages_keeps_roles_and_names() -> None:
    messages = [Message("system", "Be brief."), Message("user", "{{ q }}", "u")]
    assert render_messages(messages, {"q": "hi"}, what="prompt") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi", "name": "u"},
    ]
