"""Semantic similarity: cosine similarity of embeddings, via `ctx.services.embed(model, texts)`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import (
    CheckEnv,
    Problem,
    Score,
    ScoreContext,
    ScorerError,
    get_threshold,
    graded,
    services_of,
)
from llmopsctl.scorers.checking import model_problems, threshold_problems
from llmopsctl.scorers.declaration import AssertionType
from llmopsctl.scorers.reference import references

DEFAULT_THRESHOLD = 0.8


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity; 0 when either vector is all zeros."""
    if len(a) != len(b):
        raise ScorerError(f"embeddings of different sizes ({len(a)} and {len(b)})")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _vectors(raw: Any, count: int) -> list[list[float]]:
    if not isinstance(raw, list) or len(raw) != count:
        got = len(raw) if isinstance(raw, list) else type(raw).__name__
        raise ScorerError(f"the embedding model returned {got} vectors for {count} texts")
    out: list[list[float]] = []
    for vector in raw:
        if not isinstance(vector, (list, tuple)) or not vector:
            raise ScorerError("the embedding model returned an empty or malformed vector")
        try:
            out.append([float(x) for x in vector])
        except (TypeError, ValueError):
            raise ScorerError("the embedding model returned a vector with non-numbers") from None
    return out


async def similar(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """Cosine similarity of the output's and the reference's embeddings (`config.model`, an embedding
    model of the project) >= `threshold` (default 0.8). A list `value` is several references: the best
    counts. Negative similarities score 0."""
    services = services_of(ctx)
    model = config.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ScorerError("needs the embedding model: `config.model`, the name of a models/<name>.yaml")
    threshold = get_threshold(config, DEFAULT_THRESHOLD)
    refs = references(value)
    vectors = _vectors(await services.embed(model.strip(), [ctx.output, *refs]), 1 + len(refs))
    best = max(cosine(vectors[0], v) for v in vectors[1:])
    return graded(best, threshold, "cosine similarity")


def check_similar(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """An embedding model of the project in `config.model`, and a threshold from 0 to 1."""
    return model_problems(assertion, env, "embedding") + threshold_problems(assertion, 0, 1)


TYPES = (AssertionType("similar", similar, check=check_similar),)
