"""stgrpo: multi-turn task planning via single-turn GRPO, as a reproducible workflow."""

__version__ = "0.1.0"
