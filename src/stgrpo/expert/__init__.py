"""Experts: layouts with their optimal lengths, the exact planner, the recipe expert and
their trajectories (the LLM expert samples a model, so it lives in stgrpo.rollout)."""
