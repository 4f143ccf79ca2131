#!/usr/bin/env python3
"""Two Python threads sharing one packformer.Encoder (sessions=2, 1 thread each) vs the same
two calls one after the other: the issue's concurrency check, measured, never asserted.

    PYTHONPATH=build/python OMP_WAIT_POLICY=passive OPENBLAS_NUM_THREADS=1 \
        .cache/pyenv/bin/python bench/python_threads.py \
        [--model .cache/models/all-MiniLM-L6-v2] [--repeats 5] [--texts 32]

Each call encodes --texts sentences of tests/data/sentences.txt in one batch (batch_size =
--texts), so a call uses one session; the serial pair therefore runs on one core at a time and
the concurrent pair on two. Prints the median of --repeats of each, their ratio (the issue asks
for < 0.7 on 2 cores), and checks that the concurrent results equal the serial ones exactly.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import threading
import time
from pathlib import Path

import numpy as np

import packformer

REPO = Path(__file__).resolve().parents[1]


def two_thread_baseline(seconds: float = 2.0) -> float:
    """Cores two plain threads get on this machine now (NumPy matrix products, which release
    the GIL): about 2 on an idle 2-core machine; when it is ~1, no two-thread speed-up can show."""
    a = np.random.default_rng(0).random((400, 400))

    def loop() -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            a @ a

    start, start_cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=loop) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (time.process_time() - start_cpu) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(REPO / ".cache/models/all-MiniLM-L6-v2"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--texts", type=int, default=32)
    args = parser.parse_args()

    lines = (REPO / "tests/data/sentences.txt").read_text(encoding="utf-8").split("\n")[:-1]
    inputs = [lines[: args.texts], lines[args.texts : 2 * args.texts]]
    model = packformer.Encoder(args.model, threads=2, sessions=2)
    encode = lambda texts: model.encode(texts, batch_size=len(texts))  # noqa: E731

    serial_results = [encode(t) for t in inputs]  # warm-up: both sessions' workspaces
    serial, concurrent = [], []
    cpu = {"serial": 0.0, "concurrent": 0.0}
    wall = {"serial": 0.0, "concurrent": 0.0}
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        for t in inputs:
            encode(t)
        serial.append(time.perf_counter() - start)
        wall["serial"] += serial[-1]
        cpu["serial"] += time.process_time() - start_cpu

        results = [None, None]

        def call(i: int) -> None:
            results[i] = encode(inputs[i])

        threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
        start, start_cpu = time.perf_counter(), time.process_time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        concurrent.append(time.perf_counter() - start)
        wall["concurrent"] += concurrent[-1]
        cpu["concurrent"] += time.process_time() - start_cpu
        assert all(np.array_equal(r, s) for r, s in zip(results, serial_results)), "results differ"

    s, c = statistics.median(serial), statistics.median(concurrent)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; model {args.model}")
    print(f"two calls of {args.texts} texts, sessions=2 x 1 thread, median of {args.repeats}")
    # CPU seconds per wall second: ~1 serial, ~2 concurrent on an idle 2-core machine; less
    # when other processes hold the cores.
    print(f"  serial:     {s * 1000:8.1f} ms  (cores busy: {cpu['serial'] / wall['serial']:.2f})")
    print(f"  concurrent: {c * 1000:8.1f} ms  (cores busy: {cpu['concurrent'] / wall['concurrent']:.2f})")
    print(f"  concurrent / serial: {c / s:.2f} (results identical)")
    print(f"  control: two NumPy threads keep {two_thread_baseline():.2f} cores busy "
          "(OPENBLAS_NUM_THREADS=1; ~2 on an idle machine)")


if __name__ == "__main__":
    main()
