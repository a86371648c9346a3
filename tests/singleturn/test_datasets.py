"""Trajectories -> verl parquet -> back, as TRL datasets; split by layout; determinism."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stgrpo.config import compose
from stgrpo.data.datasets import (
    RL_SCHEMA,
    SFT_SCHEMA,
    load_rl_for_trl,
    load_sft_for_trl,
    read_checked,
    split_layouts,
)
from stgrpo.data.reward import compute_score
from tests.pipeline import build_datasets


def config(root, *overrides):
    return compose(
        [
            f"results_dir={root}",
            "task=burger",
            "layouts.train.count=6",
            "layouts.test.count=1",
            "prompt.template=react-compact-v1",
            *overrides,
        ]
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    cfg = config(root)
    build_datasets(cfg)
    return root, cfg


def test_verl_schemas_and_types(run):
    root, _ = run
    out = root / "datasets/burger"
    sft = pq.read_table(out / "sft_train.parquet")
    rl = pq.read_table(out / "rl_train.parquet")
    assert sft.schema.field("messages").type == pa.list_(
        pa.struct([("role", pa.string()), ("content", pa.string())])
    )
    for field in RL_SCHEMA:
        assert rl.schema.field(field.name).type == field.type
    row = rl.slice(0, 1).to_pylist()[0]
    assert row["data_source"] == "stgrpo/burger" and row["ability"] == "planning"
    assert row["reward_model"]["style"] == "rule"
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["reward_model"]["ground_truth"] in row["extra_info"]["optimal_actions"]
    messages = sft.slice(0, 1).to_pylist()[0]["messages"]
    assert messages[:2] == row["prompt"] and messages[2]["role"] == "assistant"
    answer = messages[2]["content"]
    assert (
        compute_score(
            row["data_source"], answer, row["reward_model"]["ground_truth"], row["extra_info"]
        )
        == 1.0
    )  # the expert's own answer scores 1


def test_split_by_layout_with_counts_in_the_manifest(run):
    root, _ = run
    out = root / "datasets/burger"
    manifest = json.loads((out / "manifest.json").read_text())
    train, val = set(manifest["layouts"]["train"]), set(manifest["layouts"]["val"])
    assert len(val) == 1 and len(train) == 5 and not train & val
    steps = [
        json.loads(line)
        for line in (root / "trajectories/planner/burger.jsonl").read_text().splitlines()
    ]
    for split, layouts in (("train", train), ("val", val)):
        expected = sum(1 for s in steps if s["layout"] in layouts)
        for kind in ("sft", "rl"):
            info = manifest["files"][f"{kind}_{split}.parquet"]
            assert (
                info["rows"]
                == expected
                == pq.read_metadata(out / f"{kind}_{split}.parquet").num_rows
            )
    layouts_in_rl = {
        r["layout"] for r in pq.read_table(out / "rl_val.parquet").column("extra_info").to_pylist()
    }
    assert layouts_in_rl == val
    assert manifest["template"] == "react-compact-v1" and len(manifest["template_hash"]) == 16


def test_trl_views(run):
    root, _ = run
    sft = load_sft_for_trl(root / "datasets/burger/sft_train.parquet")
    assert sft.column_names == ["prompt", "completion"]
    assert sft[0]["completion"][0]["content"].startswith("Thought: ")
    rl = load_rl_for_trl(root / "datasets/burger/rl_train.parquet")
    assert set(rl.column_names) == {"prompt", "ground_truth", "extra_info"}
    assert rl[0]["extra_info"]["reward_mode"] == "expert"


def test_same_inputs_same_bytes(run, tmp_path):
    root, _ = run
    cfg = config(tmp_path)
    build_datasets(cfg)
    for name in ("sft_train", "sft_val", "rl_train", "rl_val"):
        assert (root / f"datasets/burger/{name}.parquet").read_bytes() == (
            tmp_path / f"datasets/burger/{name}.parquet"
        ).read_bytes()


def test_split_is_seeded_and_order_free():
    hashes = [f"{i:016x}" for i in range(20)]
    assert split_layouts(hashes, 0.1, 0) == split_layouts(list(reversed(hashes)), 0.1, 0)
    assert len(split_layouts(hashes, 0.1, 0)) == 2
    assert split_layouts(hashes[:1], 0.5, 0) == set()  # one layout: all of it trains
    assert split_layouts(hashes, 0.1, 0) != split_layouts(hashes, 0.1, 1)


def test_bad_dataset_files_are_named(tmp_path, run):
    root, _ = run
    table = pq.read_table(root / "datasets/burger/rl_train.parquet").drop_columns(["ability"])
    pq.write_table(table, tmp_path / "rl.parquet")
    with pytest.raises(ValueError, match=r"rl.parquet: missing columns \['ability'\]"):
        read_checked(tmp_path / "rl.parquet", RL_SCHEMA)
    data = (root / "datasets/burger/sft_train.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.parquet: not a readable parquet file"):
        read_checked(tmp_path / "cut.parquet", SFT_SCHEMA)
    with pytest.raises(FileNotFoundError, match="no such dataset file"):
        read_checked(tmp_path / "absent.parquet", SFT_SCHEMA)
