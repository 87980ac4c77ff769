"""Golden datasets in three formats: YAML (`cases:` list), JSONL (one case a line), CSV (a row a case)."""

from __future__ import annotations

import csv
import io
import json
import json.scanner
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmopsctl.core.cases import Case
from llmopsctl.core.diagnostics import Diagnostic, JsonPath
from llmopsctl.core.hashing import ListHasher, content_hash
from llmopsctl.project.records import assertions
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


# json.loads(line) is JSONDecoder().decode: skip JSON whitespace, scan one value, allow only whitespace after.
# Calling the scanner directly skips that wrapper's overhead for the usual line (a value right at its start);
# any other line goes through json.loads, which gives the same value or the same error.
_scan_json = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_JSON_SPACE = " \t\n\r"


def _parse_jsonl(text: str) -> RowSource:
    cases: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value, end = _scan_json(line, 0)
            if end != len(line) and line[end:].strip(_JSON_SPACE):
                value = _loads(line, number)
        except (StopIteration, ValueError, RecursionError):
            value = _loads(line, number)
        if not isinstance(value, dict):
            raise SourceError(
                f"each line must be a JSON object (a case), got {type(value).__name__}", number, 1
            )
        cases.append(value)
        lines.append(number)
    return RowSource({"cases": cases}, text, lines)


def _loads(line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid JSON: {exc.msg}", number, exc.colno) from None
    except RecursionError:
        raise SourceError("JSON is nested too deeply", number, 1) from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise SourceError(f"invalid JSON: {exc}", number, 1) from None


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
    """Cheap pre-check; the JSON Schema only runs (for its messages) on cases that fail it.

    It may reject a valid case (that only costs the schema run), never accept an invalid one: types are
    compared exactly, so bool never passes for a number and subclasses go to the schema.
    """
    if type(case) is not dict:
        return False
    for key, value in case.items():
        kind = type(value)
        if key == "vars" or key == "metadata":
            if kind is not dict:
                return False
        elif key == "id":
            if kind is not str and kind is not int:
                return False
        elif key == "expected":
            pass
        elif key == "tags":
            if kind is not list or not _tags_ok(value):
                return False
        elif key == "assert":
            if kind is not list or not all(type(a) is dict and _assertion_ok(a) for a in value):
                return False
        elif key == "threshold":
            if (kind is not int and kind is not float) or not 0 <= value <= 1:
                return False
        elif key == "description":
            if kind is not str:
                return False
        else:
            return False
    return True


def _tags_ok(tags: list[Any]) -> bool:
    return all(type(t) is str and t for t in tags) and len(set(tags)) == len(tags)


_ASSERT_KEYS = {"type", "value", "weight", "required", "metric", "threshold", "description", "config"}


def _assertion_ok(assertion: dict[str, Any]) -> bool:
    kind = assertion.get("type")
    if type(kind) is not str or not kind or not _ASSERT_KEYS.issuperset(assertion):
        return False
    weight = assertion.get("weight", 1)
    if (type(weight) is not int and type(weight) is not float) or not weight >= 0:
        return False
    threshold = assertion.get("threshold", 0)
    if type(threshold) is not int and type(threshold) is not float:
        return False
    if type(assertion.get("required", False)) is not bool:
        return False
    for key in ("metric", "description"):
        if key in assertion and type(assertion[key]) is not str:
            return False
    return "config" not in assertion or type(assertion["config"]) is dict


_SHARED_MAX_LEN = 64  # short strings that repeat across cases (labels, tags, variable names) are kept once


def build_cases(
    source: Source, rel: str, *, consume: bool = False
) -> tuple[list[Case], str, list[Diagnostic]]:
    """Check each case and give every case a stable id (derived from its content when it has none);
    the cases, the hash of their content as written, and the problems found.

    With consume, each raw case in `source.data["cases"]` is replaced by None once built, so a large
    dataset is not held twice while its cases are built (positions still work: they do not need it).
    """
    data = source.data if isinstance(source.data, dict) else {}
    raw_cases = data.get("cases") if isinstance(data.get("cases"), list) else []
    cases: list[Case] = []
    diags: list[Diagnostic] = []
    seen: dict[str, int] = {}
    shared: dict[str, str] = {}
    share = shared.setdefault
    hasher = ListHasher()
    for index, raw in enumerate(raw_cases or []):
        if consume:
            raw_cases[index] = None  # type: ignore[index]
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
            # Still built, so the checks across files report this case's other problems too; the
            # dataset has a problem, so no command runs it.
        else:
            seen[case_id] = index
        case = _case(case_id, index, raw, share)
        hasher.add(_written(case_id, raw, case))
        cases.append(case)
    return cases, hasher.hexdigest(), diags


def _case(case_id: str, index: int, raw: dict[str, Any], share: Callable[[str, str], str]) -> Case:
    vars_ = raw.get("vars")
    expected = raw.get("expected")
    if type(expected) is str and len(expected) <= _SHARED_MAX_LEN:
        expected = share(expected, expected)
    tags = raw.get("tags")  # a string or mapping (reported above) still gives its characters or keys
    metadata = raw.get("metadata")
    threshold = raw.get("threshold")
    return Case(
        case_id,
        {share(k, k): v for k, v in vars_.items()} if isinstance(vars_, dict) else {},
        expected,
        assertions(raw.get("assert")),
        tuple(share(t, t) for t in map(str, tags)) if isinstance(tags, (list, str, dict)) else (),
        dict(metadata) if isinstance(metadata, dict) else {},
        threshold if isinstance(threshold, (int, float)) else None,
        index,
    )


def _written(case_id: str, raw: dict[str, Any], case: Case) -> dict[str, Any]:
    """What a case's content hash covers: its id and what it sets, as written."""
    out: dict[str, Any] = {"id": case_id, "vars": case.vars}
    if case.expected is not None:
        out["expected"] = case.expected
    asserts = raw.get("assert")
    if isinstance(asserts, list) and any(isinstance(a, dict) for a in asserts):
        out["assert"] = [a for a in asserts if isinstance(a, dict)]
    if case.tags:
        out["tags"] = list(case.tags)
    if case.metadata:
        out["metadata"] = case.metadata
    if case.threshold is not None:
        out["threshold"] = case.threshold
    return out
