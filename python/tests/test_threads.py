"""Sessions: Python threads sharing one model get exactly the results of serial calls; Ctrl-C
(KeyboardInterrupt) stops a long call between batches. Speed is measured by
bench/python/threads.py, never asserted here."""

from __future__ import annotations

import _thread
import json
import threading
import time

import numpy as np
import pytest

import packformer
from conftest import GOLDEN, MODELS


def run_in_threads(functions):
    results = [None] * len(functions)
    errors = []

    def call(i):
        try:
            results[i] = functions[i]()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(functions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_two_threads_share_an_encoder(sentences):
    model = packformer.Encoder(MODELS / "tiny-minilm", threads=2, sessions=2)
    assert model.info["sessions"] == 2 and model.info["threads_per_session"] == 1
    halves = [sentences[::2], sentences[1::2]]
    serial = [model.encode(h, batch_size=4) for h in halves]
    for _ in range(5):
        concurrent = run_in_threads([lambda h=h: model.encode(h, batch_size=4) for h in halves])
        for got, expected in zip(concurrent, serial):
            np.testing.assert_array_equal(got, expected)


def test_one_call_on_two_sessions_equals_one_session(sentences):
    one = packformer.Encoder(MODELS / "tiny-minilm", threads=1, sessions=1)
    two = packformer.Encoder(MODELS / "tiny-minilm", threads=2, sessions=2)
    for output in ("sentence_embedding", "token_embeddings"):
        a = one.encode(sentences, batch_size=3, output_value=output)
        b = two.encode(sentences, batch_size=3, output_value=output)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_more_threads_than_sessions_wait_their_turn(sentences):
    model = packformer.Encoder(MODELS / "tiny-minilm", threads=2, sessions=2)
    expected = model.encode(sentences)
    results = run_in_threads([lambda: model.encode(sentences)] * 6)
    for got in results:
        np.testing.assert_array_equal(got, expected)


def test_two_threads_share_a_generator():
    golden = json.loads((GOLDEN / "tiny-gpt2-generate.json").read_text())
    greedy = golden["cases"][0]
    expected = [sequence for per_prompt in greedy["new_tokens"] for sequence in per_prompt]
    generator = packformer.Generator(MODELS / "tiny-gpt2", threads=2, sessions=2)
    results = run_in_threads([lambda: generator.generate(golden["prompts"], max_new_tokens=64)] * 4)
    assert all(r == expected for r in results)


def interrupted_after(seconds, call):
    """Runs call() with a KeyboardInterrupt (as Ctrl-C gives) arriving after `seconds`;
    returns how long after the interrupt the call took to stop."""
    timer = threading.Timer(seconds, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        timer.cancel()
    return time.perf_counter() - start - seconds


# No Python code runs between the batches or tokens of these calls (no progress bar, no
# callback), so only the engine's own signal checks can stop them early. The interrupt comes
# after about 5 of the call's 120-150 batches or steps (timed in the same test); the bound,
# 40 of them, is far above one batch or step, and a call that ignores Ctrl-C until it ends
# overshoots it by a factor of about 3.


@pytest.mark.parametrize("sessions", [1, 2])
def test_keyboard_interrupt_stops_encode(minilm_dir, sentences, sessions):
    model = packformer.Encoder(minilm_dir, threads=2, sessions=sessions)
    texts = [sentences[2]] * 600  # 150 batches of 4 x 235 tokens
    start = time.perf_counter()
    model.encode(texts[:16], batch_size=4)
    per_batch = (time.perf_counter() - start) / 4
    late = interrupted_after(5 * per_batch, lambda: model.encode(texts, batch_size=4))
    assert late < 40 * per_batch, (late, per_batch)
    assert model.encode("still usable").shape == (384,)


def test_keyboard_interrupt_stops_generate():
    generator = packformer.Generator(MODELS / "tiny-gpt2")
    prompts = [[1, 2, 3]] * 64
    start = time.perf_counter()
    generator.generate(prompts, max_new_tokens=12, eos_token_id=[])
    per_step = (time.perf_counter() - start) / 12
    late = interrupted_after(5 * per_step, lambda: generator.generate(prompts, max_new_tokens=120, eos_token_id=[]))
    assert late < 40 * per_step, (late, per_step)


def test_keyboard_interrupt_from_a_callback_stops_generate():
    generator = packformer.Generator(MODELS / "tiny-gpt2")
    seen = []

    def callback(p, s, t):
        seen.append(t)
        if len(seen) == 5:
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        generator.generate([[1, 2, 3]], max_new_tokens=100, eos_token_id=[], callback=callback)
    assert len(seen) < 10
