"""Model providers: one class per API, found through the `llmopsctl.providers` registry."""
