"""Experts: the exact optimal planner (and, later, expert trajectories and the LLM expert)."""
