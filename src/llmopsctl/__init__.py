"""llmopsctl: a git-native LLMOps toolkit."""

__version__ = "0.1.0"
