"""Checks across a project's files, which need the provider and assertion registries: references,
template variables against datasets, assertions, python models and teams."""
