"""Closed-loop HTTP load generator: C concurrent clients, one text per request, over keep-alive
connections (aiohttp; uvloop when installed, to spend less of the shared cores on the client).

Each client takes the next text not yet sent, POSTs it, waits for the answer, and takes the
next; so C requests are in flight until the texts run out. Every request is timed from just
before the POST to the end of reading the body. The same code and the same OpenAI-style body
(`{"input": text, "model": name, "encoding_format": "float"}`) drive every server, so the
client's own cost is the same for all of them."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

import aiohttp


@dataclasses.dataclass
class LoadResult:
    concurrency: int
    wall_s: float              # first POST to last answer
    client_cpu_s: float        # CPU the load generator itself used meanwhile
    latencies_s: list[float]   # per text, input order
    statuses: list[int]        # per text, input order (0: connection error)
    embeddings: list[list[float] | None]  # per text, input order; None when the request failed
    errors: list[str]          # a few of the failures' messages

    @property
    def ok(self) -> int:
        return sum(1 for s in self.statuses if s == 200)

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies, in ms."""
        values = sorted(l for l, s in zip(self.latencies_s, self.statuses) if s == 200)
        if not values:
            return float("nan")
        rank = max(1, min(len(values), round(q / 100 * len(values) + 0.5)))
        return values[rank - 1] * 1e3

    def summary(self) -> dict:
        n = len(self.statuses)
        return dict(concurrency=self.concurrency, requests=n, ok=self.ok,
                    non_200={str(s): self.statuses.count(s) for s in sorted(set(self.statuses)) if s != 200},
                    wall_s=self.wall_s, sentences_per_s=self.ok / self.wall_s if self.wall_s > 0 else 0.0,
                    p50_ms=self.percentile_ms(50), p90_ms=self.percentile_ms(90),
                    p99_ms=self.percentile_ms(99), max_ms=self.percentile_ms(100),
                    client_cpu_s=self.client_cpu_s, errors=self.errors[:5])


def embedding_of(answer) -> list[float]:
    """The one embedding of an OpenAI-style answer ({"data": [{"embedding": [...]}]})."""
    data = answer["data"]
    if len(data) != 1:
        raise ValueError(f"expected 1 embedding in the answer, got {len(data)}")
    return data[0]["embedding"]


async def _run(url: str, model: str, texts: list[str], concurrency: int, timeout_s: float) -> LoadResult:
    n = len(texts)
    latencies = [0.0] * n
    statuses = [0] * n
    embeddings: list[list[float] | None] = [None] * n
    errors: list[str] = []
    next_index = 0

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client() -> None:
            nonlocal next_index
            while next_index < n:
                i = next_index
                next_index += 1
                body = {"input": texts[i], "model": model, "encoding_format": "float"}
                start = time.perf_counter()
                try:
                    async with session.post(url, json=body) as response:
                        payload = await response.read()
                        latencies[i] = time.perf_counter() - start
                        statuses[i] = response.status
                        if response.status == 200:
                            embeddings[i] = embedding_of(json.loads(payload))
                        elif len(errors) < 5:
                            errors.append(f"text {i}: HTTP {response.status}: {payload[:200]!r}")
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError) as e:
                    latencies[i] = time.perf_counter() - start
                    statuses[i] = 0
                    if len(errors) < 5:
                        errors.append(f"text {i}: {type(e).__name__}: {e}")

        start, start_cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return LoadResult(concurrency, wall, cpu, latencies, statuses, embeddings, errors)


def run_load(url: str, model: str, texts: list[str], concurrency: int, timeout_s: float = 600.0) -> LoadResult:
    """Sends every text once, `concurrency` requests at a time; returns timings and answers."""
    try:
        import uvloop
        return uvloop.run(_run(url, model, texts, concurrency, timeout_s))
    except ImportError:
        return asyncio.run(_run(url, model, texts, concurrency, timeout_s))
