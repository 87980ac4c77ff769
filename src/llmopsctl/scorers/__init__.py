"""Assertion types ("scorers"): one registry for built-ins and plugins (entry points `llmopsctl.scorers`)."""
