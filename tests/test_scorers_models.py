"""Model-graded and semantic scorers against a scripted fake of the engine's ModelServices."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmopsctl.core.chat import ChatResponse
from llmopsctl.scorers.base import Score, ScoreContext, ScorerError
from llmopsctl.scorers.judge import (
    FACT_USER,
    FACTUALITY_SCORES,
    STRICT_CHOICE,
    STRICT_GRADE,
    relevance_system,
    rubric_system,
    strict_grade,
)
from llmopsctl.scorers.registry import resolve, run_scorer
from llmopsctl.scorers.verdict import example_objects, parse_choice, parse_graded, parse_score


class FakeServices:
    """Scripted replies, one per chat call; embeddings from a function of the texts."""

    def __init__(self, *replies: str, vectors: dict[str, list[float]] | None = None) -> None:
        self.replies = list(replies)
        self.vectors = vectors or {}
        self.chats: list[tuple[str, list[dict[str, str]], dict[str, Any] | None]] = []
        self.embeds: list[tuple[str, list[str]]] = []

    async def chat(
        self, model: str, messages: list[dict[str, str]], params: dict[str, Any] | None = None
    ) -> ChatResponse:
        self.chats.append((model, messages, params))
        if not self.replies:
            raise AssertionError("more judge calls than scripted replies")
        return ChatResponse(output=self.replies.pop(0))

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        self.embeds.append((model, texts))
        return [self.vectors[t] for t in texts]


def run(
    type_name: str,
    services: FakeServices | None,
    output: str = "The capital of France is Paris.",
    value: Any = None,
    config: dict[str, Any] | None = None,
    **ctx: Any,
) -> Score:
    spec, negate = resolve(type_name)
    context = ScoreContext(output=output, services=services, **ctx)
    return asyncio.run(
        run_scorer(spec, negate, context, value, dict(config if config is not None else {"model": "judge"}))
    )


# -- verdict parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.8, 0.8),
        ("0.8", 0.8),
        ("8/10", 0.8),
        ("4 out of 5", 0.8),
        ("80%", 0.8),
        (8, None),  # a bare number above 1 needs the rubric's scale
        (75, None),
        (True, 1.0),
        (1, 1.0),
        ("high", None),
        (-0.5, None),
        (1000, None),
        ("3/0", None),
        (float("nan"), None),
    ],
)
def test_parse_score(raw: Any, expected: float | None) -> None:
    got = parse_score(raw)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("raw", "scale", "expected"),
    [(8, 10, 0.8), ("7", 10, 0.7), (0.5, 10, 0.05), (4, 5, 0.8), (75, 100, 0.75), (11, 10, None)],
)
def test_parse_score_on_a_declared_scale(raw: Any, scale: float, expected: float | None) -> None:
    got = parse_score(raw, scale)
    assert got == (pytest.approx(expected) if expected is not None else None)
    assert parse_score("8/10", scale) == pytest.approx(0.8)  # a fraction says its own scale


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"score": 0.9, "reason": "good"}', (0.9, "good")),
        ('```json\n{"score": "8/10", "reason": "mostly"}\n```', (0.8, "mostly")),
        ('Here is my verdict:\n{"Score": "70%", "Reasoning": "ok"}', (0.7, "ok")),
        ('{"notes": {"x": 1}} then {"rating": 0.3, "explanation": "meh"}', (0.3, "meh")),
        ('{"pass": false, "reason": "no"}', (0.0, "no")),
        ("It is decent.\n**Score:** 7/10", (0.7, "")),
        ("Score: 7/10 because it is decent", None),  # a verdict ends the reply
        ('{"score": 0.9, "reason": "good"}\nThanks!', None),
        ('{"score": 0.9, "reason": "good"} and {"note": "later"}', None),
        ('{"rating": 3, "explanation": "meh"}', None),  # above 1 without a declared scale
        ('{"score": 1, "reason": "<one or two sentences>"}', None),  # the format's placeholder, copied
        ('{"score": 0.7, "reason": "..."}', None),
        (
            'Respond with a JSON object and nothing else: {"score": <a number from 0 to 1>, "reason": "x"}.',
            None,
        ),
        ("I think it is fine.", None),
        ('{"score": "excellent"}', None),
        ("", None),
    ],
)
def test_parse_graded(reply: str, expected: tuple[float, str] | None) -> None:
    got = parse_graded(reply)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got[0] == pytest.approx(expected[0]) and got[1] == expected[1]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"choice": "C", "reason": "same"}', "C"),
        ('{"answer": "(B) superset"}', "B"),
        ('```\n{"choice": "d"}\n```', "D"),
        ("(E)", "E"),
        ("A", "A"),
        ("The options are (A) to (E). Answer: (B)", "B"),
        ("Answer: (B) is what I would say, but", None),
        ('{"choice": "C", "reason": "<one or two sentences>"}', None),
        ('{"choice": "<A, B, C, D or E>", "reason": "<one or two sentences>"}', None),
        ("I cannot decide.", None),
        ('{"choice": "F"}', None),
    ],
)
def test_parse_choice(reply: str, expected: str | None) -> None:
    got = parse_choice(reply, "ABCDE")
    assert (got[0] if got else None) == expected


SCALES = st.sampled_from([None, 5.0, 10.0, 100.0])


@given(scale=SCALES, data=st.data())
def test_a_judge_repeating_its_instructions_back_gives_no_verdict(scale: float | None, data: Any) -> None:
    """Any stretch of the graded scorers' instructions, copied back as a reply, is no verdict: the
    prompts show the verdict's form with placeholders, never an example score."""
    text = "\n".join((rubric_system(scale), relevance_system(scale), strict_grade(scale)))
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert parse_graded(text[start:end], scale=scale) is None


@pytest.mark.parametrize("scale", [None, 10.0])
def test_the_prompts_hold_no_example_verdict(scale: float | None) -> None:
    fact = FACT_USER.format(question="Q?", expert="E", submission="S")
    prompts = (rubric_system(scale), relevance_system(scale), strict_grade(scale), STRICT_CHOICE, fact)
    for text in prompts:
        assert '"score": 0' not in text and '"score": 1' not in text and '"choice": "C"' not in text
        for obj in example_objects(text):  # the form of a verdict, with placeholders only
            copied = json.dumps(obj)
            assert parse_graded(copied, scale=scale) is None and parse_choice(copied, "ABCDE") is None
    assert parse_choice(fact, "ABCDE") is None and parse_choice(fact + "\n" + STRICT_CHOICE, "ABCDE") is None


PROSE = st.text(st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)), max_size=200)


@given(
    prose=PROSE,
    score=st.floats(0, 1),
    reason=st.text(max_size=40).filter(lambda r: r.strip() not in ("", "...", "…") and "<" not in r),
    fenced=st.booleans(),
)
def test_a_verdict_that_ends_the_reply_is_read_after_any_reasoning(
    prose: str, score: float, reason: str, fenced: bool
) -> None:
    verdict = json.dumps({"score": score, "reason": reason})
    reply = f"{prose}\n```json\n{verdict}\n```\n" if fenced else f"{prose}\n{verdict}  "
    assert parse_graded(reply) == (pytest.approx(score), reason.strip())
    # ... and not when more text follows it
    assert parse_graded(f"{prose}\n{verdict}\nAnything else?") is None


def test_a_verdict_equal_to_an_example_of_the_instructions_is_a_copy() -> None:
    rubric = 'Polite answers pass, e.g. {"score": 1, "reason": "polite"}; rude ones get {"score": 0}.'
    examples = example_objects(rubric)
    assert parse_graded('{"score": 1, "reason": "polite"}', examples=examples) is None
    assert parse_graded('{"Score": 0}', examples=examples) is None
    assert parse_graded('{"score": 1, "reason": "polite and brief"}', examples=examples) == (
        1.0,
        "polite and brief",
    )
    assert parse_choice('{"choice": "C"}', "ABCDE", examples=example_objects('say {"choice": "C"}')) is None


# -- llm-judge ---------------------------------------------------------------------------------------


def test_llm_judge_passes_and_fails_at_threshold() -> None:
    services = FakeServices('{"score": 0.8, "reason": "clear and correct"}')
    score = run("llm-judge", services, value="Answers with the capital city")
    assert score.passed and score.value == pytest.approx(0.8)
    assert score.reason == "judge score 0.80 >= 0.5: clear and correct"
    [(model, messages, params)] = services.chats
    assert model == "judge" and params == {}
    assert messages[0]["role"] == "system" and '{"score"' in messages[0]["content"]
    assert "<rubric>\nAnswers with the capital city\n</rubric>" in messages[1]["content"]
    assert "The capital of France is Paris." in messages[1]["content"]
    low = run(
        "llm-judge", FakeServices('{"score": 0.3, "reason": "vague"}'), value="x", config={"model": "j"}
    )
    assert not low.passed and low.value == pytest.approx(0.3)
    strict = {"model": "judge", "rubric": "x", "threshold": 0.9, "params": {"max_tokens": 50}}
    services = FakeServices('{"score": 0.8}')
    assert not run("llm-judge", services, config=strict).passed
    assert services.chats[0][2] == {"max_tokens": 50}


def test_llm_judge_garbage_then_valid_retries_once_with_a_different_request() -> None:
    services = FakeServices("I like it!", '{"score": 1, "reason": "fine"}')
    score = run(
        "llm-judge", services, value="rubric", config={"model": "judge", "params": {"temperature": 0.7}}
    )
    assert score.passed and score.value == 1.0
    first, second = services.chats
    assert second[2] == {"temperature": 0}
    assert second[1][: len(first[1])] == first[1]  # the retry extends the conversation ...
    assert second[1][-2:] == [
        {"role": "assistant", "content": "I like it!"},
        {"role": "user", "content": STRICT_GRADE},
    ]  # ... so it is a different request for the engine's cache


def test_llm_judge_that_copies_the_rubric_example_twice_is_an_error_not_a_pass() -> None:
    rubric = 'Grade politeness. Example of a reply: {"score": 0.9, "reason": "very polite"}'
    services = FakeServices(
        'Sure! My verdict: {"score": 0.9, "reason": "very polite"}',
        'I will follow the form {"score": <your score>, "reason": "<why>"}',
    )
    with pytest.raises(ScorerError, match="no readable verdict of its own, twice"):
        run("llm-judge", services, value=rubric)
    assert services.chats[1][1][-1]["content"] == STRICT_GRADE
    own = FakeServices('{"score": 0.9, "reason": "very polite"}', '{"score": 0.4, "reason": "curt"}')
    score = run("llm-judge", own, value=rubric)
    assert score.value == pytest.approx(0.4) and not score.passed


def test_llm_judge_reads_scores_above_1_only_on_the_declared_scale() -> None:
    services = FakeServices('{"score": 8, "reason": "good"}', '{"score": 8, "reason": "good"}')
    with pytest.raises(ScorerError, match=r"a score above 1 needs the rubric's scale in `config.scale`"):
        run("llm-judge", services, value="rubric")
    tens = FakeServices('Reasoning first.\n{"score": 8, "reason": "good"}')
    score = run("llm-judge", tens, value="rubric", config={"model": "judge", "scale": 10})
    assert score.passed and score.value == pytest.approx(0.8)
    system = tens.chats[0][1][0]["content"]
    assert "10 means fully" in system and "a number from 0 to 10" in system
    with pytest.raises(ScorerError, match=r"`config\.scale` must be a positive number"):
        run("llm-judge", FakeServices(), value="rubric", config={"model": "judge", "scale": 0})


def test_llm_judge_garbage_twice_is_an_error_not_a_pass() -> None:
    services = FakeServices("no idea", "still no idea")
    with pytest.raises(ScorerError, match="gave no readable verdict of its own, twice"):
        run("llm-judge", services, value="rubric")
    assert len(services.chats) == 2


def test_llm_judge_configuration_errors() -> None:
    with pytest.raises(ScorerError, match="need the eval engine"):
        run("llm-judge", None, value="rubric")
    with pytest.raises(ScorerError, match="needs a rubric"):
        run("llm-judge", FakeServices(), value=None)
    with pytest.raises(ScorerError, match="needs the judge model"):
        run("llm-judge", FakeServices(), value="rubric", config={"rubric": "x"})
    with pytest.raises(ScorerError, match="cannot be negated"):
        resolve("not-llm-judge")


def test_llm_judge_with_empty_and_huge_outputs() -> None:
    services = FakeServices('{"score": 0}', '{"score": "100%"}')
    assert not run("llm-judge", services, output="", value="says something").passed
    huge = "x" * 1_000_000
    assert run("llm-judge", services, output=huge, value="long").passed
    assert huge in services.chats[1][1][1]["content"]


# -- factuality --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("letter", "passed"), [("A", False), ("B", True), ("C", True), ("D", False), ("E", True)]
)
def test_factuality_mapping(letter: str, passed: bool) -> None:
    services = FakeServices(f'{{"choice": "{letter}", "reason": "r"}}')
    score = run(
        "factuality", services, value="Paris is the capital of France.", vars={"question": "Capital?"}
    )
    assert score.value == FACTUALITY_SCORES[letter] and score.passed is passed
    prompt = services.chats[0][1][1]["content"]
    assert "[Question]: Capital?" in prompt
    assert "[Expert]: Paris is the capital of France." in prompt
    assert "[Submission]: The capital of France is Paris." in prompt


def test_factuality_threshold_scores_and_retry() -> None:
    subset = FakeServices('{"choice": "A"}')
    assert run("factuality", subset, value="x", config={"model": "j", "threshold": 0.4}).passed
    custom = FakeServices('{"choice": "A"}')
    assert run("factuality", custom, value="x", config={"model": "j", "scores": {"a": 1}}).value == 1.0
    retried = FakeServices("hmm, hard to say", "Answer: (D)")
    score = run(
        "factuality", retried, value="Lyon", metadata={"messages": [{"role": "user", "content": "Q?"}]}
    )
    assert not score.passed and score.reason.startswith("(D) disagrees")
    assert retried.chats[1][1][-1]["content"] == STRICT_CHOICE
    assert "[Question]: Q?" in retried.chats[0][1][1]["content"]
    with pytest.raises(ScorerError, match=r"config\.scores"):
        run("factuality", FakeServices(), value="x", config={"model": "j", "scores": {"Z": 1}})


# -- answer-relevance --------------------------------------------------------------------------------


def test_answer_relevance() -> None:
    services = FakeServices('{"score": 0.5, "reason": "partly"}')
    score = run(
        "answer-relevance",
        services,
        vars={"q": "What is the capital?"},
        config={"model": "j", "question_var": "q"},
    )
    assert score.passed and score.value == 0.5
    assert "<question>\nWhat is the capital?\n</question>" in services.chats[0][1][1]["content"]
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "Last question?"}]
    services = FakeServices('{"score": 0.1}', '{"score": 1}')
    assert not run("answer-relevance", services, metadata={"messages": messages}).passed
    assert "Last question?" in services.chats[0][1][1]["content"]
    assert run(
        "answer-relevance", services, messages=(*messages, {"role": "assistant", "content": "a"})
    ).passed
    assert "Last question?" in services.chats[1][1][1]["content"]
    with pytest.raises(ScorerError, match="needs the question"):
        run("answer-relevance", FakeServices())


# -- similar -----------------------------------------------------------------------------------------

OUT, REF, OTHER = "the output", "the reference", "unrelated"


def test_similar_cosine() -> None:
    vectors = {OUT: [1.0, 0.0], REF: [0.8, 0.6], OTHER: [0.0, 1.0]}
    services = FakeServices(vectors=vectors)
    score = run("similar", services, output=OUT, value=REF, config={"model": "embedder"})
    assert score.value == pytest.approx(0.8) and score.passed  # cos = 0.8 >= default 0.8
    assert services.embeds == [("embedder", [OUT, REF])]
    assert not run(
        "similar", services, output=OUT, value=REF, config={"model": "e", "threshold": 0.81}
    ).passed
    assert run(
        "similar", services, output=OUT, value=[OTHER, REF], config={"model": "e"}
    ).value == pytest.approx(0.8)
    assert run("not-similar", services, output=OUT, value=OTHER, config={"model": "e"}).passed


def test_similar_edge_cases() -> None:
    services = FakeServices(vectors={OUT: [1.0, 0.0], REF: [-1.0, 0.0], "": [0.0, 0.0]})
    assert run("similar", services, output=OUT, value=REF, config={"model": "e"}).value == 0.0  # negative
    assert run("similar", services, output="", value=REF, config={"model": "e"}).value == 0.0  # zero vector
    with pytest.raises(ScorerError, match="needs the embedding model"):
        run("similar", services, output=OUT, value=REF, config={})
    with pytest.raises(ScorerError, match="need the eval engine"):
        run("similar", None, output=OUT, value=REF)


class BadEmbeddings(FakeServices):
    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        return self.result  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ([[1.0]], "returned 1 vectors for 2 texts"),
        ([[1.0, 0.0], [1.0]], "different sizes"),
        ([[1.0], []], "empty or malformed"),
        ([["a"], [1.0]], "non-numbers"),
    ],
)
def test_similar_rejects_malformed_embeddings(result: Any, message: str) -> None:
    with pytest.raises(ScorerError, match=message):
        run("similar", BadEmbeddings(result), output=OUT, value=REF, config={"model": "e"})


def test_cosine_of_a_vector_with_itself_is_one() -> None:
    from llmopsctl.scorers.semantic import cosine

    assert cosine([3.0, 4.0], [3.0, 4.0]) == pytest.approx(1.0)
    assert math.isclose(cosine([1.0, 2.0], [2.0, 4.0]), 1.0)
