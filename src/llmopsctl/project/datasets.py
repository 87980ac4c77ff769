"""Golden datasets in three formats: YAML (`cases:` list), JSONL (one case a line), CSV (a row a case)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from llmopsctl.project.diagnostics import Diagnostic, JsonPath
from llmopsctl.project.hashing import content_hash
from llmopsctl.project.model import Case
from llmopsctl.project.schemacheck import schema_diagnostics
from llmopsctl.project.yamlsource import Position, Source, SourceError, load_yaml_text, read_text

DATASET_SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv")
CASE_KEYS = {"id", "description", "vars", "expected", "assert", "threshold", "tags", "metadata"}
CSV_SPECIAL = {"id", "expected", "tags", "description"}


class RowSource(Source):
    """A dataset with one case per line (JSONL) or row (CSV): case i maps to its line."""

    def __init__(self, data: Any, text: str, lines: list[int]) -> None:
        super().__init__(data, text, None)
        self.lines = lines

    def locate(self, path: JsonPath, *, key: bool = False) -> Position:
        if (
            len(path) >= 2
            and path[0] == "cases"
            and isinstance(path[1], int)
            and 0 <= path[1] < len(self.lines)
        ):
            return Position(self.lines[path[1]], 1)
        return Position(1, 1)

    def value_line_offset(self, path: JsonPath) -> int:
        return self.locate(path).line


def parse_dataset(path: Path) -> Source:
    """Parse a dataset file of any supported format into {"cases": [...]} plus positions."""
    return parse_dataset_text(read_text(path), path.suffix.lower())


def parse_dataset_text(text: str, suffix: str) -> Source:
    if suffix == ".jsonl":
        return _parse_jsonl(text)
    if suffix == ".csv":
        return _parse_csv(text)
    return load_yaml_text(text)


def _parse_jsonl(text: str) -> RowSource:
    cases: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(f"invalid JSON: {exc.msg}", number, exc.colno) from None
        except RecursionError:
            raise SourceError("JSON is nested too deeply", number, 1) from None
        except ValueError as exc:  # e.g. an integer beyond Python's digit limit
            raise SourceError(f"invalid JSON: {exc}", number, 1) from None
        if not isinstance(value, dict):
            raise SourceError(
                f"each line must be a JSON object (a case), got {type(value).__name__}", number, 1
            )
        cases.append(value)
        lines.append(number)
    return RowSource({"cases": cases}, text, lines)


def _parse_csv(text: str) -> RowSource:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    cases: list[Any] = []
    lines: list[int] = []
    try:
        fields = reader.fieldnames or []
        for dup in {f for f in fields if fields.count(f) > 1}:
            raise SourceError(f"duplicate CSV column {dup!r}", 1, 1)
        start = 2
        for row in reader:
            if None in row:
                raise SourceError("row has more cells than the header has columns", start, 1)
            cases.append(_csv_case(row))
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SourceError(f"CSV error: {exc}", reader.line_num, 1) from None
    return RowSource({"cases": cases}, text, lines)


def _csv_case(row: dict[str, str | None]) -> dict[str, Any]:
    case: dict[str, Any] = {"vars": {}}
    for column, value in row.items():
        if column is None:
            continue
        value = value or ""
        if column == "tags":
            tags = [t.strip() for t in value.replace(";", ",").replace("|", ",").split(",") if t.strip()]
            if tags:
                case["tags"] = tags
        elif column.startswith("metadata."):
            case.setdefault("metadata", {})[column.removeprefix("metadata.")] = value
        elif column in CSV_SPECIAL:
            if value != "" or column == "expected":
                case[column] = value
        else:
            case["vars"][column] = value
    return case


def _looks_valid(case: Any) -> bool:
    """Cheap pre-check; the JSON Schema only runs (for its messages) on cases that fail it."""
    if not isinstance(case, dict) or not CASE_KEYS.issuperset(case):
        return False
    checks = (
        ("id", (str, int)),
        ("vars", dict),
        ("assert", list),
        ("tags", list),
        ("metadata", dict),
        ("description", str),
    )
    for key, kind in checks:
        if key in case and (not isinstance(case[key], kind) or isinstance(case[key], bool)):
            return False
    if "tags" in case and not all(isinstance(t, str) and t for t in case["tags"]):
        return False
    if "tags" in case and len(set(case["tags"])) != len(case["tags"]):
        return False
    if "threshold" in case:
        value = case["threshold"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            return False
    return "assert" not in case or all(
        isinstance(a, dict) and isinstance(a.get("type"), str) and _assert_keys_ok(a) for a in case["assert"]
    )


_ASSERT_KEYS = {"type", "value", "weight", "metric", "threshold", "description", "config"}


def _assert_keys_ok(assertion: dict[str, Any]) -> bool:
    if not _ASSERT_KEYS.issuperset(assertion):
        return False
    weight = assertion.get("weight", 1)
    return not isinstance(weight, bool) and isinstance(weight, (int, float)) and weight >= 0


def build_cases(source: Source, rel: str) -> tuple[list[Case], list[Diagnostic]]:
    """Check each case and give every case a stable id (derived from its content when it has none)."""
    data = source.data if isinstance(source.data, dict) else {}
    raw_cases = data.get("cases") if isinstance(data.get("cases"), list) else []
    cases: list[Case] = []
    diags: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_cases or []):
        if not _looks_valid(raw):
            diags.extend(schema_diagnostics("case", raw, source, rel, ("cases", index)))
            if not isinstance(raw, dict):
                continue
        case_id = raw.get("id")
        if case_id is None or case_id == "":
            body = {k: v for k, v in raw.items() if k != "id"}
            case_id = "c-" + content_hash(body, 10)
            if case_id in seen:
                case_id = f"{case_id}-{index}"
        case_id = str(case_id)
        if case_id in seen:
            pos = source.locate(("cases", index, "id"))
            first = source.locate(("cases", seen[case_id]))
            diags.append(
                Diagnostic(
                    rel,
                    pos.line,
                    pos.col,
                    f"duplicate case id {case_id!r} (first used on line {first.line})",
                    f"$.cases[{index}].id",
                    "duplicate",
                )
            )
            continue
        seen[case_id] = index
        vars_ = raw.get("vars") if isinstance(raw.get("vars"), dict) else {}
        cases.append(
            Case(
                id=case_id,
                vars=dict(vars_ or {}),
                expected=raw.get("expected"),
                asserts=[a for a in raw.get("assert") or [] if isinstance(a, dict)],
                tags=[str(t) for t in raw.get("tags") or []],
                metadata=dict(raw.get("metadata") or {}) if isinstance(raw.get("metadata"), dict) else {},
                threshold=raw.get("threshold") if isinstance(raw.get("threshold"), (int, float)) else None,
                index=index,
            )
        )
    return cases, diags
