"""Load test of `packformer serve` (loopback only, bounded in count and time: a few seconds).

    serve_load_test.py --cli build/packformer --model .cache/models/all-MiniLM-L6-v2 --data tests/data

1. 64 concurrent clients, each sending mixed-length texts of tests/data/sentences.txt one per
   request on a keep-alive connection, against --max-concurrent-requests 8: every request is
   answered, 200s equal that text's CLI embedding (nothing lost, duplicated or mixed up), the
   excess gets 429, nothing else (no 5xx), nothing hangs.
2. The same load without the limit, and SIGTERM while a 32-text request is known to be in
   flight (the server's own gauge says so): that request and every other answered one are
   complete and correct, refusals after the signal are only 503 or closed connections, and the
   server exits 0.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import sys
import threading
import time

from serve_util import Server, cli_json_lines, cosine

CLIENTS = 64
REQUESTS_PER_CLIENT = 6
MIN_COSINE = 0.99999
failures: list[str] = []
lock = threading.Lock()


def check(condition: bool, message: str) -> None:
    if not condition:
        with lock:
            failures.append(message)
        print("FAIL:", message, file=sys.stderr)


def post(connection: http.client.HTTPConnection, path: str, body) -> tuple[int, object]:
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else None


def text_index(client: int, request: int, count: int) -> int:
    return (client * 7 + request * 13) % count


def limited_load(args, texts: list[str], reference: list) -> None:
    results: list[tuple[int, int, object]] = []
    errors: list[str] = []
    start = threading.Barrier(CLIENTS)

    def client(c: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        start.wait()
        for r in range(REQUESTS_PER_CLIENT):
            i = text_index(c, r, len(texts))
            try:
                status, value = post(connection, "/embed", {"inputs": texts[i]})
            except Exception as e:  # every request must get an answer
                with lock:
                    errors.append(f"client {c} request {r}: {e!r}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                continue
            with lock:
                results.append((i, status, value))
        connection.close()

    with Server(args.cli, args.model, "--threads", "2", "--max-concurrent-requests", "8") as server:
        began = time.monotonic()
        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        check(not any(t.is_alive() for t in threads), "a client hung")
        elapsed = time.monotonic() - began
        statuses = [s for _, s, _ in results]
        ok = [(i, v) for i, s, v in results if s == 200]
        print(f"limited: {len(results)} answers in {elapsed:.1f} s: {statuses.count(200)} x 200, "
              f"{statuses.count(429)} x 429, others {sorted(set(statuses) - {200, 429})}")
        check(not errors, f"requests without an answer: {errors[:3]}")
        check(len(results) == CLIENTS * REQUESTS_PER_CLIENT, f"{len(results)} answers for {CLIENTS * REQUESTS_PER_CLIENT}")
        check(set(statuses) <= {200, 429}, f"statuses other than 200 and 429: {sorted(set(statuses))}")
        check(statuses.count(429) > 0, "64 clients over a limit of 8 in flight: some must get 429")
        check(len(ok) > 0, "some requests must succeed")
        for i, value in ok:
            similarity = cosine(value[0], reference[i])
            check(similarity >= MIN_COSINE, f"text {i}: cosine {similarity:.7f} with its own reference")
        for i, s, value in results:
            if s == 429:
                check(value.get("error_type") == "Overloaded", f"a 429 body: {value}")
        metrics = server.request("GET", "/metrics")[1]
        check("packformer_sequences_in_flight 0\n" in metrics, "nothing left in flight")
        check("packformer_queue_size 0\n" in metrics, "nothing left queued")
        check(server.stop() == 0, "limited server: exit 0 after SIGTERM")


def sigterm_under_load(args, texts: list[str], reference: list) -> None:
    longest = sorted(range(len(texts)), key=lambda i: -len(texts[i]))[:32]
    stop_clients = threading.Event()
    answers: list[tuple[int, int, object, float]] = []  # (text index, status, body, time)
    refused: list[tuple[str, float]] = []
    big_answers: list[tuple[int, object, float]] = []

    def client(c: int) -> None:
        r = 0
        while not stop_clients.is_set():
            i = text_index(c, r, len(texts))
            r += 1
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            try:
                status, value = post(connection, "/embed", {"inputs": texts[i]})
                with lock:
                    answers.append((i, status, value, time.monotonic()))
            except (ConnectionError, http.client.RemoteDisconnected, OSError) as e:
                with lock:
                    refused.append((repr(e), time.monotonic()))
                return  # the server is going away
            finally:
                connection.close()

    def big_client() -> None:
        # 32 long texts in one request, sent again until the signal: one of them is in flight then.
        while not stop_clients.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            try:
                status, value = post(connection, "/embed", {"inputs": [texts[i] for i in longest]})
                with lock:
                    big_answers.append((status, value, time.monotonic()))
            except OSError:
                return
            finally:
                connection.close()

    with Server(args.cli, args.model, "--threads", "2") as server:
        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        threads.append(threading.Thread(target=big_client))
        for t in threads:
            t.start()
        # Wait until the 32-text request is admitted: more sequences in flight than the 64
        # single-text clients can hold.
        deadline = time.monotonic() + 60
        in_flight = 0
        while time.monotonic() < deadline:
            status, metrics, _ = server.request("GET", "/metrics")
            match = re.search(r"^packformer_sequences_in_flight (\d+)$", metrics, re.M)
            in_flight = int(match.group(1)) if match else 0
            if in_flight > CLIENTS:
                break
        check(in_flight > CLIENTS, f"the 32-text request was never seen in flight (gauge {in_flight})")
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            code = server.process.wait(timeout=30)
        except Exception:
            code = None
        stop_clients.set()
        for t in threads:
            t.join(timeout=60)
        check(not any(t.is_alive() for t in threads), "a client hung after SIGTERM")
        check(code == 0, f"exit status after SIGTERM under load: {code}")

        before = [a for a in answers if a[3] < signalled]
        after = [a for a in answers if a[3] >= signalled]
        statuses = [s for _, s, _, _ in answers]
        print(f"sigterm: {len(answers)} answers ({len(after)} after the signal), statuses {sorted(set(statuses))}, "
              f"{len(refused)} closed/refused connections, {len(big_answers)} 32-text answers, exit {code}")
        check(all(s == 200 for _, s, _, _ in before), "before the signal every request succeeds")
        check(set(statuses) <= {200, 503}, f"statuses other than 200 and 503: {sorted(set(statuses))}")
        for i, s, value, _ in answers:
            if s == 200:
                similarity = cosine(value[0], reference[i])
                check(similarity >= MIN_COSINE, f"text {i}: cosine {similarity:.7f} with its own reference")
        for _, when in refused:
            check(when >= signalled, "a connection was refused before the signal")
        # The 32-text request in flight at the signal was answered completely and correctly.
        finished_after = [b for b in big_answers if b[2] >= signalled]
        check(len(finished_after) >= 1 and finished_after[0][0] == 200,
              f"the 32-text request in flight at SIGTERM: {[(s, t - signalled) for s, _, t in big_answers[-2:]]}")
        for status, value, _ in big_answers:
            if status == 200:
                check(len(value) == 32, "32 embeddings for 32 texts")
                worst = min(cosine(v, reference[i]) for v, i in zip(value, longest))
                check(worst >= MIN_COSINE, f"32-text request: lowest cosine {worst:.7f}")
        os.unlink(server.log.name)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    signal.alarm(240)  # the whole test, whatever happens
    if not os.path.exists(os.path.join(args.model, "model.safetensors")):
        print(f"{args.model} is missing: run scripts/setup", file=sys.stderr)
        return 1
    with open(os.path.join(args.data, "sentences.txt"), encoding="utf-8") as f:
        texts = f.read().splitlines()
    reference = cli_json_lines(args.cli, "embed", args.model, texts)
    limited_load(args, texts, reference)
    sigterm_under_load(args, texts, reference)
    if failures:
        print(f"{len(failures)} failures", file=sys.stderr)
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
