"""Problems found in project files, each pinned to path:line:col and a JSON path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JsonPath = tuple[str | int, ...]


def format_json_path(path: JsonPath) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


@dataclass(frozen=True)
class Diagnostic:
    path: str  # file, relative to the project root where possible
    line: int  # 1-based; 0 when the problem is about the file as a whole
    col: int  # 1-based
    message: str
    json_path: str = "$"
    code: str = "error"  # yaml, schema, reference, template, variables, secret, duplicate, ...
    related: tuple[str, ...] = field(default=(), compare=False)  # other files this problem involves

    def format(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        suffix = f" ({self.json_path})" if self.json_path not in ("", "$") else ""
        return f"{where}: {self.message}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "message": self.message,
            "json_path": self.json_path,
            "code": self.code,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.message)
