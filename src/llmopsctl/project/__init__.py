"""Project files: loading YAML with source positions, JSON Schemas, reference checks, prompt rendering."""
