"""Evaluation: batched multi-turn rollouts, the paper's metrics with intervals, baselines."""
