"""Durations as written in project files: `3600`, `30s`, `15m`, `12h`, `7d`, `2w`, or `never`."""

from __future__ import annotations

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: int | str) -> int | None:
    """Seconds for `3600`, `30s`, `15m`, `12h`, `7d`, `2w`; None for `never` (already schema-checked)."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text == "never":
        return None
    return int(text[:-1]) * _UNITS[text[-1]]
