#!/usr/bin/env bash
# Issue 19's memory check: `packformer embed` over 1,000,000 short lines with --format npy,
# under /usr/bin/time -v; reports the maximum resident set size (the issue: under 500 MB) and
# the throughput summary, then checks the output: the .npy loads with numpy.load, has one row
# per line, and equals `embed --format jsonl` (float32 after parsing %.9g) on the first lines.
#
#   bench/serve/million_lines.sh                 # 1,000,000 lines (1.5-2 hours on 2 cores)
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
"$PYTHON" "$HERE/check_npy.py" "$npy" "$WORK/head.jsonl" "$WORK/head.npy" "$N" "$rss_kb"
