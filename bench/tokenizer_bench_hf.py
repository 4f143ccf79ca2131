#!/usr/bin/env python3
"""Hugging Face tokenizers counterpart of bench/tokenizer_bench.cc: same corpus, one thread.

Encodes the corpus with Tokenizer.encode_batch (Rust loop, RAYON_NUM_THREADS=1 and
TOKENIZERS_PARALLELISM=false, so no Python per-line overhead and no extra threads) and, for
reference, with a Python loop over Tokenizer.encode. Prints lines/s, MB/s and tokens/s
(median of the timed passes).

  tokenizer_bench_hf.py --tokenizer tokenizer.json --corpus corpus.txt [--passes N]
"""
import argparse
import os
import statistics
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()

    import tokenizers

    tok = tokenizers.Tokenizer.from_file(args.tokenizer)
    tok.no_truncation()
    tok.no_padding()
    with open(args.corpus, "rb") as f:
        raw = f.read().split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    lines = [line.decode("utf-8", errors="replace") for line in raw]
    nbytes = sum(len(line) for line in raw)
    tokens = sum(len(e.ids) for e in tok.encode_batch(lines))  # warm-up
    for name, run in (("encode_batch", lambda: tok.encode_batch(lines)),
                      ("encode loop", lambda: [tok.encode(line) for line in lines])):
        seconds = []
        for _ in range(max(1, args.passes)):
            start = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - start)
        median = statistics.median(seconds)
        print(f"tokenizers {tokenizers.__version__ if hasattr(tokenizers, '__version__') else ''} {name}: "
              f"{len(lines)} lines, {nbytes / 1e6:.2f} MB, {tokens} tokens per pass; median {median:.4f} s")
        print(f"lines/s {len(lines) / median:.0f}  MB/s {nbytes / 1e6 / median:.2f}  tokens/s {tokens / median:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
