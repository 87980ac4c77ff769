"""An assertion as written in a suite or on a case: its type, the value it compares with, and options."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

EMPTY: Mapping[str, Any] = MappingProxyType({})


class Assertion(NamedTuple):
    """One assertion. `value` is as written (a template, a list of assertions for assert-set, ...);
    `config` holds the type's options; `threshold`, when written, is the pass threshold. A `required`
    assertion that fails fails its case (or assert-set), whatever the weighted score. A named tuple:
    immutable like the other records, and quick to build (datasets hold one per case, often more)."""

    type: str
    value: Any = None
    weight: float = 1.0
    required: bool = False
    metric: str | None = None
    threshold: float | None = None
    description: str | None = None
    config: Mapping[str, Any] = EMPTY

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Assertion:
        """An assertion from its YAML mapping (already checked by the schema, or by the type's check for
        the members of an assert-set); odd values keep what can be kept, for the checks to report.

        Datasets hold many assertions, so the common shape (plain values) takes the shortest path."""
        get = raw.get
        weight, metric, description, config = (
            get("weight", 1),
            get("metric"),
            get("description"),
            get("config"),
        )
        return cls(
            str(get("type", "")),
            get("value"),
            weight if type(weight) in _NUMBERS else 1,
            get("required") is True,
            metric if type(metric) is str else None,
            _threshold(get("threshold")),
            description if type(description) is str else None,
            config if type(config) is dict else dict(config) if isinstance(config, Mapping) else EMPTY,
        )

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


# Numbers as YAML and JSON give them (an int stays an int, so messages quote it as written; bools are not).
_NUMBERS = (int, float)


def _threshold(raw: Any) -> float | None:
    """A threshold as written: a number, or a string holding one (members of an assert-set are not
    schema-checked, and scorers have always read thresholds that way); anything else is left out."""
    if raw is None or type(raw) in _NUMBERS:
        return raw  # type: ignore[no-any-return]
    if isinstance(raw, str):
        try:
            number = float(raw)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None
