"""An assertion as written in a suite or on a case: its type, the value it compares with, and options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True)
class Assertion:
    """One assertion. `value` is as written (a template, a list of assertions for assert-set, ...);
    `config` holds the type's options; `threshold`, when written, is the pass threshold. A `required`
    assertion that fails fails its case (or assert-set), whatever the weighted score."""

    type: str
    value: Any = None
    weight: float = 1.0
    required: bool = False
    metric: str | None = None
    threshold: float | None = None
    description: str | None = None
    config: Mapping[str, Any] = field(default_factory=lambda: EMPTY)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Assertion:
        """An assertion from its YAML mapping (already checked by the schema, or by the type's check for
        the members of an assert-set); odd values keep what can be kept, for the checks to report."""
        weight = raw.get("weight", 1)
        threshold = raw.get("threshold")
        config = raw.get("config")
        metric = raw.get("metric")
        description = raw.get("description")
        return cls(
            type=str(raw.get("type", "")),
            value=raw.get("value"),
            weight=weight if _is_number(weight) else 1,
            required=raw.get("required") is True,
            metric=metric if isinstance(metric, str) else None,
            threshold=threshold if _is_number(threshold) else None,
            description=description if isinstance(description, str) else None,
            config=dict(config) if isinstance(config, Mapping) else EMPTY,
        )

    @property
    def base_type(self) -> str:
        """The type without a `not-` prefix."""
        return self.type.removeprefix("not-")

    def options(self) -> dict[str, Any]:
        """The options a scorer function receives: `config`, with the assertion's `threshold` in it."""
        options = dict(self.config)
        if self.threshold is not None:
            options["threshold"] = self.threshold
        return options

    def members(self) -> tuple[Assertion, ...]:
        """The assertions of an assert-set (its `value`); those that are not mappings are left out."""
        if not isinstance(self.value, list):
            return ()
        return tuple(Assertion.from_mapping(a) for a in self.value if isinstance(a, Mapping))


def _is_number(value: Any) -> TypeGuard[float]:
    """A number as YAML gives it (an int stays an int, so messages quote it as written)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
