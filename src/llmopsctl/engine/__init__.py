"""The eval engine: plan the matrix, execute it concurrently with limits, retries and a cache, score, persist."""
