"""Helpers the commands share: finding the project, output format options."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from llmopsctl.project.loader import find_root


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


def project_root() -> Path:
    return find_root(Path.cwd())
