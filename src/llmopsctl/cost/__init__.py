"""Token cost: usage normalisation, pricing, budgets and reports."""
