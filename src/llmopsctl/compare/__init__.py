"""Compare an eval run with a baseline: per-case diffs, statistics and CI gates."""
