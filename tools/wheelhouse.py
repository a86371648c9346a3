"""An offline wheelhouse for a GPU node without internet: exactly the wheels it lacks.

Many clusters' compute nodes have no network, while their image already holds torch (with
its CUDA), transformers and friends. This tool resolves the cluster environment (the pip
part of environment.yml: verl with vLLM, Hydra, Snakemake, ...) for the node's Python and
platform on a machine with internet, keeps the node's own versions wherever they satisfy
the requirements, and downloads only the rest, with their hashes and sizes:

    # on the GPU node (no network)
    python tools/wheelhouse.py inventory > node.json
    # on a machine with internet (any OS), the same checkout
    python tools/wheelhouse.py download --inventory node.json --dest wheelhouse/
    # carry wheelhouse/ to the node, then there
    python tools/wheelhouse.py install wheelhouse/
    python tools/wheelhouse.py check

`download --dry-run` prints the resolution's pip command and writes nothing; `--resolve-only`
resolves (metadata only, no wheel downloaded) and prints what would be fetched, with sizes.
The install runs `pip install --no-index --no-deps` on the manifest's files after checking
every sha256, then stgrpo itself; `check` imports what the smoke run needs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shlex
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
MANIFEST = "MANIFEST.json"
# What the smoke run imports (verl's SFT trainer and main_ppo, vLLM, the workflow).
CHECK_MODULES = (
    "verl.trainer.sft_trainer",
    "verl.trainer.main_ppo",
    "verl.model_merger",
    "vllm",
    "ray",
    "hydra",
    "datasets",
    "tensordict",
    "snakemake",
    "matplotlib",
    "stgrpo.train.verl_engine",
    "stgrpo.models.vllm_backend",
)


class WheelhouseError(Exception):
    """Bad input or a failed step: one line naming the file, key or value."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0])


def cluster_requirements(environment: Path) -> list[str]:
    """The pip requirements of the cluster's conda environment file."""
    try:
        env = yaml.safe_load(environment.read_text())
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    except (OSError, yaml.YAMLError, KeyError, TypeError, StopIteration) as exc:
        raise WheelhouseError(
            f"{environment}: expected a conda environment file with a "
            f"'dependencies: - pip: [...]' list ({exc.__class__.__name__})"
        ) from None
    return [str(r) for r in pip]


def read_inventory(path: Path) -> dict:
    """The node's inventory as written by `inventory`: python, platform, packages."""
    try:
        inv = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WheelhouseError(f"{path}: not a JSON inventory ({exc})") from None
    for key, kind in (("python", str), ("platforms", list), ("packages", dict)):
        if not isinstance(inv.get(key), kind):
            raise WheelhouseError(
                f"{path}: key '{key}' must be a {kind.__name__} "
                f"(write the file with `python tools/wheelhouse.py inventory`)"
            )
    inv["packages"] = {canonical(name): v for name, v in inv["packages"].items()}
    if not re.fullmatch(r"3\.\d+", inv["python"]):
        raise WheelhouseError(f"{path}: key 'python' must read like '3.12', got {inv['python']!r}")
    return inv


def inventory() -> dict:
    """This interpreter's Python version, wheel platform and installed distributions."""
    from importlib import metadata

    packages = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[canonical(name)] = dist.version
    try:
        from packaging import tags
    except ImportError:  # pip always vendors it
        from pip._vendor.packaging import tags
    platforms = list(
        dict.fromkeys(tag.platform for tag in tags.sys_tags() if tag.platform != "any")
    )
    return {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "platforms": platforms,  # every wheel platform this node accepts (its glibc's manylinux)
        "packages": dict(sorted(packages.items())),
    }


def stub_environment(packages: dict[str, str], root: Path) -> Path:
    """A throwaway environment that holds the node's packages as metadata only (no files,
    no dependencies): pip's dry run then takes them as installed, keeps every one whose
    version fits, and neither walks nor fetches them (torch and its CUDA wheels stay out).
    Returns its Python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for name, version in packages.items():
        info = Path(site) / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "INSTALLER").write_text("stub\n")
    return python


def resolve_command(
    inv: dict, requirements: list[str], python: Path, workdir: Path, index: list[str] = ()
) -> list[str]:
    """pip's resolution against the node's stub environment, for its Python and platform."""
    return [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--dry-run",  # (not --quiet: the conflict's explanation names the source-only ones)
        "--report",
        str(workdir / "report.json"),
        "--python-version",
        inv["python"],
        *(arg for platform in inv["platforms"] for arg in ("--platform", platform)),
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--find-links",
        str(workdir / "built"),
        *index,
        *requirements,
    ]


def wanted_files(report: dict, packages: dict[str, str]) -> list[dict]:
    """What the resolution installs: the distributions the node lacks, and those whose node
    version does not fit (`replaces` names it), with their url and sha256."""
    files = []
    for item in report.get("install", []):
        meta = item["metadata"]
        name = canonical(meta["name"])
        info = item["download_info"]
        digest = info.get("archive_info", {}).get("hashes", {}).get("sha256")
        files.append(
            {
                "name": name,
                "version": meta["version"],
                "url": info["url"],
                "sha256": digest,
                "replaces": packages.get(name),
            }
        )
    return sorted(files, key=lambda f: f["name"])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class PipError(WheelhouseError):
    def __init__(self, command: list[str], output: str, reason: str = ""):
        errors = [line for line in output.splitlines() if "ERROR" in line] or output.splitlines()
        tail = reason or " ".join(" ".join(errors).split())[-400:]
        super().__init__(f"`{shlex.join(command[:6])} ...` failed: {tail}")
        self.output = output


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise PipError(command, done.stdout + done.stderr)


def resolve(command: list[str], built: Path, attempts: int = 10) -> None:
    """Run the node-platform resolution (wheels only). A requirement the index has as a
    source only is built here into a wheel (it must be pure Python: the node cannot build)
    and found next time."""
    built.mkdir(parents=True, exist_ok=True)
    for _ in range(attempts):
        try:
            _run(command)
            return
        except PipError as exc:
            sources = source_only(exc.output)
            if not sources:
                raise
            try:
                for requirement in sources:
                    build_wheel(requirement, built)
            except WheelhouseError as built_error:
                raise PipError(command, exc.output, str(built_error)) from None
    raise WheelhouseError(f"the resolution still fails after {attempts} rounds of building")


def source_only(output: str) -> list[str]:
    """The requirements pip found no wheel for, read from its error text."""
    found = re.findall(r"No matching distribution found for (\S+?)(?: \(|$)", output, re.M)
    listed = re.search(
        r"no matching distributions available for your environment:\n((?:[ \t]+\S+\n?)+)", output
    )
    for name in listed.group(1).split() if listed else []:
        spec = re.search(rf"depends on ({re.escape(name)}[^\s,;]*)", output, re.I)
        found.append(spec.group(1) if spec else name)
    return list(dict.fromkeys(found))


def build_wheel(requirement: str, built: Path) -> None:
    before = set(built.iterdir())
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(built), requirement])
    new = sorted(w.name for w in set(built.iterdir()) - before)
    if not new or not all(name.endswith("-none-any.whl") for name in new):
        raise WheelhouseError(
            f"{requirement}: no wheel for the node's platform, and its source builds "
            f"{new or 'nothing'}; build it on a machine like the node"
        )


def fetch(files: list[dict], dest: Path) -> list[dict]:
    """Download (or copy, for wheels built here) each file; check and record its sha256."""
    out = []
    for f in files:
        target = dest / Path(f["url"].split("#")[0]).name
        if f["url"].startswith("file:"):
            target.write_bytes(Path(urllib.request.url2pathname(f["url"][5:])).read_bytes())
        else:
            partial = target.with_suffix(target.suffix + ".partial")
            urllib.request.urlretrieve(f["url"], partial)
            partial.replace(target)
        digest = sha256(target)
        if f["sha256"] and digest != f["sha256"]:
            target.unlink()
            raise WheelhouseError(
                f"{target.name}: sha256 {digest} is not the index's {f['sha256']}"
            )
        out.append({**f, "file": target.name, "sha256": digest, "bytes": target.stat().st_size})
    return out


def size_table(files: list[dict]) -> str:
    rows = sorted(files, key=lambda f: -f.get("bytes", 0))
    lines = [
        f"{f['bytes'] / 2**20:9.1f} MiB  {f['name']}=={f['version']}"
        + (f"  (replaces {f['replaces']})" if f.get("replaces") else "")
        for f in rows
    ]
    total = sum(f.get("bytes", 0) for f in files) / 2**20
    return "\n".join([*lines, f"{total:9.1f} MiB  total, {len(files)} files"])


def download(args: argparse.Namespace) -> None:
    inv = read_inventory(args.inventory)
    # setuptools and wheel: the node installs stgrpo itself from its checkout, offline
    requirements = [*cluster_requirements(args.environment), "setuptools>=68", "wheel"]
    index = [f"--index-url={args.index_url}"] if args.index_url else []
    index += [f"--find-links={links}" for links in args.find_links]
    dest: Path = args.dest
    if not args.dry_run and dest.exists() and any(dest.iterdir()):
        raise WheelhouseError(f"--dest {dest}: exists and is not empty (choose a new folder)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        python = workdir / "node" / "bin" / "python"
        command = resolve_command(inv, requirements, python, workdir, index)
        if args.dry_run:
            print(shlex.join(command))
            return
        stub_environment(inv["packages"], workdir / "node")
        try:
            resolve(command, workdir / "built")
        except PipError as exc:
            log = dest.with_name(dest.name + ".pip.log")
            log.write_text(exc.output)
            raise WheelhouseError(f"{exc} (pip's whole output: {log})") from None
        report = json.loads((workdir / "report.json").read_text())
        files = wanted_files(report, inv["packages"])
        if args.resolve_only:
            for f in files:
                note = f"  (replaces the node's {f['replaces']})" if f["replaces"] else ""
                print(f"{f['name']}=={f['version']}  {f['url'].split('/')[-1]}{note}")
            print(f"{len(files)} files the node lacks")
            return
        partial = dest.with_name(dest.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        fetched = fetch(files, partial)
        manifest = {"python": inv["python"], "platforms": inv["platforms"], "files": fetched}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        if dest.exists():
            dest.rmdir()
        partial.replace(dest)  # the folder appears whole or not at all
    print(size_table(fetched))


def install_commands(wheelhouse: Path, python: str = sys.executable) -> list[list[str]]:
    """Check every file against the manifest, then the pip commands that install it."""
    path = wheelhouse / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WheelhouseError(f"{path}: not a wheelhouse manifest ({exc})") from None
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if manifest.get("python") != here:
        raise WheelhouseError(
            f"{path}: wheels for Python {manifest.get('python')}, this is Python {here}"
        )
    wheels = []
    for f in manifest["files"]:
        wheel = wheelhouse / f["file"]
        if not wheel.is_file():
            raise WheelhouseError(f"{wheel}: listed in {MANIFEST} but missing")
        if sha256(wheel) != f["sha256"]:
            raise WheelhouseError(f"{wheel}: sha256 differs from {MANIFEST} (a broken copy?)")
        wheels.append(str(wheel))
    # --no-deps: the download resolved everything against this node's packages already
    pip = [python, "-m", "pip", "install", "--no-index", "--no-deps"]
    return [[*pip, *wheels], [*pip, "--no-build-isolation", "-e", str(PROJECT)]]


def install(args: argparse.Namespace) -> None:
    for command in install_commands(args.wheelhouse):
        print(shlex.join(command[:7]) + (" ..." if len(command) > 7 else ""))
        if not args.dry_run:
            subprocess.run(command, check=True)


def check(_: argparse.Namespace) -> None:
    import importlib

    missing = []
    for module in CHECK_MODULES:
        try:
            importlib.import_module(module)
        except Exception as exc:  # any failure at import is what the node must fix
            missing.append(f"{module}: {exc.__class__.__name__}: {exc}".splitlines()[0])
    for line in missing:
        print(line)
    if missing:
        raise WheelhouseError(f"{len(missing)} of {len(CHECK_MODULES)} imports failed")
    print(f"all {len(CHECK_MODULES)} imports the GPU smoke run needs work")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("inventory", help="print this node's Python, platform and packages")
    d = sub.add_parser("download", help="fetch the wheels the inventoried node lacks")
    d.add_argument("--inventory", type=Path, required=True)
    d.add_argument("--dest", type=Path, required=True)
    d.add_argument("--environment", type=Path, default=PROJECT / "environment.yml")
    d.add_argument("--index-url", help="a PyPI mirror instead of pip's configured index")
    d.add_argument("--find-links", action="append", default=[], help="more wheels (folder/URL)")
    d.add_argument("--dry-run", action="store_true", help="print the resolution command only")
    d.add_argument("--resolve-only", action="store_true", help="resolve; download nothing")
    i = sub.add_parser("install", help="install a wheelhouse offline (after checking it)")
    i.add_argument("wheelhouse", type=Path)
    i.add_argument("--dry-run", action="store_true")
    sub.add_parser("check", help="import what the GPU smoke run needs")
    args = parser.parse_args(argv)
    try:
        if args.command == "inventory":
            print(json.dumps(inventory(), indent=1))
        else:
            {"download": download, "install": install, "check": check}[args.command](args)
    except WheelhouseError as exc:
        sys.exit(f"wheelhouse: {exc}")


if __name__ == "__main__":
    main()
