"""Checks million_lines.sh's output: the big run's .npy loads with numpy.load as float32
[lines, dim]; `embed --format npy` and `--format jsonl` of the same first lines are equal (the
jsonl's %.9g round-trips float32); the big run's first rows match them (cosine >= 0.99999: the
same engine, only the batch the rows were computed in may differ); the maximum resident set
size is under 500 MB (issue 19). Exits 1 when a check fails.

    python check_npy.py BIG.npy HEAD.jsonl HEAD.npy LINES MAX_RSS_KB
"""

import json
import sys

import numpy as np

MAX_RSS_MB = 500
MIN_COSINE = 0.99999


def main() -> int:
    big_path, jsonl_path, head_path = sys.argv[1:4]
    n, rss_kb = int(sys.argv[4]), int(sys.argv[5])
    big = np.load(big_path, mmap_mode="r")
    head = np.load(head_path)
    with open(jsonl_path, encoding="utf-8") as f:
        ref = np.array([json.loads(line) for line in f], dtype=np.float32)
    problems = []
    if big.dtype != np.float32 or big.ndim != 2 or big.shape[0] != n:
        problems.append(f"{big_path}: dtype {big.dtype}, shape {big.shape}; expected float32 [{n}, dim]")
    if head.shape != ref.shape or not np.array_equal(head, ref):
        diff = np.abs(head - ref).max() if head.shape == ref.shape else f"shapes {head.shape} vs {ref.shape}"
        problems.append(f"npy and jsonl of the same {len(ref)} lines differ: max |diff| {diff}")
    first = np.asarray(big[: len(ref)], dtype=np.float64)
    r = ref.astype(np.float64)
    cos = (first * r).sum(1) / (np.linalg.norm(first, axis=1) * np.linalg.norm(r, axis=1))
    print(f"million_lines: npy [{big.shape[0]}, {big.shape[1]}] {big.dtype}; the big run's first {len(ref)} rows "
          f"vs jsonl: max |diff| {np.abs(first - r).max():.3g}, worst cosine {cos.min():.9f}")
    if not cos.min() >= MIN_COSINE:
        problems.append(f"the big run's first rows differ from jsonl (worst cosine {cos.min():.9f})")
    rss_mb = rss_kb / 1024
    print(f"million_lines: max RSS {rss_mb:.0f} MB ({'under' if rss_mb < MAX_RSS_MB else 'OVER'} {MAX_RSS_MB} MB)")
    if rss_mb >= MAX_RSS_MB:
        problems.append(f"max RSS {rss_mb:.0f} MB, not under {MAX_RSS_MB} MB")
    if problems:
        print("million_lines: FAILED: " + "; ".join(problems))
        return 1
    print(f"million_lines: npy equals jsonl on the first {len(ref)} lines: yes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
