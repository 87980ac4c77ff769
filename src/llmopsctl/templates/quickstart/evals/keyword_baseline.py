"""The support team's keyword classifier: the offline baseline an LLM has to beat.

llmopsctl calls `classify` once per dataset case (models/keyword-baseline.yaml points here). It gets the
case variables and the rendered prompt messages, and returns the output as a string. No network, no key.

It is deliberately simple: English keywords only, first matching rule wins. The eval shows where that
breaks down (tickets in other languages, words that mean different things in different contexts).
"""

from __future__ import annotations

import re

# Checked in this order; the first category with a matching keyword wins.
RULES: list[tuple[str, tuple[str, ...]]] = [
    (
        "account",
        (
            "password",
            "log in",
            "login",
            "sign in",
            "two-factor",
            "2fa",
            "locked out",
            "my account",
            "email address",
            "gdpr",
            "personal data",
        ),
    ),
    (
        "billing",
        (
            "charged",
            "charge",
            "refund",
            "invoice",
            "payment",
            "pay",
            "card",
            "price",
            "plan",
            "subscription",
            "billing",
        ),
    ),
    (
        "technical",
        (
            "error",
            "crash",
            "crashes",
            "bug",
            "broken",
            "not working",
            "stopped working",
            "500",
            "down",
            "sync",
            "export",
            "integration",
        ),
    ),
    (
        "shipping",
        (
            "shipping",
            "ships",
            "delivery",
            "delivered",
            "tracking",
            "parcel",
            "package",
            "arrived",
            "courier",
        ),
    ),
]

_PATTERNS = [
    (category, re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keywords) + r")\b", re.IGNORECASE))
    for category, keywords in RULES
]


def classify(vars: dict[str, object], messages: list[dict[str, str]]) -> str:
    """Return one of: billing, technical, account, shipping, other."""
    ticket = str(vars.get("ticket", ""))
    for category, pattern in _PATTERNS:
        if pattern.search(ticket):
            return category
    return "other"
