"""Renderers: terminal (rich), Markdown, JUnit XML, JSON."""
