"""llmopsctl.project.yamlsource: data, positions, and hostile input as SourceError (never a crash)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmopsctl.project.yamlsource import (
    MAX_DEPTH,
    Position,
    SourceError,
    decode,
    load_yaml_file,
    load_yaml_text,
    read_text,
)

DOC = """\
name: demo          # line 1
messages:
  - role: system
    content: |
      first line
      second line
  - role: user
    content: "Ticket: {{ ticket }}"
params: {temperature: 0, stop: ["\\n", END]}
"""


def error(text: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        load_yaml_text(text)
    return info.value


class TestData:
    def test_plain_data(self) -> None:
        source = load_yaml_text(DOC)
        assert source.data == {
            "name": "demo",
            "messages": [
                {"role": "system", "content": "first line\nsecond line\n"},
                {"role": "user", "content": "Ticket: {{ ticket }}"},
            ],
            "params": {"temperature": 0, "stop": ["\n", "END"]},
        }
        assert source.text == DOC

    def test_empty_documents(self) -> None:
        assert load_yaml_text("").data is None
        assert load_yaml_text("# nothing\n").data is None
        assert load_yaml_text("").locate(("a", 1)) == Position(1, 1)

    def test_scalars_are_json_like(self) -> None:
        source = load_yaml_text(
            "a: yes\nb: ~\nc: 0x1F\nd: 1_000\ne: 2024-05-01\nf: 1.5e+3\ng: .inf\nh: 0o17\ni: '007'\n"
        )
        assert source.data == {
            "a": True,
            "b": None,
            "c": 31,
            "d": 1000,
            "e": "2024-05-01",  # dates stay strings so data round-trips through JSON
            "f": 1500.0,
            "g": float("inf"),
            "h": "0o17",
            "i": "007",
        }

    def test_keys_are_strings(self) -> None:
        assert load_yaml_text("1: a\ntrue: b\n").data == {"1": "a", "true": "b"}

    def test_utf8_bom_is_dropped(self) -> None:
        assert decode("\ufeffa: 1\n".encode()) == "a: 1\n"

    def test_invalid_utf8_position(self) -> None:
        with pytest.raises(SourceError) as info:
            decode(b"a: 1\nbb: \xff\n")
        assert (info.value.line, info.value.col) == (2, 5)
        assert "not valid UTF-8 (byte 0xff)" in info.value.message

    def test_read_text_rejects_binary_and_directories(self, tmp_path: Path) -> None:
        (tmp_path / "bin.yaml").write_bytes(b"a: 1\x00\x01")
        with pytest.raises(SourceError, match="binary file"):
            read_text(tmp_path / "bin.yaml")
        with pytest.raises(SourceError, match="is a directory"):
            read_text(tmp_path)
        with pytest.raises(SourceError, match="cannot read"):
            read_text(tmp_path / "missing.yaml")
        (tmp_path / "ok.yaml").write_text("a: [1, 2]\n")
        assert load_yaml_file(tmp_path / "ok.yaml").data == {"a": [1, 2]}


class TestPositions:
    def test_values_and_keys(self) -> None:
        source = load_yaml_text(DOC)
        assert source.locate(()) == Position(1, 1)
        assert source.locate(("name",)) == Position(1, 7)
        assert source.locate(("name",), key=True) == Position(1, 1)
        assert source.locate(("messages", 1)) == Position(7, 5)
        assert source.locate(("messages", 1, "role")) == Position(7, 11)
        assert source.locate(("messages", 1, "content"), key=True) == Position(8, 5)
        assert source.locate(("params", "stop", 1)) == Position(9, 39)
        assert source.locate(("params", "temperature"), key=True) == Position(9, 10)

    def test_missing_paths_fall_back_to_the_nearest_ancestor(self) -> None:
        source = load_yaml_text(DOC)
        assert source.locate(("messages", 7, "role")) == source.locate(("messages",))
        assert source.locate(("params", "seed")) == Position(9, 9)
        assert source.locate(("name", "deeper")) == Position(1, 7)

    def test_block_scalar_line_offset(self) -> None:
        source = load_yaml_text(DOC)
        # `content: |` is on line 4; the text of the scalar starts on line 5.
        assert source.locate(("messages", 0, "content")) == Position(4, 14)
        assert source.value_line_offset(("messages", 0, "content")) == 5
        assert source.value_line_offset(("messages", 1, "content")) == 8
        folded = load_yaml_text("a:\n  b: >-\n    folded\n    text\n")
        assert folded.value_line_offset(("a", "b")) == 3

    def test_merge_keys(self) -> None:
        source = load_yaml_text(
            "base: &base\n"
            "  provider: openai\n"
            "  params: {temperature: 0}\n"
            "fast:\n"
            "  <<: *base\n"
            "  model: gpt-4o-mini\n"
            "both:\n"
            "  <<: [*base, {model: x, extra: 1}]\n"
            "  provider: anthropic\n"
        )
        assert source.data["fast"] == {
            "provider": "openai",
            "params": {"temperature": 0},
            "model": "gpt-4o-mini",
        }
        assert source.data["both"] == {
            "provider": "anthropic",
            "params": {"temperature": 0},
            "model": "x",
            "extra": 1,
        }
        assert source.locate(("fast", "model")) == Position(6, 10)
        assert source.locate(("fast", "provider")) == Position(2, 13)  # where the merged value is written
        assert source.locate(("both", "extra")) == Position(8, 33)

    def test_explicit_key_wins_over_merged_key_in_positions(self) -> None:
        source = load_yaml_text("base: &b\n  x: 1\nchild:\n  <<: *b\n  x: 5\n")
        assert source.data["child"] == {"x": 5}
        assert source.locate(("child", "x")) == Position(5, 6)

    def test_merge_of_a_scalar_is_an_error(self) -> None:
        exc = error("a: &a 5\nb:\n  <<: *a\n")
        assert exc.message == "`<<` merge needs a mapping or a list of mappings"
        assert exc.line > 0


class TestErrors:
    def test_syntax_error_position(self) -> None:
        exc = error("a:\n  b: c\n d: e\n")
        assert exc.message.startswith("YAML syntax error: ")
        assert (exc.line, exc.col) == (3, 2)

    def test_tab_indentation_hint(self) -> None:
        exc = error("a:\n\tb: 1\n")
        assert (exc.line, exc.col) == (2, 1)
        assert exc.message.endswith("; YAML indentation must use spaces, not tabs")

    def test_duplicate_key(self) -> None:
        exc = error("a: 1\nb: 2\na: 3\n")
        assert (exc.line, exc.col, exc.message) == (3, 1, "duplicate key 'a' (first defined on line 1)")

    def test_complex_keys(self) -> None:
        exc = error("? [a, b]\n: c\n")
        assert "keys must be plain scalars" in exc.message

    def test_unknown_tag(self) -> None:
        exc = error("a: !python/object:os.system x\n")
        assert exc.message == "unsupported YAML tag '!python/object:os.system'"
        assert (exc.line, exc.col) == (1, 4)

    @pytest.mark.timeout(10)
    def test_alias_bomb(self) -> None:
        rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
            rows.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]")
        exc = error("\n".join(rows) + "\n")
        assert "alias bomb" in exc.message
        assert exc.line > 0

    def test_many_small_aliases_are_fine(self) -> None:
        text = "base: &b {x: 1}\nitems:\n" + "".join("  - *b\n" for _ in range(1000))
        assert len(load_yaml_text(text).data["items"]) == 1000

    @pytest.mark.timeout(10)
    def test_recursive_alias(self) -> None:
        exc = error("a: &x\n  b: *x\n")
        assert exc.message == "recursive YAML alias (an anchor refers to itself)"
        assert (exc.line, exc.col) == (1, 4)
        assert "recursive" in error("&x [*x]\n").message

    @pytest.mark.timeout(10)
    @pytest.mark.parametrize("depth", [MAX_DEPTH + 10, 1000, 100_000])
    def test_deep_nesting(self, depth: int) -> None:
        exc = error("[" * depth + "]" * depth)
        assert "nest" in exc.message
        exc = error("".join(f"{'  ' * i}k{i}:\n" for i in range(min(depth, 2000))) + "  " * depth + "v\n")
        assert "nest" in exc.message or "syntax" in exc.message

    def test_nesting_up_to_the_limit_is_fine(self) -> None:
        depth = MAX_DEPTH
        data: Any = load_yaml_text("[" * depth + "]" * depth).data
        for _ in range(depth - 1):
            data = data[0]
        assert data == []

    @pytest.mark.parametrize(
        "text",
        ["a: 0b_\n", "a: 0x_\n", "a: !!int x\n", "a: !!float x\n", "a: !!binary a\n", "a: !!binary é\n"],
    )
    def test_scalar_that_does_not_convert(self, text: str) -> None:
        exc = error(text)
        assert (exc.line, exc.col) == (1, 4)

    def test_huge_integer(self) -> None:
        exc = error("a: 1" + "0" * 5000 + "\n")
        assert (exc.line, exc.col) == (1, 4) and exc.message.startswith("invalid int value '1000")


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_LIKE)
def test_round_trip_matches_pyyaml(data: Any) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    assert load_yaml_text(text).data == yaml.safe_load(text)


@settings(max_examples=100, deadline=None)
@given(JSON_LIKE, st.integers(min_value=1, max_value=4), st.booleans())
def test_round_trip_any_style(data: Any, indent: int, flow: bool) -> None:
    text = yaml.safe_dump(
        data, indent=indent + 1, default_flow_style=flow, allow_unicode=False, sort_keys=False
    )
    assert load_yaml_text(text).data == data


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_loads_or_raises_source_error(text: str) -> None:
    try:
        load_yaml_text(text)
    except SourceError as exc:
        assert exc.message
        assert exc.line >= 0
        assert exc.col >= 0


YAMLISH = st.lists(
    st.sampled_from(
        [
            "a",
            ":",
            " ",
            "  ",
            "\n",
            "-",
            "[",
            "]",
            "{",
            "}",
            ",",
            "&x",
            "*x",
            "<<",
            "'",
            '"',
            "|",
            ">",
            "#",
            "?",
            "\t",
            "!!str",
            "1",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(YAMLISH)
def test_yaml_like_text_loads_or_raises_source_error(text: str) -> None:
    try:
        load_yaml_text(text)
    except SourceError:
        pass
