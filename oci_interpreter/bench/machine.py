"""The machine a speed figure was measured on: CPU, cores, memory, GPU, the llama.cpp
build, Python and the OS (``oci bench speed`` reports it with every figure)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from oci_interpreter.backend.llama import LlamaBackend


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS
        return max(1, os.cpu_count() or 1)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"],
                                  capture_output=True, text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def gpu_names() -> str | None:
    """The NVIDIA GPUs nvidia-smi lists (name and memory), or None."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    names = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return "; ".join(names) if out.returncode == 0 and names else None


def describe_machine(backend: LlamaBackend | None = None) -> dict[str, Any]:
    """CPU, cores, threads used, memory, the llama.cpp build and the GPU, in absolute terms."""
    import psutil

    from oci_interpreter.backend.llama import engine_info

    engine = engine_info()
    accel = ", ".join(engine["accelerators"])
    layers = backend.info.gpu_layers if backend is not None else 0
    if engine["gpu_offload"] and layers != 0:
        kind = f"{accel or 'GPU'} ({'all' if layers < 0 else layers} layers offloaded)"
    elif engine["gpu_offload"]:
        kind = f"CPU ({accel or 'GPU'} build, no layers offloaded)"
    else:
        kind = "CPU"
    simd = [f for f in engine["cpu_features"] if f.startswith(("AVX", "NEON", "SVE", "AMX"))]
    return {
        "cpu": cpu_model(),
        "cores": psutil.cpu_count(logical=False) or os.cpu_count(),
        "logical_cpus": usable_cpus(),
        "threads": backend.info.threads if backend is not None else None,
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "backend": f"llama.cpp (llama-cpp-python {engine['version']}), {kind}"
                   + (f", {' '.join(simd)}" if simd else ""),
        "gpu_offload": engine["gpu_offload"],
        "gpu": gpu_names(),
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }
