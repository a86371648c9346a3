"""The `grpo` stage: single-turn GRPO on one task's expert states with the verifiable reward.

    python -m stgrpo.stages.grpo task=burger [grpo=paper] [grpo.kl_coef=0.01 ...]

starts from the task's SFT checkpoint (`grpo.init=sft`, the paper) or from `model.path`
(`grpo.init=base`); writes `{results_dir}/grpo/{task}/` like the sft stage.
The engine (`grpo.engine`: trl | verl) is a config key.
"""

from omegaconf import DictConfig

from stgrpo.config import run_cli
from stgrpo.train.stage import run_stage


def main(cfg: DictConfig) -> None:
    run_stage(cfg, "grpo")


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
