"""Find things that look like API keys or private keys in file text, so they never get committed."""

from __future__ import annotations

import re
from collections.abc import Iterator

_PATTERNS: list[tuple[str, str]] = [
    ("an Anthropic API key", r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    ("an OpenAI API key", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("an AWS access key id", r"(?:AKIA|ASIA)[0-9A-Z]{16}"),
    ("a GitHub token", r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("a Slack token", r"xox[abprs]-[A-Za-z0-9\-]{10,}"),
    ("a Google API key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("a Hugging Face token", r"hf_[A-Za-z]{30,}"),
    ("a Groq API key", r"gsk_[A-Za-z0-9]{40,}"),
    ("a private key", r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
]
_COMBINED = re.compile("|".join(f"(?P<p{i}>{pattern})" for i, (_, pattern) in enumerate(_PATTERNS)))


def find_secrets(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (line, col, what) for each suspected secret; 1-based positions."""
    if not text:
        return
    line_starts: list[int] | None = None
    for match in _COMBINED.finditer(text):
        if line_starts is None:
            line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        start = match.start()
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= start:
                lo = mid
            else:
                hi = mid - 1
        what = _PATTERNS[int(str(match.lastgroup)[1:])][0]
        yield lo + 1, start - line_starts[lo] + 1, what


def redact(text: str, secrets: list[str]) -> str:
    """Replace each known secret value (e.g. API keys from the environment) with a marker."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[REDACTED]")
    return text
