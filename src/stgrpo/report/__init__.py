"""The report stage: Tables 1-4 (tidy CSV -> Markdown, LaTeX, beside the paper), figures,
manifest; and the sweep summary."""
