"""The eval engine: plan the matrix, run it concurrently (limits, retries, cache), score, persist."""
