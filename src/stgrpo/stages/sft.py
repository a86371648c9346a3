"""The `sft` stage: supervised fine-tuning on one task's expert steps.

    python -m stgrpo.stages.sft task=burger [sft=paper] [sft.epochs=5 ...]

reads `{results_dir}/datasets/{task}/` and `model.path`; writes the Hugging Face checkpoint
`{results_dir}/sft/{task}/` with metrics, summary, config and learning curve
(stgrpo.train.outputs). The engine (`sft.engine`: trl | verl) is a config key.
"""

from omegaconf import DictConfig

from stgrpo.config import run_cli
from stgrpo.train.stage import run_stage


def main(cfg: DictConfig) -> None:
    run_stage(cfg, "sft")


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
