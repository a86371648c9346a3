"""tools/gpu_smoke.py, as far as a machine without a GPU can take it: the plan, the memory
samples, the summary."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "gpu_smoke.py"
spec = importlib.util.spec_from_file_location("gpu_smoke", TOOL)
gpu_smoke = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_smoke)


def test_the_dry_run_plans_every_paper_scale_job():
    done = subprocess.run(
        [sys.executable, str(TOOL), "--dry-run"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for rule in ("model", "sft", "grpo", "evaluate", "report"):
        assert rule in done.stdout


def test_peak_memory_reads_nvidia_smi_lines_and_skips_noise():
    samples = "1024, 143771\n\n[N/A], 143771\n70123, 143771\n512, 143771\n"
    assert gpu_smoke.peak_memory(samples) == (70123, 143771)
    assert gpu_smoke.peak_memory("") is None


def test_the_summary_holds_the_command_stage_times_memory_and_table1(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "stage_times.md").write_text("| stage | wall_s |\n| sft | 12.0 |\n")
    (tmp_path / "report" / "table1.md").write_text("| model | SR |\n| sft | 0.50 |\n")
    text = gpu_smoke.summary(tmp_path, ["python", "-m", "snakemake"], 90.0, (2048, 143771))
    assert "python -m snakemake" in text and "1.5 min" in text
    assert "2048 of 143771 MiB" in text
    assert "| sft | 12.0 |" in text and "| sft | 0.50 |" in text
