"""The evaluate stage: outputs, the bounds through the CLI path, batched == one at a time,
and bad input failing before any rollout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stgrpo.config import ConfigError, StageError, compose
from stgrpo.stages import layouts as layouts_stage
from stgrpo.stages.evaluate import main as evaluate_main


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    base = [
        f"results_dir={root}",
        "task=cheese_sandwich",
        "layouts.train.count=2",
        "layouts.test.count=5",
        "prompt.template=react-compact-v1",
    ]
    layouts_stage.main(compose(base))
    return base


def _metrics(overrides, model_id):
    root = Path(overrides[0].split("=", 1)[1])
    folder = root / "evaluate" / model_id / "cheese_sandwich"
    episodes = [json.loads(line) for line in (folder / "episodes.jsonl").read_text().splitlines()]
    return json.loads((folder / "metrics.json").read_text()), episodes


def test_planner_and_random_through_the_stage(panel):
    evaluate_main(compose([*panel, "eval.policy=planner"]))
    metrics, episodes = _metrics(panel, "planner")
    assert metrics["n"] == 6 and metrics["sr"] == 1.0  # 5 generated + Robotouille's default
    assert metrics["asst"] == pytest.approx(metrics["mean_optimal_steps"])
    assert len(metrics["panel_hash"]) == 16
    assert all(len(e["actions"]) == e["steps"] == e["optimal_steps"] for e in episodes)
    assert "paper_panel" not in metrics  # 6 layouts: the whole panel is within the first 10
    evaluate_main(compose([*panel, "eval.policy=planner", "eval.paper_panel=2"]))
    metrics, _ = _metrics(panel, "planner")
    assert metrics["paper_panel"]["n"] == 2 and metrics["paper_panel"]["sr"] == 1.0
    evaluate_main(compose([*panel, "eval.policy=random", "eval.timeout=1.5"]))
    metrics, episodes = _metrics(panel, "random")
    assert all(e["max_steps"] == -(-3 * e["optimal_steps"] // 2) for e in episodes)
    root = Path(panel[0].split("=", 1)[1]) / "evaluate"
    assert (root / "planner/cheese_sandwich/success.png").stat().st_size > 0
    assert not (root / "planner/cheese_sandwich/failure.png").exists()
    assert (root / "random/cheese_sandwich/failure.png").stat().st_size > 0


def test_an_untrained_model_scores_zero_and_batching_changes_nothing(panel, tiny_model):
    base = [*panel, "eval.policy=base", f"model.path={tiny_model}", "eval.sampling.max_tokens=8"]
    evaluate_main(compose([*base, "+eval.backend_options.batch_size=64"]))
    batched, batched_episodes = _metrics(panel, "base-tiny")
    assert batched["sr"] == 0.0 and batched["invalid_rate"] > 0.9
    evaluate_main(compose([*base, "+eval.backend_options.batch_size=1"]))
    single, single_episodes = _metrics(panel, "base-tiny")
    assert single["sr"] == batched["sr"]
    assert single_episodes == batched_episodes


def test_the_llm_expert_is_evaluated_with_its_own_settings(panel, tiny_model):
    evaluate_main(
        compose(
            [
                *panel,
                "expert=llm",
                "eval.policy=expert",
                f"expert.model={tiny_model}",
                "expert.backend=hf",
                "~expert.backend_options",
                "expert.sampling.max_tokens=6",
            ]
        )
    )
    metrics, episodes = _metrics(panel, "expert-llm")
    assert metrics["n"] == 6 and metrics["sr"] == 0.0
    assert all(len(e["replies"]) == e["steps"] for e in episodes)


@pytest.mark.parametrize(
    "extra, error, message",
    [
        (["task=pizza"], ConfigError, "'task' must be one of"),
        (["eval.policy=oracle"], ConfigError, "'eval.policy' must be one of"),
        (["eval.timeout=-2"], ConfigError, "'eval.timeout'"),
        (["eval.policy=checkpoint"], StageError, "not found (train cheese_sandwich grpo first)"),
        (["task=burger"], StageError, "run the layouts stage for burger first"),
        (["eval.policy=base", "model.path=/no/such/model"], StageError, "does not load"),
    ],
)
def test_bad_input_fails_before_any_rollout(panel, extra, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate_main(compose([*panel, *extra]))


def test_a_changed_panel_is_refused(panel, tmp_path):
    import shutil

    source = Path(panel[0].split("=", 1)[1]) / "layouts"
    shutil.copytree(source, tmp_path / "layouts")
    test_file = tmp_path / "layouts" / "cheese_sandwich" / "test.jsonl"
    lines = test_file.read_text().splitlines()
    test_file.write_text("\n".join(lines[:-1]) + "\n")  # one layout fewer
    with pytest.raises(StageError, match="does not match"):
        evaluate_main(compose([f"results_dir={tmp_path}", *panel[1:], "eval.policy=planner"]))
    assert not (tmp_path / "evaluate").exists()
