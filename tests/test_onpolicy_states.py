"""tools/onpolicy_states.py: a policy's own states, labelled by the recipe expert, added to a
task's datasets."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from stgrpo.data.datasets import RL_SCHEMA, SFT_SCHEMA, read_checked, rows, write_parquet
from stgrpo.data.prompts import MAX_REJECTED, REJECTED_HEADER
from stgrpo.evaluate.policies import RandomPolicy, RecipePolicy
from stgrpo.expert.trajectories import recipe_episode
from stgrpo.io import sha256_file, write_json
from stgrpo.kitchen.generate import generate_layout

TOOL = Path(__file__).resolve().parents[1] / "tools" / "onpolicy_states.py"
spec = importlib.util.spec_from_file_location("onpolicy_states", TOOL)
onpolicy = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = onpolicy  # its dataclass needs the module registered
spec.loader.exec_module(onpolicy)

TASK, TEMPLATE = "cheeseburger", "react-dish-v7"


def _layouts(count=3):
    return [generate_layout(TASK, seed) for seed in range(count)]


def test_random_states_are_labelled_with_the_experts_valid_action():
    turns, _ = onpolicy.play_and_record(RandomPolicy(0), _layouts())
    records, counts = onpolicy.labelled_records(turns, TASK, keep="all")
    assert counts["turns"] == len(turns) and 0 < counts["states"] == len(records)
    assert all(r["action"] in r["valid_actions"] for r in records)
    assert all(r["thought"] and r["progress"] for r in records)
    states = {(r["layout"], r["state"], r["items"]) for r in records}
    assert len(states) == len(records)  # each state once per layout
    wrong, wrong_counts = onpolicy.labelled_records(turns, TASK, keep="wrong")
    assert wrong_counts["wrong_turns"] == counts["wrong_turns"] > 0
    assert {(r["layout"], r["items"]) for r in wrong} <= {
        (r["layout"], r["items"]) for r in records
    }


def test_the_experts_own_play_is_never_wrong():
    turns, success = onpolicy.play_and_record(RecipePolicy(), _layouts())
    assert success > 0 and turns
    records, counts = onpolicy.labelled_records(turns, TASK, keep="wrong")
    assert counts["wrong_turns"] == 0 and records == []


def _source(folder: Path) -> Path:
    layouts = _layouts(2)
    records = [
        {"layout": layout.content_hash, "episode": 0, "task": TASK, **step}
        for layout in layouts
        for step in recipe_episode((layout, "0", "first", 0))
    ]
    sft, rl = rows(records, TASK, TEMPLATE, "expert")
    folder.mkdir(parents=True)
    files = {}
    for name, table, schema in (
        ("sft_train.parquet", sft, SFT_SCHEMA),
        ("rl_train.parquet", rl, RL_SCHEMA),
        ("rl_val.parquet", rl[:2], RL_SCHEMA),
    ):
        files[name] = {"rows": len(table), "sha256": write_parquet(folder / name, table, schema)}
    write_json(folder / "manifest.json", {"files": files, "layouts": {"val": []}})
    return folder


def test_new_rows_extend_or_replace_the_train_files_and_the_manifest_matches(tmp_path):
    source = _source(tmp_path / "src")
    turns, _ = onpolicy.play_and_record(RandomPolicy(1), _layouts(2))
    records, _ = onpolicy.labelled_records(turns, TASK, keep="all")
    _, rl = rows(records, TASK, TEMPLATE, "expert")
    before = json.loads((source / "manifest.json").read_text())["files"]
    for with_expert in (True, False):
        out = tmp_path / f"out-{with_expert}"
        manifest = onpolicy.write_datasets(source, out, {"rl": rl}, with_expert, seed=0)
        expected = len(rl) + (before["rl_train.parquet"]["rows"] if with_expert else 0)
        assert manifest["files"]["rl_train.parquet"]["rows"] == expected
        assert manifest["files"]["sft_train.parquet"] == before["sft_train.parquet"]
        for name, entry in manifest["files"].items():
            assert sha256_file(out / name) == entry["sha256"]
        table = read_checked(out / "rl_train.parquet", RL_SCHEMA).to_pylist()
        assert [r["extra_info"]["index"] for r in table] == list(range(expected))
        again = onpolicy.write_datasets(source, out, {"rl": rl}, with_expert, seed=0)
        assert again == manifest  # same inputs and seed, same bytes


class _Clumsy:
    """The recipe expert, but every third turn first tries an action no kitchen has."""

    def __init__(self):
        self.expert = RecipePolicy()

    def replies(self, episodes, turn):
        if turn % 3 == 0:
            reply = f"Thought: x\nAction: Pick up patty{9 + turn % 2} from table9"
            return [reply for _ in episodes]
        return self.expert.replies(episodes, turn)


def test_rejected_rows_name_the_episodes_own_wasted_actions_and_keep_the_experts_answer():
    turns, _ = onpolicy.play_and_record(_Clumsy(), _layouts())
    records, counts = onpolicy.labelled_records(turns, TASK, keep="rejected")
    after_waste = {(t.world.layout.content_hash, t.state, t.rejected) for t in turns if t.rejected}
    assert 0 < counts["states"] == len(records) == len(after_waste)
    for record in records:
        assert record["rejected"] and record["action"] in record["valid_actions"]
        assert not set(record["rejected"]) & set(record["valid_actions"])
    sft, rl = rows(records, TASK, "react-dish-v8", "expert")
    assert len(sft) == len(rl) == len(records)  # one row each, with the episode's own list
    for record, row in zip(records, sft, strict=True):
        user, answer = row["messages"][0]["content"], row["messages"][-1]["content"]
        assert user.endswith(REJECTED_HEADER + "; ".join(record["rejected"][-MAX_REJECTED:]))
        assert answer.endswith(f"Action: {record['action']}")
    plain, _ = rows(records, TASK, TEMPLATE, "expert")  # v7 shows no feedback line
    assert not any(REJECTED_HEADER in r["messages"][0]["content"] for r in plain)
