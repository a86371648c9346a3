"""The reward inside the trainers that use it: TRL's GRPOTrainer (one CPU step) and verl's
own custom-reward loader (when verl is installed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import stgrpo.data.reward as reward_module
from stgrpo.config import compose
from stgrpo.data.datasets import load_rl_for_trl
from stgrpo.data.prompts import format_response
from stgrpo.data.reward import trl_reward
from tests.pipeline import build_datasets


@pytest.fixture(scope="module")
def rl_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    cfg = compose(
        [
            f"results_dir={root}",
            "task=cheese_sandwich",
            "layouts.train.count=3",
            "layouts.test.count=1",
            "prompt.template=react-compact-v1",
        ]
    )
    build_datasets(cfg)
    return root / "datasets/cheese_sandwich/rl_train.parquet"


def test_one_grpo_step_on_cpu_calls_our_reward_with_dataset_columns(
    rl_dataset, tiny_model, tmp_path
):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    torch.set_num_threads(1)
    calls = []

    def reward(completions, ground_truth, extra_info, **kwargs):
        # the expert's own answer, scored through the same columns, must earn 1.0
        expert = [format_response("t", truth) for truth in ground_truth]
        calls.append(trl_reward(expert, ground_truth, extra_info, **kwargs))
        return trl_reward(completions, ground_truth, extra_info, **kwargs)

    dataset = load_rl_for_trl(rl_dataset).select(range(4))
    args = GRPOConfig(
        output_dir=str(tmp_path),
        use_cpu=True,
        bf16=False,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        max_steps=1,
        report_to=[],
        beta=0.04,
        save_strategy="no",
        seed=0,
        logging_steps=1,
    )
    trainer = GRPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(tiny_model),
        processing_class=AutoTokenizer.from_pretrained(tiny_model),
        reward_funcs=reward,
        args=args,
        train_dataset=dataset,
    )
    trainer.train()
    assert calls and all(score == 1.0 for batch in calls for score in batch)
    logged = trainer.state.log_history[0]
    assert logged["reward"] in (0.0, 0.1, 0.9, 1.0) or 0 <= logged["reward"] <= 1


def test_verl_loads_compute_score_through_its_own_loader():
    if importlib.util.find_spec("verl") is None:
        pytest.skip("verl is not installed in this environment")
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    path = str(Path(reward_module.__file__))
    config = OmegaConf.create(
        {
            "reward": {
                "custom_reward_function": {
                    "path": path,
                    "name": "compute_score",
                    "reward_kwargs": {},
                }
            }
        }
    )
    function = get_custom_reward_fn(config)
    truth, other = "Do nothing", "Move robot1 from table1 to table2"
    extra = {"optimal_actions": [truth, other], "reward_mode": "expert"}
    assert (
        function(
            data_source="stgrpo/x",
            solution_str=format_response("t", truth),
            ground_truth=truth,
            extra_info=extra,
        )
        == 1.0
    )
    assert (
        function(
            data_source="stgrpo/x",
            solution_str=format_response("t", other),
            ground_truth=truth,
            extra_info=extra,
        )
        == 0.1
    )
    config.reward.custom_reward_function.reward_kwargs = {"mode": "optimal"}
    optimal = get_custom_reward_fn(config)
    assert (
        optimal(
            data_source="stgrpo/x",
            solution_str=format_response("t", other),
            ground_truth=truth,
            extra_info=extra,
        )
        == 1.0
    )
