"""A real one-node SLURM cluster on this machine, for tests and CI.

    python tools/slurm_cluster.py start [--dir DIR] [--gpus 2]   # prints DIR; idle when done
    python tools/slurm_cluster.py status [--dir DIR]
    python tools/slurm_cluster.py stop [--dir DIR]

`start` installs Debian's slurm packages when they are missing (apt-get), writes
/etc/slurm/slurm.conf and gres.conf (the jobstep plugin strips SLURM_CONF, so the config must
live there), keeps state, spool, logs and pid files under DIR, declares fake GPUs through
GRES (character devices made with mknod), starts slurmctld and slurmd (auth/none: no munge)
and waits until the node is idle. `stop` kills the daemons by the pids in DIR.

The node advertises more CPUs and memory than the machine has (`config_overrides`), so the
paper profile's requests (32 CPUs, 512 GB for GRPO) can be submitted and checked here; the
jobs themselves are the CPU-scale ones. Two partitions, `gpu` (default) and `cpu`, match
workflow/profiles/slurm.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CONF_DIR = Path("/etc/slurm")
DEFAULT_DIR = Path("/tmp/stgrpo-slurm")
PACKAGES = ["slurmctld", "slurmd", "slurm-client"]
NODE_CPUS, NODE_MEMORY_MB = 64, 1_024_000  # advertised (config_overrides), not real
MARK = "# written by tools/slurm_cluster.py: a one-node test cluster"


def slurm_conf(folder: Path, host: str, gpus: int) -> str:
    return "\n".join(
        [
            MARK,
            "ClusterName=stgrpo",
            f"SlurmctldHost={host}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/none",
            "CredType=cred/none",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "MpiDefault=none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "SchedulerType=sched/backfill",
            "SlurmdParameters=config_overrides",
            "ReturnToService=2",
            "MinJobAge=3600",  # finished jobs stay visible to squeue/scontrol (no sacct)
            "DefMemPerCPU=1000",  # else one job takes the whole node's memory
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "GresTypes=gpu",
            f"StateSaveLocation={folder}/state",
            f"SlurmdSpoolDir={folder}/spool",
            f"SlurmctldPidFile={folder}/slurmctld.pid",
            f"SlurmdPidFile={folder}/slurmd.pid",
            f"SlurmctldLogFile={folder}/slurmctld.log",
            f"SlurmdLogFile={folder}/slurmd.log",
            f"NodeName={host} CPUs={NODE_CPUS} RealMemory={NODE_MEMORY_MB} "
            f"Gres=gpu:fake:{gpus} State=UNKNOWN",
            "PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "PartitionName=cpu Nodes=ALL MaxTime=INFINITE State=UP",
            "",
        ]
    )


def install() -> None:
    if all(shutil.which(p) for p in ("slurmctld", "slurmd", "sbatch")):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
        check=True,
        env=env,
    )


def fake_gpus(folder: Path, gpus: int) -> str:
    """Character devices standing in for GPUs (SLURM only checks that the files exist)."""
    for index in range(gpus):
        device = folder / f"gpu{index}"
        if not device.exists():
            subprocess.run(["mknod", str(device), "c", "1", "3"], check=True)
    return f"{folder}/gpu[0-{gpus - 1}]" if gpus > 1 else f"{folder}/gpu0"


def start(folder: Path, gpus: int, timeout: float = 60) -> None:
    install()
    stop(folder, quiet=True)
    for sub in ("state", "spool"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    CONF_DIR.mkdir(parents=True, exist_ok=True)
    (CONF_DIR / "slurm.conf").write_text(slurm_conf(folder, host, gpus))
    (CONF_DIR / "gres.conf").write_text(
        f"{MARK}\nNodeName={host} Name=gpu Type=fake File={fake_gpus(folder, gpus)}\n"
    )
    subprocess.run(["slurmctld", "-c"], check=True)  # -c: a clean state, no old jobs
    subprocess.run(["slurmd", "-N", host], check=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True, check=False
        ).stdout.split()
        if state and all(s == "idle" for s in state):
            return
        time.sleep(0.5)
    raise RuntimeError(
        f"the SLURM node did not become idle within {timeout} s; "
        f"see {folder}/slurmctld.log and {folder}/slurmd.log"
    )


def stop(folder: Path, quiet: bool = False) -> None:
    for name in ("slurmd", "slurmctld"):
        pid_file = folder / f"{name}.pid"
        if not pid_file.is_file():
            continue
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):  # wait up to 5 s for it to exit
                os.kill(pid, 0)
                time.sleep(0.1)
        except (ValueError, ProcessLookupError):
            pass
        pid_file.unlink(missing_ok=True)
        if not quiet:
            print(f"stopped {name}")
    # A slurm.conf without a running slurmctld slows every later SLURM client call (~10 s)
    for name in ("slurm.conf", "gres.conf"):
        path = CONF_DIR / name
        if path.is_file() and path.read_text().startswith(MARK):
            path.unlink()


def status() -> int:
    return subprocess.run(["sinfo", "-N", "-o", "%N %T %C %m %G"], check=False).returncode


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="state, logs, pids")
    parser.add_argument("--gpus", type=int, default=2, help="fake GPUs on the node")
    args = parser.parse_args(argv)
    folder = args.dir.resolve()
    if args.action == "start":
        folder.mkdir(parents=True, exist_ok=True)
        start(folder, args.gpus)
        print(folder)
    elif args.action == "stop":
        stop(folder)
    else:
        sys.exit(status())


if __name__ == "__main__":
    main()
