"""tools/error_breakdown.py: the kinds of single-step rows it splits accuracy by."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "error_breakdown.py"
spec = importlib.util.spec_from_file_location("error_breakdown", TOOL)
breakdown = importlib.util.module_from_spec(spec)
spec.loader.exec_module(breakdown)

USER = (
    "Recipe: ...\nDish at table2, 1 done, top bottombun1. Next: patty.\n"
    " robot1 at table5, holding nothing.\n"
)


def test_rows_split_by_verb_and_whether_the_station_is_the_robots():
    need_here = "Thought: I need patty1 at table5. I am at table5.\nAction: Pick up patty1"
    need_away = "Thought: I need patty1 at table4. I am at table5.\nAction: Move robot1"
    put_away = "Thought: I put patty1 on bottombun1 at table2. I am at table5.\nAction: Move"
    assert breakdown.kind_and_station(USER, need_here) == ("need, here", "table5")
    assert breakdown.kind_and_station(USER, need_away) == ("need, away", "table4")
    assert breakdown.kind_and_station(USER, put_away) == ("put, away", "table2")
    assert breakdown.kind_and_station(USER, "Thought: I wait.\nAction: Wait") is None
