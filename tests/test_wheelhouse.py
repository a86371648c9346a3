"""tools/wheelhouse.py: the offline wheelhouse for a GPU node, exercised offline with wheels
built here (a local index stands in for PyPI)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "wheelhouse.py"
spec = importlib.util.spec_from_file_location("wheelhouse", TOOL)
wheelhouse = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wheelhouse)
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"


def make_wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """A minimal pure-Python wheel (one module) that pip can resolve and install."""
    dist = f"{name}-{version}"
    files = {
        f"{name}.py": f"VERSION = {version!r}\n",
        f"{dist}.dist-info/METADATA": "Metadata-Version: 2.1\n"
        f"Name: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def write_inventory(path: Path, packages: dict[str, str]) -> Path:
    node = wheelhouse.inventory()
    node["packages"] = packages
    path.write_text(json.dumps(node))
    return path


def write_environment(path: Path, requirements: list[str]) -> Path:
    lines = ["name: t", "dependencies:", "  - pip", "  - pip:"]
    path.write_text("\n".join([*lines, *(f"      - {r}" for r in requirements)]) + "\n")
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True)


def test_cluster_requirements_are_environment_ymls_pip_list():
    requirements = wheelhouse.cluster_requirements(wheelhouse.PROJECT / "environment.yml")
    assert "verl[vllm]==0.9.1" in requirements
    assert any(r.startswith("snakemake==") for r in requirements)


def test_this_interpreters_inventory_reads_back(tmp_path):
    path = tmp_path / "node.json"
    path.write_text(json.dumps(wheelhouse.inventory()))
    node = wheelhouse.read_inventory(path)
    assert node["python"] == HERE
    assert "pytest" in node["packages"]
    assert all(p != "any" for p in node["platforms"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not a JSON inventory"),
        ('{"python": "3.12", "platforms": []}', "key 'packages' must be a dict"),
        ('{"python": "3", "platforms": [], "packages": {}}', "key 'python' must read like"),
    ],
)
def test_a_bad_inventory_is_one_line_naming_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "node.json"
    path.write_text(text)
    with pytest.raises(wheelhouse.WheelhouseError, match=message) as err:
        wheelhouse.read_inventory(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_the_stub_environment_shows_the_nodes_packages_as_installed(tmp_path):
    python = wheelhouse.stub_environment({"torch": "2.11.0+cu130"}, tmp_path / "node")
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('torch'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == "2.11.0+cu130"


def test_source_only_requirements_are_read_from_both_pip_messages():
    missing = "ERROR: No matching distribution found for connection_pool>=0.0.3 (from snakemake)"
    conflict = (
        "The conflict is caused by:\n"
        "    hydra-core 1.3.2 depends on antlr4-python3-runtime==4.9.*\n\n"
        "Additionally, some packages in these conflicts have no matching distributions "
        "available for your environment:\n    antlr4-python3-runtime\n\nTo fix this"
    )
    assert wheelhouse.source_only(missing) == ["connection_pool>=0.0.3"]
    assert wheelhouse.source_only(conflict) == ["antlr4-python3-runtime==4.9.*"]
    assert wheelhouse.source_only("ERROR: ResolutionImpossible") == []


def test_download_fetches_only_what_the_node_lacks_then_installs_offline(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    make_wheel(index, "whtest_alpha", "1.0", requires=("whtest_beta>=1",))
    make_wheel(index, "whtest_beta", "1.0")
    make_wheel(index, "whtest_beta", "2.0")
    make_wheel(index, "whtest_gamma", "3.0", requires=("whtest_delta<2",))
    make_wheel(index, "whtest_delta", "1.5")
    for tool in ("setuptools", "wheel"):  # the offline install of stgrpo needs both
        make_wheel(index, tool, "99.0")
    # the node has beta 1.0 (fits: kept) and delta 2.0 (does not fit: replaced)
    node = write_inventory(tmp_path / "node.json", {"whtest_beta": "1.0", "whtest_delta": "2.0"})
    env = write_environment(tmp_path / "environment.yml", ["whtest_alpha", "whtest_gamma"])
    dest = tmp_path / "wheelhouse"
    common = ["--inventory", str(node), "--environment", str(env), "--dest", str(dest)]
    local = ["--index-url", index.as_uri(), "--find-links", str(index)]
    done = run("download", *common, *local)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((dest / wheelhouse.MANIFEST).read_text())
    fetched = {f["name"]: f for f in manifest["files"]}
    assert set(fetched) == {"whtest-alpha", "whtest-gamma", "whtest-delta", "setuptools", "wheel"}
    assert (fetched["whtest-delta"]["version"], fetched["whtest-delta"]["replaces"]) == (
        "1.5",
        "2.0",
    )
    assert "(replaces 2.0)" in done.stdout and "total, 5 files" in done.stdout
    assert not dest.with_name("wheelhouse.partial").exists()
    commands = wheelhouse.install_commands(dest)
    assert commands[0][3:6] == ["install", "--no-index", "--no-deps"]
    assert len(commands[0]) == 6 + 5
    # a second download never mixes into a full folder
    again = run("download", *common, *local)
    assert again.returncode != 0 and "exists and is not empty" in again.stderr


def test_install_refuses_a_broken_copy_or_another_python(tmp_path):
    wheel = make_wheel(tmp_path, "whtest_alpha", "1.0")
    entry = {"file": wheel.name, "sha256": wheelhouse.sha256(wheel), "name": "whtest_alpha"}
    manifest = tmp_path / wheelhouse.MANIFEST
    manifest.write_text(json.dumps({"python": HERE, "files": [entry]}))
    assert wheelhouse.install_commands(tmp_path)[0][-1] == str(wheel)
    wheel.write_bytes(wheel.read_bytes() + b"x")
    with pytest.raises(wheelhouse.WheelhouseError, match="sha256 differs"):
        wheelhouse.install_commands(tmp_path)
    manifest.write_text(json.dumps({"python": "2.7", "files": [entry]}))
    with pytest.raises(wheelhouse.WheelhouseError, match=r"wheels for Python 2\.7"):
        wheelhouse.install_commands(tmp_path)


def test_dry_run_prints_the_resolution_for_the_nodes_python_and_platforms(tmp_path):
    node = tmp_path / "node.json"
    node.write_text(
        json.dumps({"python": "3.12", "platforms": ["manylinux_2_28_x86_64"], "packages": {}})
    )
    done = run("download", "--inventory", str(node), "--dest", str(tmp_path / "w"), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "--python-version 3.12 --platform manylinux_2_28_x86_64" in done.stdout
    assert "'verl[vllm]==0.9.1'" in done.stdout
    assert not (tmp_path / "w").exists()
