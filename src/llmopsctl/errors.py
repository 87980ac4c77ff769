"""One exception hierarchy for the whole tool; each class carries its process exit code.

Exit codes: 0 ok, 1 a check failed (validation, gate, budget), 2 usage or unusable configuration,
3 unexpected error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


class LlmopsError(Exception):
    """Base of every error the tool reports to the user without a traceback."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(LlmopsError):
    """The command line asks for something that cannot be done."""

    exit_code = EXIT_USAGE


class ConfigError(LlmopsError):
    """The project's files cannot be used (missing, unreadable, or invalid)."""

    exit_code = EXIT_USAGE


class ProjectNotFound(ConfigError):
    """No llmops.yaml in the directory or any parent."""


class CheckFailed(LlmopsError):
    """A check ran and found problems (validation errors, a failed gate, an exceeded budget)."""

    exit_code = EXIT_CHECK_FAILED


class ValidationFailed(CheckFailed):
    """`validate` found problems in the project's files."""


class GateFailed(CheckFailed):
    """A gate threshold was crossed."""


class RunIncomplete(CheckFailed):
    """An eval run could not complete all of its cases."""


class StoreError(LlmopsError):
    """The results database cannot be used."""

    exit_code = EXIT_USAGE


class StoreLocked(StoreError):
    """Another llmopsctl process holds the database."""


class ProviderError(LlmopsError):
    """A model API call failed.

    `transient` errors (429, 5xx, timeouts, dropped connections) are retried by the engine;
    the others are recorded as an error result at once.
    """

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.transient = transient
        self.retry_after = retry_after
        self.status = status


class MissingRecording(ProviderError):
    """Replay mode was asked for a request that has no recording."""


class CostCapExceeded(CheckFailed):
    """A run would exceed, or has reached, its cost cap."""
