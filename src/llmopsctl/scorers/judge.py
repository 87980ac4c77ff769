"""Model-graded assertions: a judge model (a project model named in `config.model`) grades the output.

Calls go through `ctx.services.chat(model, messages, params)` (the engine caches, retries and costs
them). A verdict that cannot be read is asked for once more, with a stricter instruction (so the request,
and its cache key, differ) and temperature 0; a second unreadable verdict is a ScorerError, never a pass.
The prompts show the form of a verdict with placeholders, never example values, and a reply that copies
an example (scorers/verdict.py) is no verdict. `config.params` (optional) are generation parameters for
the judge's first call; `config.scale` (llm-judge, answer-relevance) is the top of the judge's scale
when it is not 1 (e.g. 10).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import (
    CheckEnv,
    Problem,
    Score,
    ScoreContext,
    ScorerError,
    as_text,
    get_threshold,
    is_template,
    services_of,
    shorten,
)
from llmopsctl.scorers.checking import model_problems, threshold_problems
from llmopsctl.scorers.declaration import AssertionType
from llmopsctl.scorers.verdict import example_objects, parse_choice, parse_graded

T = TypeVar("T")
Messages = list[dict[str, str]]
DEFAULT_THRESHOLD = 0.5

# Factuality categories as in OpenAI evals' `fact` model-graded spec; the scores are those of Braintrust
# autoevals' Factuality (subset 0.4, superset 0.6, same 1, disagreement 0, equivalent 1). At the default
# threshold 0.5 a subset answer (A) fails; set `threshold: 0.4` to accept it, or override `config.scores`.
FACTUALITY_SCORES = {"A": 0.4, "B": 0.6, "C": 1.0, "D": 0.0, "E": 1.0}
FACTUALITY_LABELS = {
    "A": "subset of the reference, consistent",
    "B": "superset of the reference, consistent",
    "C": "same details as the reference",
    "D": "disagrees with the reference",
    "E": "differs, but not in factual content",
}

REASON_PLACEHOLDER = "<one or two sentences>"  # no example values: a judge that copies them gives no verdict


def grade_format(scale: float | None) -> str:
    top = f"{scale:g}" if scale else "1"
    return (
        f'Respond with a JSON object and nothing else: {{"score": <a number from 0 to {top}>, '
        f'"reason": "{REASON_PLACEHOLDER}"}}.'
    )


def strict_grade(scale: float | None) -> str:
    """The retry's instruction: the verdict's form, with placeholders in place of example values."""
    top = f"{scale:g}" if scale else "1"
    return (
        "Your previous reply could not be read as a verdict of your own. Reply again with only a JSON "
        f'object of the form {{"score": <your score, a number from 0 to {top}>, "reason": "<why, in your '
        'own words>"}, with your own values in place of the parts in angle brackets. No other text, no '
        "code fence."
    )


STRICT_GRADE = strict_grade(None)
STRICT_CHOICE = (
    "Your previous reply could not be read as a verdict of your own. Reply again with only a JSON object "
    'of the form {"choice": "<your choice: one letter of A, B, C, D, E>", "reason": "<why, in your own '
    'words>"}, with your own values in place of the parts in angle brackets. No other text, no code fence.'
)


def rubric_system(scale: float | None) -> str:
    top = f"{scale:g}" if scale else "1"
    return (
        "You are a strict, impartial grader. You are given a rubric and an output produced by an AI "
        f"system. Judge only how well the output satisfies the rubric: {top} means fully, 0 means not at "
        "all. " + grade_format(scale)
    )


FACT_SYSTEM = "You are comparing a submitted answer to an expert answer on a given question."
FACT_USER = """Here is the data:
[BEGIN DATA]
************
[Question]: {question}
************
[Expert]: {expert}
************
[Submission]: {submission}
************
[END DATA]

Compare the factual content of the submitted answer with the expert answer. Ignore any differences in \
style, grammar, or punctuation.
The submitted answer may either be a subset or superset of the expert answer, or it may conflict with \
it. Determine which case applies. Answer the question by selecting one of the following options:
(A) The submitted answer is a subset of the expert answer and is fully consistent with it.
(B) The submitted answer is a superset of the expert answer and is fully consistent with it.
(C) The submitted answer contains all the same details as the expert answer.
(D) There is a disagreement between the submitted answer and the expert answer.
(E) The answers differ, but these differences don't matter from the perspective of factuality.

Respond with a JSON object and nothing else: {{"choice": "<A, B, C, D or E>", "reason": "<one or two \
sentences>"}}."""


def relevance_system(scale: float | None) -> str:
    top, middle = (f"{scale:g}", f"{scale / 2:g}") if scale else ("1", "0.5")
    return (
        f"You are a strict, impartial grader. Rate how well a response answers a question: {top} means it "
        f"answers the question directly and completely, {middle} that it answers it only in part or mostly "
        "talks about other things, 0 that it does not answer it or is off topic. Judge relevance only, not "
        "whether facts you cannot check are true. " + grade_format(scale)
    )


def scale_of(config: Mapping[str, Any]) -> float | None:
    """`config.scale`: the top of the scale the judge scores on (e.g. 10), None for the default 0 to 1."""
    raw = config.get("scale")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 < raw < float("inf"):
        raise ScorerError(f"`config.scale` must be a positive number (e.g. 10 for scores 0-10), got {raw!r}")
    return None if raw == 1 else float(raw)


def judge_model(config: dict[str, Any]) -> str:
    model = config.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ScorerError("needs the judge model: `config.model`, the name of a models/<name>.yaml")
    return model.strip()


def rubric_of(value: Any, config: Mapping[str, Any]) -> str:
    rubric = value.get("rubric") if isinstance(value, dict) else value
    if rubric is None:
        rubric = config.get("rubric")
    if not isinstance(rubric, str) or not rubric.strip():
        raise ScorerError("needs a rubric: `value` (or `config.rubric`) saying what a good output is")
    return rubric.strip()


def question_of(ctx: ScoreContext, config: dict[str, Any]) -> str | None:
    """The question: vars[`config.question_var`] (default `question`), else the last user message of the
    rendered prompt (ctx.messages, else ctx.metadata["messages"])."""
    name = str(config.get("question_var", "question"))
    question = ctx.vars.get(name)
    if question is not None and str(question).strip():
        return str(question)
    messages = ctx.messages or ctx.metadata.get("messages")
    if isinstance(messages, (list, tuple)):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user" and message.get("content"):
                return str(message["content"])
    return None


async def ask_judge(
    ctx: ScoreContext,
    config: dict[str, Any],
    messages: Messages,
    parse: Callable[[str, list[dict[str, Any]]], T | None],
    strict: str,
    *,
    instructions: tuple[str, ...] = (),
    hint: str = "",
) -> T:
    """One judge call, and one stricter retry (temperature 0) when the reply holds no verdict of the
    judge's own: a reply equal to a JSON object in the system prompt, `instructions` (the rubric) or the
    retry's instruction is a copy of an example, never a verdict."""
    services = services_of(ctx)
    system = [m["content"] for m in messages if m.get("role") == "system"]
    examples = example_objects(*system, *instructions, strict)
    model = judge_model(config)
    params = config.get("params") or {}
    if not isinstance(params, dict):
        raise ScorerError("`config.params` must be a mapping of generation parameters")
    first = (await services.chat(model, messages, dict(params))).output
    parsed = parse(first, examples)
    if parsed is not None:
        return parsed
    retry = [*messages, {"role": "assistant", "content": first}, {"role": "user", "content": strict}]
    second = (await services.chat(model, retry, {**params, "temperature": 0})).output
    parsed = parse(second, examples)
    if parsed is None:
        raise ScorerError(
            f"judge model {model!r} gave no readable verdict of its own, twice (last reply: "
            f"{shorten(second, 120)!r}); a verdict is a JSON object ending the reply, not a copy of the "
            f"format{hint}"
        )
    return parsed


def _graded(score: float, reason: str, threshold: float, what: str) -> Score:
    passed = score >= threshold - 1e-12
    sign = ">=" if passed else "<"
    return Score(
        score, passed, f"{what} {score:.2f} {sign} {threshold:g}" + (f": {reason}" if reason else "")
    )


async def llm_judge(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The judge scores the output against a rubric (`value` or `config.rubric`); passes at `threshold`."""
    rubric = rubric_of(value, config)
    threshold = get_threshold(config, DEFAULT_THRESHOLD)
    scale = scale_of(config)
    messages = [
        {"role": "system", "content": rubric_system(scale)},
        {"role": "user", "content": f"<rubric>\n{rubric}\n</rubric>\n\n<output>\n{ctx.output}\n</output>"},
    ]
    score, reason = await ask_graded(ctx, config, messages, scale, (rubric,))
    return _graded(score, reason, threshold, "judge score")


async def ask_graded(
    ctx: ScoreContext,
    config: dict[str, Any],
    messages: Messages,
    scale: float | None,
    instructions: tuple[str, ...] = (),
) -> tuple[float, str]:
    """A score from 0 to 1 (and its reason) from the judge, read on `scale` (`config.scale`)."""

    def parse(text: str, examples: list[dict[str, Any]]) -> tuple[float, str] | None:
        return parse_graded(text, scale=scale, examples=examples)

    hint = "" if scale else "; a score above 1 needs the rubric's scale in `config.scale` (e.g. 10)"
    return await ask_judge(
        ctx, config, messages, parse, strict_grade(scale), instructions=instructions, hint=hint
    )


def factuality_scores(config: Mapping[str, Any]) -> dict[str, float]:
    custom = config.get("scores")
    if custom is None:
        return dict(FACTUALITY_SCORES)
    if not isinstance(custom, dict):
        raise ScorerError("`config.scores` must map the letters A-E to scores from 0 to 1")
    scores = dict(FACTUALITY_SCORES)
    for letter, raw in custom.items():
        key = str(letter).upper()
        if (
            key not in scores
            or isinstance(raw, bool)
            or not isinstance(raw, (int, float))
            or not 0 <= raw <= 1
        ):
            raise ScorerError(f"`config.scores`: {letter!r}: {raw!r} is not a letter A-E with a score 0..1")
        scores[key] = float(raw)
    return scores


async def factuality(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The judge compares the output's facts with the reference (`value` or the case's `expected`)."""
    expert = as_text(value)
    scores = factuality_scores(config)
    threshold = get_threshold(config, DEFAULT_THRESHOLD)
    question = question_of(ctx, config) or "(not given)"
    prompt = FACT_USER.format(question=question, expert=expert, submission=ctx.output)
    messages = [{"role": "system", "content": FACT_SYSTEM}, {"role": "user", "content": prompt}]
    letter, reason = await ask_judge(
        ctx, config, messages, lambda t, ex: parse_choice(t, "ABCDE", examples=ex), STRICT_CHOICE
    )
    return _graded(scores[letter], reason, threshold, f"({letter}) {FACTUALITY_LABELS[letter]}: score")


async def answer_relevance(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The judge rates how well the output answers the question (see `question_of`)."""
    question = question_of(ctx, config)
    if question is None:
        name = config.get("question_var", "question")
        raise ScorerError(f"needs the question: a case variable {name!r} (`config.question_var`)")
    threshold = get_threshold(config, DEFAULT_THRESHOLD)
    scale = scale_of(config)
    messages = [
        {"role": "system", "content": relevance_system(scale)},
        {
            "role": "user",
            "content": f"<question>\n{question}\n</question>\n\n<response>\n{ctx.output}\n</response>",
        },
    ]
    score, reason = await ask_graded(ctx, config, messages, scale)
    return _graded(score, reason, threshold, "relevance")


# -- static checks ----------------------------------------------------------------------------------


def check_judged(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """A judge model of the project in `config.model`, and a threshold from 0 to 1."""
    return model_problems(assertion, env, "judge") + threshold_problems(assertion, 0, 1)


def check_graded(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """check_judged, and a `config.scale` that is a positive number."""
    problems = check_judged(assertion, env)
    try:
        scale_of(assertion.config)
    except ScorerError as exc:
        problems.append((("config", "scale"), str(exc)))
    return problems


def check_llm_judge(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    problems: list[Problem] = []
    value = assertion.value
    if not is_template(value):
        try:
            rubric_of(value, assertion.config)
        except ScorerError as exc:
            problems.append((("value",) if value is not None else (), str(exc)))
    return problems + check_graded(assertion, env)


def check_factuality(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    problems = check_judged(assertion, env)
    try:
        factuality_scores(assertion.config)
    except ScorerError as exc:
        problems.append((("config", "scores"), str(exc)))
    return problems


TYPES = (
    AssertionType(
        "llm-judge", llm_judge, needs_value=False, negatable=False, check=check_llm_judge, judge_calls=1
    ),
    AssertionType("factuality", factuality, negatable=False, check=check_factuality, judge_calls=1),
    AssertionType(
        "answer-relevance",
        answer_relevance,
        needs_value=False,
        negatable=False,
        check=check_graded,
        judge_calls=1,
    ),
)
