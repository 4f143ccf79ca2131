#!/usr/bin/env bash
# Issue 19's memory check: `packformer embed` over 1,000,000 short lines with --format npy,
# under /usr/bin/time -v; reports the maximum resident set size (the issue: under 500 MB) and
# the throughput summary, then checks the output: the .npy loads with numpy.load, has one row
# per line, and equals `embed --format jsonl` (float32 after parsing %.9g) on the first lines.
#
#   bench/serve/million_lines.sh                 # 1,000,000 lines (about an hour on 2 cores)
#   bench/serve/million_lines.sh 20000           # a shorter run
# Environment: PACKFORMER_BIN (build/packformer), MODEL (.cache/models/all-MiniLM-L6-v2),
#   THREADS (2), CHECK_LINES (1024: lines compared with jsonl), WORK (bench/serve/.work/lines),
#   PYTHON (with numpy; default .cache/pyenv/bin/python, else python3).
# Writes WORK/lines-N.txt, WORK/embed-N.npy (N x 384 float32: 1.5 GB for a million) and
# WORK/time-N.log; remove WORK afterwards.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
N=${1:-1000000}
BIN=${PACKFORMER_BIN:-$ROOT/build/packformer}
MODEL=${MODEL:-$ROOT/.cache/models/all-MiniLM-L6-v2}
THREADS=${THREADS:-2}
CHECK_LINES=${CHECK_LINES:-1024}
WORK=${WORK:-$HERE/.work/lines}
PYTHON=${PYTHON:-$ROOT/.cache/pyenv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
[ -x /usr/bin/time ] || { echo "million_lines: /usr/bin/time missing (Debian package: time)" >&2; exit 1; }
[ "$CHECK_LINES" -le "$N" ] || CHECK_LINES=$N
mkdir -p "$WORK"
lines="$WORK/lines-$N.txt"
npy="$WORK/embed-$N.npy"
timelog="$WORK/time-$N.log"

# Short lines (3-12 words), each different: the line number, then words cut from the
# benchmark sentences in turn. Deterministic (awk, no randomness).
awk -v n="$N" '
  { for (i = 1; i <= NF; ++i) words[nw++] = $i }
  END {
    for (l = 0; l < n; ++l) {
      k = 3 + (l * 7) % 10
      line = "line " l ":"
      for (j = 0; j < k; ++j) line = line " " words[(l * 13 + j) % nw]
      print line
    }
  }' "$ROOT/bench/compare/data/sentences.txt" > "$lines"
echo "million_lines: $(wc -l < "$lines") lines, $(du -h "$lines" | cut -f1) in $lines"
echo "million_lines: load average $(cut -d' ' -f1-3 /proc/loadavg) at start; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"

/usr/bin/time -v "$BIN" embed --model "$MODEL" --threads "$THREADS" --input "$lines" --output "$npy" \
  --format npy --verbose 2> "$timelog"
grep -v -E '^\s' "$timelog" | tail -5 || true
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$timelog")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$timelog")
echo "million_lines: $N lines in $wall (wall); maximum resident set size $((rss_kb / 1024)) MB ($rss_kb kB)"
echo "million_lines: load average $(cut -d' ' -f1-3 /proc/loadavg) at end"

# The same first lines as jsonl, and as npy in a run of their own: the formats must agree
# exactly (the jsonl's %.9g round-trips float32); the big run's first rows must match them.
head -n "$CHECK_LINES" "$lines" > "$WORK/head.txt"
"$BIN" embed --model "$MODEL" --threads "$THREADS" --input "$WORK/head.txt" --output "$WORK/head.jsonl"
"$BIN" embed --model "$MODEL" --threads "$THREADS" --input "$WORK/head.txt" --output "$WORK/head.npy" --format npy
"$PYTHON" - "$npy" "$WORK/head.jsonl" "$WORK/head.npy" "$N" "$rss_kb" <<'EOF'
import json, sys
import numpy as np
big_path, jsonl_path, head_path, n, rss_kb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
big = np.load(big_path, mmap_mode="r")
head = np.load(head_path)
with open(jsonl_path) as f:
    ref = np.array([json.loads(line) for line in f], dtype=np.float32)
problems = []
if big.dtype != np.float32 or big.ndim != 2 or big.shape[0] != n:
    problems.append(f"{big_path}: dtype {big.dtype}, shape {big.shape}; expected float32 [{n}, dim]")
if not np.array_equal(head, ref):
    problems.append(f"npy and jsonl of the same {len(ref)} lines differ: max |diff| {np.abs(head - ref).max():.3g}")
first = np.asarray(big[: len(ref)], dtype=np.float64)
r = ref.astype(np.float64)
cos = (first * r).sum(1) / (np.linalg.norm(first, axis=1) * np.linalg.norm(r, axis=1))
print(f"million_lines: npy [{big.shape[0]}, {big.shape[1]}] {big.dtype}; the big run's first {len(ref)} rows vs "
      f"jsonl: max |diff| {np.abs(first - r).max():.3g}, worst cosine {cos.min():.7f}")
if cos.min() < 0.99999:
    problems.append(f"the big run's first rows differ from jsonl (worst cosine {cos.min():.7f})")
print(f"million_lines: max RSS {rss_kb / 1024:.0f} MB ({'under' if rss_kb < 500 * 1024 else 'OVER'} 500 MB)")
if problems:
    print("million_lines: FAILED: " + "; ".join(problems))
    sys.exit(1)
print(f"million_lines: npy equals jsonl on the first {len(ref)} lines: yes")
EOF
