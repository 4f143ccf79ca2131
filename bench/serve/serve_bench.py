"""Serving benchmark (issue 19): `packformer serve` under C concurrent single-text clients vs
packformer's own offline `embed` of the same texts and vs infinity-emb under the same load.

    bench/serve/run            # 1,000 sentences, 64 and 32 clients, 3 offline passes: docs/benchmarks/serve.{md,json}
    bench/serve/run --quick    # 100 sentences, 1 offline pass: docs/benchmarks/serve-quick.{md,json}

Steps: (1) packformer embed over the texts, timed as bench/compare times it ((1 + n) copies
minus 1 copy), its embeddings kept as the reference; (2) for each server (packformer serve,
infinity-emb v2 with its CPU defaults), start it on a free loopback port, send a warm-up, then
every text once from C clients (each concurrency of --concurrency in turn), then stop it;
(3) check every answer against the reference (cosine), and write the tables."""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
from importlib import metadata

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

import machine_info  # noqa: E402
from loadgen import run_load  # noqa: E402
from servers import offline_pass, start_infinity, start_packformer  # noqa: E402
import report  # noqa: E402

PACKFORMER_MIN_COSINE = 0.99999  # the bar: same engine, same fp32 kernels; only batching differs


def cosines(embeddings: list, reference: np.ndarray) -> np.ndarray:
    """Cosine of each answer with its reference row; NaN where the request failed."""
    out = np.full(len(embeddings), np.nan)
    for i, e in enumerate(embeddings):
        if e is None:
            continue
        v = np.asarray(e, dtype=np.float64)
        r = reference[i].astype(np.float64)
        if v.shape != r.shape:
            out[i] = -1.0
            continue
        out[i] = float(v @ r / (np.linalg.norm(v) * np.linalg.norm(r)))
    return out


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def run_server(name: str, server, args, texts: list[str], reference: np.ndarray, health: str) -> dict:
    print(f"[{name}] starting: {' '.join(server.command)}", flush=True)
    result = dict(engine=name, command=" ".join(server.command), runs=[])
    try:
        result["startup_s"] = server.wait_ready(health, args.startup_timeout)
        url = server.base + args.route
        print(f"[{name}] ready after {result['startup_s']:.1f} s; warm-up {args.warmup} requests", flush=True)
        warm = run_load(url, args.served_name, texts[: args.warmup], min(args.warmup, max(args.concurrency)))
        if warm.ok != len(warm.statuses):
            raise RuntimeError(f"warm-up failed: {warm.errors}")
        for c in args.concurrency:
            load = run_load(url, args.served_name, texts, c)
            row = load.summary()
            cos = cosines(load.embeddings, reference)
            row["worst_cosine"] = float(np.nanmin(cos)) if np.isfinite(cos).any() else None
            row["answered"] = int(np.isfinite(cos).sum())
            result["runs"].append(row)
            print(f"[{name}] {c} clients: {row['sentences_per_s']:.1f} sentences/s, p50 {row['p50_ms']:.1f} ms, "
                  f"p99 {row['p99_ms']:.1f} ms, {row['ok']}/{row['requests']} ok, worst cosine "
                  f"{row['worst_cosine']}, client CPU {row['client_cpu_s']:.2f} s", flush=True)
    except RuntimeError as e:
        result["error"] = str(e)
        print(f"[{name}] FAILED: {e}", flush=True)
    finally:
        result["exit_status"] = server.stop()
        result["log_tail"] = server.tail(8)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 sentences, 1 offline pass, serve-quick.*")
    parser.add_argument("--model", default=str(ROOT / ".cache/models/all-MiniLM-L6-v2"))
    parser.add_argument("--sentences", default=str(ROOT / "bench/compare/data/sentences.txt"))
    parser.add_argument("--count", type=int, help="sentences to send (default 1000; --quick 100)")
    parser.add_argument("--concurrency", default="64,32", help="clients, comma-separated (64 = full load)")
    parser.add_argument("--threads", type=int, default=2, help="compute threads of every engine")
    parser.add_argument("--repeats", type=int, help="offline embed passes (default 3; --quick 1)")
    parser.add_argument("--warmup", type=int, default=64, help="requests sent before the timed runs")
    parser.add_argument("--engines", default="packformer,infinity")
    parser.add_argument("--packformer", default=str(ROOT / "build/packformer"))
    parser.add_argument("--infinity-venv", default=sys.prefix, help="venv with infinity_emb (default: this one)")
    parser.add_argument("--route", default="/embeddings", help="OpenAI-style route both servers answer")
    parser.add_argument("--served-name", default=None, help="the `model` field sent (default: folder path)")
    parser.add_argument("--startup-timeout", type=float, default=600)
    parser.add_argument("--logs", default=str(HERE / ".work" / "logs"), help="where the servers' logs go")
    parser.add_argument("--out", help="output stem (default docs/benchmarks/serve or serve-quick)")
    parser.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.count = args.count or (100 if args.quick else 1000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.served_name = args.served_name or args.model
    out = pathlib.Path(args.out or ROOT / "docs/benchmarks" / ("serve-quick" if args.quick else "serve"))
    engines = args.engines.split(",")

    meta = machine_info.machine()
    meta.update(env=machine_info.thread_env(), command=args.command or "bench/serve/run" + (" --quick" if args.quick else ""),
                threads=args.threads, sentences=args.count, concurrency=args.concurrency,
                offline_repeats=args.repeats, model=machine_info.shown_path(args.model),
                versions={p: version(p) for p in ("infinity-emb", "torch", "sentence-transformers",
                                                  "transformers", "aiohttp", "uvloop")})
    for line in machine_info.describe(meta):
        print(line, flush=True)
    print(f"threads: {args.threads} per engine; clients: {args.concurrency}; versions: "
          + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), flush=True)

    texts = pathlib.Path(args.sentences).read_text(encoding="utf-8").split("\n")[: args.count]
    texts = [t for t in texts if t.strip()]
    print(f"offline: packformer embed, {len(texts)} texts, {args.repeats} timed pass(es)", flush=True)
    seconds, reference = offline_pass(args.packformer, args.model, args.threads, texts, args.repeats)
    offline = dict(seconds=seconds, sentences_per_s=len(texts) / seconds)
    print(f"offline: {seconds:.2f} s per pass, {offline['sentences_per_s']:.1f} sentences/s", flush=True)

    servers = []
    logs = pathlib.Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    if "packformer" in engines:
        servers.append(run_server("packformer serve", start_packformer(
            args.packformer, args.model, args.threads, logs / "packformer.log"), args, texts, reference, "/health"))
    if "infinity" in engines:
        servers.append(run_server("infinity-emb", start_infinity(
            pathlib.Path(args.infinity_venv), args.model, args.threads, logs / "infinity.log"),
            args, texts, reference, "/health"))
    print(f"server logs: {logs}/", flush=True)
    meta["loadavg_end"] = machine_info.load_average()

    results = dict(meta=meta, offline=offline, servers=servers, min_cosine_packformer=PACKFORMER_MIN_COSINE)
    results["verdict"] = report.verdict(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    markdown = report.markdown(results)
    out.with_suffix(".md").write_text(markdown, encoding="utf-8")
    print()
    print(markdown)
    print(f"wrote {out}.md and {out}.json")
    return 0 if results["verdict"]["correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
