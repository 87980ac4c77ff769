"""Renderers: terminal (rich), Markdown, CSV, JUnit XML, JSON."""
