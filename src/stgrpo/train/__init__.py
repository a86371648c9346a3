"""Training: SFT then single-turn GRPO, with TRL (CPU) or verl (GPU clusters)."""
