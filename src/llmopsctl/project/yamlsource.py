"""Load YAML into plain JSON-like data while keeping the node tree, so any JSON path maps back to line:col.

Hardened for hostile input: invalid UTF-8, tabs, duplicate keys, recursive aliases and alias bombs,
very deep nesting and huge files all come back as a `SourceError` with a position, never a crash or a hang.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from llmopsctl.core.diagnostics import JsonPath

# How many nodes aliases may add on top of the document itself before it is treated as an alias bomb.
MAX_ALIAS_EXPANSION = 100_000
MAX_DEPTH = 200

try:  # libyaml's C parser is an order of magnitude faster when the wheel ships it
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the build
    _Loader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BINARY = "tag:yaml.org,2002:binary"


class SourceError(Exception):
    """A file that cannot be read as data; line and col are 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass(frozen=True)
class Position:
    line: int
    col: int


class Source:
    """Parsed data plus a way back from a JSON path to where it was written."""

    def __init__(self, data: Any, text: str, root: yaml.Node | None = None) -> None:
        self.data = data
        self.text = text
        self._root = root

    def locate(self, path: JsonPath, *, key: bool = False) -> Position:
        """Position of the value at `path` (or of its key with key=True); the nearest ancestor if absent."""
        node = self._root
        if node is None:
            return Position(1, 1)
        pos = _pos(node)
        for i, part in enumerate(path):
            child, key_node = _child(node, part)
            if child is None:
                return pos if key_node is None else _pos(key_node)
            last = i == len(path) - 1
            if last and key and key_node is not None:
                return _pos(key_node)
            node = child
            pos = _pos(node)
        return pos

    def value_line_offset(self, path: JsonPath) -> int:
        """Line (1-based) where the text of a string scalar starts: block scalars begin on the next line."""
        node = self._root
        for part in path:
            if node is None:
                break
            node, _ = _child(node, part)
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            return node.start_mark.line + 2
        if node is not None:
            return node.start_mark.line + 1
        return 1


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part], None
        return None, None
    if isinstance(node, yaml.MappingNode):
        own = [(k, v) for k, v in node.value if k.tag != _MERGE]  # explicit keys win over merged ones
        for k, v in [*own, *_mapping_pairs(node)]:
            if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                return v, k
    return None, None


def _mapping_pairs(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    for k, v in node.value:
        if k.tag == _MERGE:
            sources = v.value if isinstance(v, yaml.SequenceNode) else [v]
            for src in sources:
                if isinstance(src, yaml.MappingNode):
                    yield from _mapping_pairs(src)
        else:
            yield k, v


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM); invalid bytes are reported with their line and column."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SourceError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line, col
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: Path) -> str:
    if path.is_dir():
        raise SourceError("is a directory, expected a file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    if b"\x00" in raw[:8192]:
        raise SourceError("looks like a binary file (contains NUL bytes)")
    return decode(raw)


def load_yaml_text(text: str) -> Source:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.context not in problem:
            problem = f"{problem} ({exc.context})"
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        if "tab" in problem.lower() or _char_at(text, line, col) == "\t":
            problem += "; YAML indentation must use spaces, not tabs"
        raise SourceError(f"YAML syntax error: {problem}", line, col) from None
    except yaml.YAMLError as exc:
        raise SourceError(f"YAML error: {exc}") from None
    except RecursionError:
        raise SourceError(f"YAML is nested more than {MAX_DEPTH} levels deep") from None
    if root is None:
        return Source(None, text, None)
    builder = _Builder()
    data = builder.build(root, 0)
    return Source(data, text, root)


def _char_at(text: str, line: int, col: int) -> str:
    lines = text.splitlines()
    if 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]):
        return lines[line - 1][col - 1]
    return ""


def load_yaml_file(path: Path) -> Source:
    return load_yaml_text(read_text(path))


class _Builder:
    """Turns a composed node graph into JSON-like Python data, guarding against alias abuse."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.expanded = 0

    def build(self, node: yaml.Node, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise SourceError(f"YAML is nested more than {MAX_DEPTH} levels deep", *_line_col(node))
        ident = id(node)
        if ident in self.active:
            raise SourceError("recursive YAML alias (an anchor refers to itself)", *_line_col(node))
        if ident in self.seen and not isinstance(node, yaml.ScalarNode):
            self.expanded += _size(node)
            if self.expanded > MAX_ALIAS_EXPANSION:
                raise SourceError(
                    f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes (an alias bomb?)",
                    *_line_col(node),
                )
        self.seen.add(ident)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        self.active.add(ident)
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, depth + 1) for item in node.value]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, depth)
        finally:
            self.active.discard(ident)
        raise SourceError("unsupported YAML node", *_line_col(node))  # pragma: no cover

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged = self.build(value_node, depth + 1)
                for src in merged if isinstance(merged, list) else [merged]:
                    if not isinstance(src, dict):
                        raise SourceError(
                            "`<<` merge needs a mapping or a list of mappings", *_line_col(value_node)
                        )
                    for k, v in src.items():
                        if k not in explicit:
                            out[k] = v
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise SourceError(
                    "mapping keys must be plain scalars, not lists or mappings", *_line_col(key_node)
                )
            key = key_node.value
            if key in explicit:
                first = explicit[key].start_mark.line + 1
                raise SourceError(
                    f"duplicate key {key!r} (first defined on line {first})", *_line_col(key_node)
                )
            explicit[key] = key_node
            out[key] = self.build(value_node, depth + 1)
        return out


def _line_col(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _size(node: yaml.Node, budget: int = MAX_ALIAS_EXPANSION + 1) -> int:
    """Number of nodes under `node`, counting shared ones each time (stops counting past `budget`)."""
    total = 0
    stack = [node]
    while stack and total <= budget:
        current = stack.pop()
        total += 1
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for k, v in current.value:
                stack.append(k)
                stack.append(v)
    return total


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() in ("yes", "true", "on", "y")
    try:
        if tag == _INT:
            return _int(value)
        if tag == _FLOAT:
            return _float(value)
        if tag == _BINARY:
            return base64.b64encode(base64.b64decode(value, validate=True)).decode()
    except ValueError:  # includes binascii.Error and ints beyond Python's digit limit
        short = value if len(value) <= 40 else value[:37] + "..."
        raise SourceError(f"invalid {tag.rsplit(':', 1)[-1]} value {short!r}", *_line_col(node)) from None
    if tag == _TIMESTAMP:
        return _timestamp(value)
    if tag.startswith("tag:yaml.org,2002:"):
        return value
    raise SourceError(f"unsupported YAML tag {tag!r}", *_line_col(node))


def _int(value: str) -> int:
    text = value.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if text.startswith("0o"):
        return sign * int(text[2:], 8)
    if ":" in text:  # YAML 1.1 sexagesimal
        total = 0
        for part in text.split(":"):
            total = total * 60 + int(part)
        return sign * total
    if len(text) > 1 and text.startswith("0"):
        return sign * int(text, 8)
    return sign * int(text)


def _float(value: str) -> float:
    text = value.replace("_", "").lower()
    if text in (".inf", "+.inf"):
        return math.inf
    if text == "-.inf":
        return -math.inf
    if text == ".nan":
        return math.nan
    if ":" in text:
        sign = -1.0 if text.startswith("-") else 1.0
        total = 0.0
        for part in text.lstrip("+-").split(":"):
            total = total * 60 + float(part)
        return sign * total
    return float(text)


def _timestamp(value: str) -> str:
    """Dates stay strings (ISO 8601), so data round-trips to JSON unchanged."""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        return value
