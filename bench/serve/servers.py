"""The servers under test, each started as its own process on a free loopback port, and
packformer's offline `embed` pass they are compared with."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import numpy as np


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process: started with `command`, ready when GET `health` answers 200."""

    def __init__(self, name: str, command: list[str], port: int, env: dict[str, str], log: pathlib.Path):
        self.name, self.command, self.port, self.log = name, command, port, log
        self.base = f"http://127.0.0.1:{port}"
        self._log_file = open(log, "w")
        self.process = subprocess.Popen(command, stdout=self._log_file, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)

    def wait_ready(self, health: str, timeout_s: float) -> float:
        """Seconds until GET health answered 200; raises with the log's tail if the server died
        or never became ready."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout_s:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} before it was ready:\n"
                                   + self.tail())
            try:
                with urllib.request.urlopen(self.base + health, timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f} s:\n" + self.tail())

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 30 s; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode

    def tail(self, lines: int = 20) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_packformer(binary: str, model: str, threads: int, log: pathlib.Path) -> Server:
    port = free_port()
    command = [binary, "serve", "--model", model, "--host", "127.0.0.1", "--port", str(port),
               "--threads", str(threads)]
    return Server("packformer serve", command, port, dict(os.environ), log)


def start_infinity(venv: pathlib.Path, model: str, threads: int, log: pathlib.Path) -> Server:
    """infinity-emb v2 with its CPU defaults (engine torch, device auto, batch size 32), offline,
    without telemetry; torch gets `threads` intra-op threads like packformer."""
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", INFINITY_ANONYMOUS_USAGE_STATS="0",
               DO_NOT_TRACK="1", OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    command = [str(venv / "bin" / "infinity_emb"), "v2", "--model-id", model, "--host", "127.0.0.1",
               "--port", str(port)]
    return Server("infinity-emb", command, port, env, log)


def embed_seconds(binary: str, model: str, threads: int, input_path: pathlib.Path, output: pathlib.Path) -> float:
    """Wall time of one `packformer embed` process over input_path (start, load, run, write npy)."""
    start = time.perf_counter()
    subprocess.run([binary, "embed", "--model", model, "--threads", str(threads), "--input", str(input_path),
                    "--output", str(output), "--format", "npy"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def offline_pass(binary: str, model: str, threads: int, texts: list[str], repeats: int) -> tuple[float, np.ndarray]:
    """packformer embed's time for one pass over the texts, measured as bench/compare does: the
    wall time of (1 + repeats) copies minus that of 1 copy, divided by repeats (process start,
    model load and the first pass cancel out). Also returns the embeddings of the 1-copy run
    (the reference every server answer is checked against)."""
    with tempfile.TemporaryDirectory(prefix="pf-serve-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        one, many = tmp / "one.txt", tmp / "many.txt"
        one.write_text("\n".join(texts) + "\n", encoding="utf-8")
        many.write_text("\n".join(texts * (1 + repeats)) + "\n", encoding="utf-8")
        t1 = embed_seconds(binary, model, threads, one, tmp / "one.npy")
        tn = embed_seconds(binary, model, threads, many, tmp / "many.npy")
        reference = np.load(tmp / "one.npy")
    if reference.shape[0] != len(texts):
        raise RuntimeError(f"embed gave {reference.shape[0]} rows for {len(texts)} texts")
    return max(tn - t1, 1e-6) / repeats, reference
