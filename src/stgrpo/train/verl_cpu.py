"""A CPU platform for verl, so that `make test-verl` trains with verl's own SFT trainer on a
machine without a GPU. Never used on a GPU cluster.

verl 0.9.1 knows CUDA, NPU and ROCm platforms only (`verl.plugin.platform`) and falls back to
CUDA when it finds none. It loads plugins named by `VERL_USE_EXTERNAL_MODULES` at import and
picks the platform named by `VERL_PLATFORM`: this module registers `cpu` there, with the
CPU as the device, gloo as the collective backend and no-op memory and profiler calls.
verl's FSDP engine class is registered for cuda and npu only, although it runs on any device
the platform names: `VERL_ENGINE_DEVICE=cuda` selects it. `verl_engine.CPU_ENV` sets all
three; `verl_engine.CPU_OVERRIDES` and `NO_FLASH_ATTN["sft"]` are the settings verl
documents for a run without flash-attn (fsdp2, sdpa attention, no remove-padding, no
torch.compile).

One patch outside verl's hooks: verl starts torch.distributed with the backend
`cpu:gloo,<device>:<its backend>`, which torch rejects when the device is the CPU itself
("Duplicate device type cpu"); `init_process_group` here gets plain `gloo` instead.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import torch
import torch.distributed
from verl.plugin.platform import PlatformBase, PlatformRegistry

NAME = "cpu"
CPU_TWICE = "cpu:gloo,cpu:gloo"  # what verl asks torch.distributed for on this platform


class CPUDevice:
    """What verl calls on `torch.<device>`, for the CPU: torch.cpu's own functions, memory
    statistics as zero (no device allocator), the host's memory as the device's."""

    current_device = staticmethod(torch.cpu.current_device)
    device_count = staticmethod(torch.cpu.device_count)
    set_device = staticmethod(torch.cpu.set_device)
    synchronize = staticmethod(torch.cpu.synchronize)
    get_rng_state = staticmethod(torch.get_rng_state)
    set_rng_state = staticmethod(torch.set_rng_state)
    manual_seed = staticmethod(torch.manual_seed)

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def get_device_name(*_args) -> str:
        return "CPU"  # verl's FLOPS table has a CPU entry (for its MFU metric)

    @staticmethod
    def empty_cache() -> None:
        return None

    @staticmethod
    def set_per_process_memory_fraction(*_args, **_kwargs) -> None:
        return None

    @staticmethod
    def memory_allocated(*_args) -> int:
        return 0

    memory_reserved = max_memory_allocated = max_memory_reserved = memory_allocated

    @staticmethod
    def mem_get_info(*_args) -> tuple[int, int]:
        page = os.sysconf("SC_PAGE_SIZE")
        return os.sysconf("SC_AVPHYS_PAGES") * page, os.sysconf("SC_PHYS_PAGES") * page


@PlatformRegistry.register(platform=NAME)
class PlatformCPU(PlatformBase):
    """The host CPU as verl's device: one process per "device", gloo between them."""

    device_module = CPUDevice()

    @property
    def device_name(self) -> str:
        return "cpu"

    @property
    def vendor_name(self) -> str:
        return "cpu"

    def is_available(self) -> bool:
        return True

    def is_platform_available(self, use_smi_check=False) -> bool:
        return False  # only ever chosen explicitly (VERL_PLATFORM=cpu), never detected

    def current_device(self):
        return torch.cpu.current_device()

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index) -> None:
        return None

    def synchronize(self, device_index=None) -> None:
        return None

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def get_device_capability(self, device_index: int = 0):
        return None, None

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        return "CUDA_VISIBLE_DEVICES"

    @contextmanager
    def nvtx_range(self, msg: str):
        yield

    def profiler_start(self) -> None:
        return None

    def profiler_stop(self) -> None:
        return None

    def ray_resource_name(self) -> str:
        return "CPU"

    def ray_noset_envvars(self) -> list[str]:
        return []

    def is_ipc_supported(self) -> bool:
        return False

    def cudart(self):
        return None


def _gloo_once(init_process_group):
    """`init_process_group` with verl's CPU-twice backend string made plain gloo."""

    def init(*args, **kwargs):
        if kwargs.get("backend") == CPU_TWICE:
            kwargs["backend"] = "gloo"
        return init_process_group(*args, **kwargs)

    init.stgrpo_cpu_shim = True
    return init


if not getattr(torch.distributed.init_process_group, "stgrpo_cpu_shim", False):
    torch.distributed.init_process_group = _gloo_once(torch.distributed.init_process_group)
