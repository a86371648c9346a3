"""One uninterrupted run of the `ci` experiment, shared by every workflow test that needs a
finished run or a reference to compare with (tests must only read it, or dry-run on it)."""

from __future__ import annotations

import os
from unittest import mock

import pytest

from tests.workflow.runner import SECRET_VALUES, snakemake


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ci")
    with mock.patch.dict(os.environ, SECRET_VALUES):  # test_secrets looks for them on disk
        run = snakemake(workdir, "--cores", "2", "--config", "experiment=ci", timeout=1500)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return workdir
