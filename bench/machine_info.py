"""What every benchmark summary prints about the machine and the run: CPU model and the ISA flags
packformer's kernels care about, cores, memory, load average, commit. Standard library only, so
each benchmark's own venv can import it (sys.path gets bench/)."""

from __future__ import annotations

import datetime
import os
import pathlib
import platform
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "avx512_vnni", "amx_tile")


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                return [f for f in FLAGS if f in have]
    except OSError:
        pass
    return []


def load_average() -> list[str]:
    try:
        return open("/proc/loadavg", encoding="utf-8").read().split()[:3]
    except OSError:
        return ["?", "?", "?"]


def commit() -> str:
    try:
        line = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True,
                              text=True, check=False).stdout.strip()
        return (line[:77] + "...") if len(line) > 80 else (line or "?")
    except OSError:
        return "?"


def shown_path(path: str) -> str:
    """A path as the reports show it: relative to the repository when inside it."""
    try:
        return str(pathlib.Path(os.path.abspath(path)).relative_to(ROOT))
    except ValueError:
        return path


def thread_env() -> dict:
    """The thread-pool settings inherited from the environment (they change the timings: e.g.
    OMP_WAIT_POLICY=passive helps OpenMP engines a lot when other processes hold the cores)."""
    names = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return {n: os.environ[n] for n in names if n in os.environ}


def machine() -> dict:
    """The machine and the moment: call once at the start; add `loadavg_end` at the end."""
    return dict(date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                cpu=cpu_model(), cores=os.cpu_count(), flags=cpu_flags(),
                memory_gb=round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
                python=platform.python_version(), commit=commit(), loadavg_start=load_average())


def describe(meta: dict) -> list[str]:
    """Printable lines of machine() (plus loadavg_end when set)."""
    lines = [f"machine: {meta['cpu']}, {meta['cores']} cores ({', '.join(meta['flags']) or 'no AVX'}), "
             f"{meta['memory_gb']} GB",
             f"commit: {meta['commit']}; Python {meta['python']}; {meta['date']}",
             f"thread settings from the environment: {meta.get('env') or 'none'}",
             f"load average: {' '.join(meta['loadavg_start'])} at start"
             + (f", {' '.join(meta['loadavg_end'])} at end" if "loadavg_end" in meta else "")]
    return lines
