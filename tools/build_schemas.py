"""Regenerate src/llmopsctl/project/schemas/*.json (the shipped JSON Schemas) from one definition.

Run: python tools/build_schemas.py. The generated files are committed; tests check they are current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "llmopsctl" / "project" / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
NAME = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$", "maxLength": 128}
NAMES = {"type": "array", "items": NAME, "uniqueItems": True}
TAGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
ENV_NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}
DURATION = {
    "description": "seconds as a number, or a duration such as 30s, 15m, 12h, 7d, 2w; `never` keeps forever",
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^([0-9]+(s|m|h|d|w)|never)$"},
    ],
}
PROB = {"type": "number", "minimum": 0, "maximum": 1}


def unsupported(why: str) -> dict[str, Any]:
    """A key that is reserved for a feature that does not exist yet: any value is an error saying so."""
    return {"not": {}, "description": f"not supported yet: {why}"}


# The built-in assertion types (llmopsctl.scorers.registry.BUILTINS; a test keeps the two in step). `type`
# stays a free string so plugin types (entry point group `llmopsctl.scorers`) validate too.
ASSERTION_TYPES = [
    "equals",
    "contains",
    "icontains",
    "contains-all",
    "contains-any",
    "starts-with",
    "regex",
    "word-count",
    "length",
    "levenshtein",
    "similarity-ratio",
    "is-json",
    "json-schema",
    "json-path",
    "is-valid-tool-call",
    "rouge-l",
    "bleu",
    "f1",
    "latency",
    "cost",
    "finish-reason",
    "llm-judge",
    "factuality",
    "answer-relevance",
    "similar",
    "python",
    "assert-set",
]
ASSERTION_CONFIG = {  # descriptions only: plugins may use the same keys differently
    "model": "judge model (llm-judge, factuality, answer-relevance) or embedding model (similar): a "
    "models/<name>.yaml name",
    "rubric": "llm-judge: what a good output is (or give it as `value`)",
    "params": "llm-judge, factuality, answer-relevance: generation parameters of the judge call",
    "question_var": "factuality, answer-relevance: the case variable holding the question (default question)",
    "scores": "factuality: scores of the choices A-E (default A 0.4, B 0.6, C 1, D 0, E 1)",
    "threshold": "the pass threshold (the assertion's `threshold` overrides it)",
    "min": "word-count, length: the minimum",
    "max": "word-count, length: the maximum",
    "flags": "regex: any of i (ignore case), m (multiline), s (dot matches newline), x (verbose)",
    "ignore_case": "contains-all, contains-any, levenshtein, similarity-ratio: compare without case",
    "strip": "equals, starts-with, levenshtein, similarity-ratio: ignore surrounding whitespace (default on)",
    "path": "json-path: a JSON path such as $.items[0].id ($, .key, ['key'], [index], [*])",
    "equals": "json-path: the value expected at `path`",
    "contains": "json-path: an item (list), substring (string) or key (object) expected at `path`",
    "schema": "json-schema: the schema, when not given as `value`",
    "tools": "is-valid-tool-call: OpenAI tool definitions, when not given as `value`",
    "smooth": "bleu: smoothing method 1 (epsilon 0.1) for zero n-gram precisions (default false)",
    "lowercase": "bleu: ignore case (default false)",
    "max_n": "bleu: the longest n-gram (default 4)",
    "beta": "rouge-l: recall weight of the F-measure (default 1)",
    "function": "python: `module:function` or `path/to/file.py:function`, when not given as `value`",
    "timeout_s": "python: seconds the function may take (default 60)",
}

ASSERTION: dict[str, Any] = {
    "type": "object",
    "description": "An assertion on a model output. Without `value` it compares with the case's `expected`.",
    "required": ["type"],
    "additionalProperties": False,
    "properties": {
        "type": {
            "type": "string",
            "minLength": 1,
            "description": "assertion type: a built-in one (see examples) or a plugin's; `not-` negates most",
            "examples": ASSERTION_TYPES,
        },
        "value": {
            "description": "what to compare with (a Jinja2 template over the case vars and `expected`)"
        },
        "weight": {"type": "number", "minimum": 0, "default": 1},
        "required": {
            "type": "boolean",
            "default": False,
            "description": "the case fails when this assertion fails, whatever its weighted score or "
            "threshold (a safety check that no weight can outweigh)",
        },
        "metric": {"type": "string", "description": "aggregate this assertion's score as a named metric"},
        "threshold": {
            "type": "number",
            "description": "type-specific: the minimum score (0..1) of graded types, the maximum edit "
            "distance of levenshtein, milliseconds of latency, USD of cost",
        },
        "description": {"type": "string"},
        "config": {
            "type": "object",
            "description": "type-specific options",
            "properties": {key: {"description": text} for key, text in ASSERTION_CONFIG.items()},
        },
    },
}

GATE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "min_pass_rate": PROB,
        "max_regressions": {"type": "integer", "minimum": 0},
        "max_score_drop": PROB,
        "significance": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.5},
        "max_cost_increase_pct": {"type": "number", "minimum": 0},
        "max_p95_latency_ms": {"type": "number", "minimum": 0},
        "allow_flaky": {"type": "boolean"},
    },
}


def schema(kind: str, title: str, body: dict[str, Any], defs: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"https://llmopsctl.dev/schemas/{kind}.schema.json",
        "title": title,
        **body,
    }
    if defs:
        out["$defs"] = defs
    return out


SETTINGS = schema(
    "llmops",
    "llmopsctl project settings (llmops.yaml)",
    {
        "type": "object",
        "required": ["version"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1, "description": "file format version"},
            "project": {"type": "string", "description": "project name, shown in the monthly cost review"},
            "db": {"type": "string", "minLength": 1, "default": ".llmops/llmops.duckdb"},
            "defaults": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "concurrency": {"type": "integer", "minimum": 1, "maximum": 1024, "default": 8},
                    "timeout_s": {"type": "number", "exclusiveMinimum": 0, "default": 60},
                    "retries": {"type": "integer", "minimum": 0, "maximum": 20, "default": 3},
                    "cache_ttl": DURATION,
                    "repeat": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "seed": {"type": "integer"},
                    "backoff_s": {
                        "type": "number",
                        "minimum": 0,
                        "description": "first retry delay in seconds; doubles each retry, with jitter",
                    },
                },
            },
            "teams": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {
                        "name": NAME,
                        "owners": {"type": "array", "items": {"type": "string"}},
                        "description": {"type": "string"},
                    },
                },
            },
            "budgets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["amount_usd", "period"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"},
                        "scope": {
                            "type": "object",
                            "additionalProperties": False,
                            "minProperties": 1,
                            "maxProperties": 1,
                            "properties": {
                                "team": NAME,
                                "prompt": NAME,
                                "suite": NAME,
                                "project": {"const": True},
                            },
                        },
                        "period": {"enum": ["day", "week", "month"]},
                        "amount_usd": {"type": "number", "exclusiveMinimum": 0},
                        "alerts": {
                            "type": "array",
                            "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
                        },
                        "webhook_env": ENV_NAME,
                    },
                },
            },
            "retention": {
                "type": "object",
                "description": "how long stored data is kept: `llmopsctl retention apply` deletes the rest",
                "additionalProperties": False,
                "properties": {
                    "results": {
                        **DURATION,
                        "description": "runs older than this are deleted with their results, scores and "
                        "judge calls (and recorded in pruned_runs); a duration such as 90d, or `never`",
                    },
                    "cache": {
                        **DURATION,
                        "description": "cached responses older than this are deleted, and none is served "
                        "past it; a duration such as 30d, or `never`",
                    },
                    "traces": unsupported("llmopsctl stores no traces (remove it)"),
                },
            },
            "environments": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "description": {"type": "string"},
                        "models": {
                            "type": "object",
                            "description": "models to use in this environment: the suite's model name -> "
                            "the name of the model file to call instead (models/<name>.yaml)",
                            "propertyNames": NAME,
                            "additionalProperties": NAME,
                        },
                    },
                },
            },
            "gate": GATE,
            "baseline": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "output_chars": {
                        "type": "integer",
                        "minimum": 0,
                        "default": 500,
                        "description": "how many characters of each case's output baseline files keep, "
                        "so a regression shows what the answer was (0: none; "
                        "`baseline update --output-chars` overrides it)",
                    },
                },
            },
        },
    },
)

MESSAGE = {
    "type": "object",
    "required": ["role", "content"],
    "additionalProperties": False,
    "properties": {
        "role": {"enum": ["system", "user", "assistant", "developer", "tool"]},
        "content": {"type": "string", "description": "Jinja2 template; {{ var }} inserts a case variable"},
        "name": {"type": "string"},
    },
}

PROMPT = schema(
    "prompt",
    "llmopsctl prompt (prompts/<name>.yaml)",
    {
        "type": "object",
        "required": ["messages"],
        "additionalProperties": False,
        "properties": {
            "name": NAME,
            "description": {"type": "string"},
            "owner": {"type": "string"},
            "team": NAME,
            "tags": TAGS,
            "version": {"type": ["string", "number"]},
            "variables": {"type": "object", "description": "JSON Schema of the case vars this prompt takes"},
            "messages": {"type": "array", "minItems": 1, "items": MESSAGE},
            "params": {
                "type": "object",
                "description": "generation parameters; a model's params override them",
            },
            "tools": {"type": "array", "items": {"type": "object"}},
        },
    },
)

PROVIDERS = ["openai", "anthropic", "ollama", "python", "echo", "replay"]
PRICE = {"type": "number", "minimum": 0}

MODEL = schema(
    "model",
    "llmopsctl model configuration (models/<name>.yaml)",
    {
        "type": "object",
        "required": ["provider", "model"],
        "additionalProperties": False,
        "properties": {
            "name": NAME,
            "description": {"type": "string"},
            "provider": {
                "type": "string",
                "description": "openai | anthropic | ollama | python | echo | replay, or a plugin's provider",
                "examples": PROVIDERS,
            },
            "model": {"type": "string", "minLength": 1, "description": "the provider's model id"},
            "base_url": {"type": "string", "pattern": "^https?://"},
            "api_key_env": {**ENV_NAME, "description": "NAME of the environment variable holding the key"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "options": {
                "type": "object",
                "description": "provider-specific options (api_version, path, ...)",
            },
            "params": {
                "type": "object",
                "properties": {
                    "temperature": {"type": "number", "minimum": 0, "maximum": 2},
                    "max_tokens": {"type": "integer", "minimum": 1},
                    "top_p": PROB,
                    "seed": {"type": "integer"},
                    "backoff_s": {
                        "type": "number",
                        "minimum": 0,
                        "description": "first retry delay in seconds; doubles each retry, with jitter",
                    },
                    "stop": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                },
            },
            "pricing": {
                "type": "object",
                "description": "USD per million tokens",
                "required": ["input", "output"],
                "additionalProperties": False,
                "properties": {
                    "input": PRICE,
                    "output": PRICE,
                    "cached_input": PRICE,
                    "cache_write": PRICE,
                },
            },
            "price_as": {
                "type": "object",
                "description": "the genai-prices catalogue model this model is billed as, e.g. a gateway or "
                "proxy in front of OpenAI: {provider: openai, model: gpt-4o-mini}; `pricing` wins over it",
                "required": ["provider", "model"],
                "additionalProperties": False,
                "properties": {
                    "provider": {"type": "string", "minLength": 1, "description": "e.g. openai, anthropic"},
                    "model": {"type": "string", "minLength": 1, "description": "e.g. gpt-4o-mini"},
                },
            },
            "limits": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "concurrency": {"type": "integer", "minimum": 1},
                    "rpm": {"type": "number", "exclusiveMinimum": 0},
                    "tpm": {"type": "number", "exclusiveMinimum": 0},
                },
            },
            "timeout_s": {"type": "number", "exclusiveMinimum": 0},
            "retries": {"type": "integer", "minimum": 0, "maximum": 20},
        },
    },
)

CASE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {"type": ["string", "integer"]},
        "description": {"type": "string"},
        "vars": {"type": "object"},
        "expected": {},
        "assert": {"type": "array", "items": {"$ref": "#/$defs/assertion"}},
        "threshold": PROB,
        "tags": TAGS,
        "metadata": {"type": "object"},
    },
}

DATASET = schema(
    "dataset",
    "llmopsctl golden dataset (datasets/<name>.yaml)",
    {
        "type": "object",
        "required": ["cases"],
        "additionalProperties": False,
        "properties": {
            "name": NAME,
            "description": {"type": "string"},
            "owner": {"type": "string"},
            "team": NAME,
            "tags": TAGS,
            "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}},
        },
    },
    {"case": CASE, "assertion": ASSERTION},
)

CASE_SCHEMA = schema(
    "case", "llmopsctl dataset case (one line of datasets/<name>.jsonl)", CASE, {"assertion": ASSERTION}
)

SUITE = schema(
    "suite",
    "llmopsctl eval suite (suites/<name>.yaml)",
    {
        "type": "object",
        "required": ["prompts", "models", "datasets"],
        "additionalProperties": False,
        "properties": {
            "name": NAME,
            "description": {"type": "string"},
            "owner": {"type": "string"},
            "team": NAME,
            "tags": TAGS,
            "prompts": {**NAMES, "minItems": 1},
            "models": {**NAMES, "minItems": 1},
            "datasets": {**NAMES, "minItems": 1},
            "assert": {"type": "array", "items": {"$ref": "#/$defs/assertion"}},
            "threshold": {
                **PROB,
                "description": "weighted score a case needs to pass (default: every assertion)",
            },
            "repeat": {"type": "integer", "minimum": 1, "maximum": 1000},
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 1024},
            "max_cost": {"type": "number", "exclusiveMinimum": 0, "description": "USD cap for one run"},
            "gate": GATE,
        },
    },
    {"assertion": ASSERTION},
)

ALL = {
    "llmops": SETTINGS,
    "prompt": PROMPT,
    "model": MODEL,
    "dataset": DATASET,
    "case": CASE_SCHEMA,
    "suite": SUITE,
}


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for kind, doc in ALL.items():
        path = OUT / f"{kind}.schema.json"
        text = render(doc)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print("stale schemas (run python tools/build_schemas.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
