"""Reporting: Tables 1-4 (tidy CSV -> Markdown, LaTeX, beside the paper), figures, the
manifest, stage times and sweep summaries."""
