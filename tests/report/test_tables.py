"""The paper's transcribed values and how our rows meet them."""

from __future__ import annotations

import pandas as pd
import pytest

from stgrpo.config import compose
from stgrpo.report.tables import cell, paper_results, paper_value

TASKS = ["cheese_sandwich", "burger", "cheeseburger", "double_cheeseburger"]


def test_the_transcription_has_every_cell_of_tables_1_to_4():
    paper = paper_results()
    table1 = paper[paper.role != "grpo"]
    assert len(table1) == 4 * 6  # expert, 4 baselines, SFT per task
    grpo = paper[paper.role == "grpo"]
    assert len(grpo) == 16 and set(grpo.train_task) == set(TASKS) == set(grpo.task)
    # Table 1's SFT & GRPO row is the matrix's diagonal
    diagonal = grpo[grpo.train_task == grpo.task].set_index("task")
    assert diagonal.loc["burger", ["sr", "asat", "asst"]].tolist() == [0.7, 10.1, 8.0]
    assert diagonal.loc["double_cheeseburger", "asat"] == 30.5
    assert pd.isna(
        grpo[(grpo.train_task == "cheese_sandwich") & (grpo.task == "cheeseburger")].asst.iloc[0]
    )  # "—": no success


@pytest.mark.parametrize(
    "record, metric, expected",
    [
        ({"role": "base", "model": "tiny", "task": "burger"}, "asat", 15.0),  # our base = theirs
        ({"role": "base", "model": "qwen2.5-7b", "task": "burger"}, "sr", 0.1),
        ({"role": "grpo", "train_task": "double_cheeseburger", "task": "burger"}, "sr", 0.5),
        ({"role": "expert", "task": "cheeseburger"}, "sr", 0.7),  # the demo's recipe expert
        ({"role": "planner", "task": "cheeseburger"}, "sr", None),  # only an upper bound there
        ({"role": "random", "task": "burger"}, "sr", None),
    ],
)
def test_our_rows_find_their_published_counterpart(record, metric, expected):
    cfg = compose(["experiment=demo"])
    assert paper_value(paper_results(), cfg, record, metric) == expected


def test_a_cell_shows_value_and_interval_or_a_dash():
    assert cell({"sr": 0.3, "sr_lo": 0.1, "sr_hi": 0.6}, "sr") == "0.30 [0.10, 0.60]"
    assert cell({"asst": None, "asst_lo": None, "asst_hi": None}, "asst") == "—"
    assert cell({"asat": 12.25, "asat_lo": 11.0, "asat_hi": 13.5}, "asat") == "12.2 [11.0, 13.5]"


def test_the_planner_stands_in_for_the_paper_expert_when_it_is_the_expert():
    cfg = compose(["experiment=demo", "expert=planner"])
    assert (
        paper_value(paper_results(), cfg, {"role": "planner", "task": "cheeseburger"}, "sr") == 0.7
    )
