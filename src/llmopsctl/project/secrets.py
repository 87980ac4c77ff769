"""Find things that look like API keys or private keys in file text, so they never get committed."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Each pattern starts with a literal, which lets the regex engine skip ahead quickly: scanning them one by one
# is several times faster on large files than one alternation.
_PATTERNS: list[tuple[str, str]] = [
    ("an Anthropic API key", r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    ("an OpenAI API key", r"sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("an AWS access key id", r"AKIA[0-9A-Z]{16}"),
    ("an AWS access key id", r"ASIA[0-9A-Z]{16}"),
    ("a GitHub token", r"gh[pousr]_[A-Za-z0-9]{36,}"),
    ("a GitHub token", r"github_pat_[A-Za-z0-9_]{22,}"),
    ("a Slack token", r"xox[abprs]-[A-Za-z0-9\-]{10,}"),
    ("a Google API key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("a Hugging Face token", r"hf_[A-Za-z]{30,}"),
    ("a Groq API key", r"gsk_[A-Za-z0-9]{40,}"),
    ("a private key", r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
]
_COMPILED = [(what, re.compile(pattern)) for what, pattern in _PATTERNS]


def find_secrets(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (line, col, what) for each suspected secret, in file order; 1-based positions."""
    if not text:
        return
    hits = sorted((m.start(), what) for what, pattern in _COMPILED for m in pattern.finditer(text))
    for start, what in hits:
        line_start = text.rfind("\n", 0, start) + 1
        yield text.count("\n", 0, start) + 1, start - line_start + 1, what


def redact(text: str, secrets: list[str]) -> str:
    """Replace each known secret value (e.g. API keys from the environment) with a marker."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[REDACTED]")
    return text
