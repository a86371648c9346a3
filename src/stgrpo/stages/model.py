"""The `model` stage: build (and pretrain) the local tiny model, nothing downloaded.

    python -m stgrpo.stages.model [model=tiny] [model.build.hidden_size=256 ...]

writes `model.path` (default `{results_dir}/model/tiny/`) in Hugging Face format
(stgrpo.models.tiny says what the tokenizer and the weights are built from).
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from stgrpo.config import ConfigError, require, run_cli
from stgrpo.models.pretrain import PretrainSpec
from stgrpo.models.tiny import TinySpec, build


def _section(cfg: DictConfig, key: str, spec: type) -> dict:
    """`model.{key}` as keywords of the dataclass `spec`; an unknown key is an error."""
    values = dict(cfg.model.get(key) or {})
    unknown = set(values) - set(spec.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown config keys under 'model.{key}': {sorted(unknown)}")
    return values


def main(cfg: DictConfig) -> None:
    if require(cfg, "model.kind", str) != "local":
        raise ConfigError(
            f"model '{cfg.model.name}' is not built locally (model.kind is "
            f"{cfg.model.kind!r}); choose model=tiny"
        )
    build_cfg = _section(cfg, "build", TinySpec)
    pretrain_cfg = _section(cfg, "pretrain", PretrainSpec)
    pretrain_cfg["tasks"] = tuple(pretrain_cfg.get("tasks") or ())
    build(
        TinySpec(**build_cfg),
        Path(require(cfg, "model.path", str)),
        PretrainSpec(**pretrain_cfg),
        require(cfg, "model.threads", int, minimum=1),
    )


if __name__ == "__main__":
    run_cli(main, description=__doc__.splitlines()[0])
