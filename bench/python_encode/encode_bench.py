"""Python encode benchmark (issue 20): `packformer.Encoder(...).encode(sentences, batch_size=32)`
vs sentence-transformers' `SentenceTransformer(folder).encode` with backend="torch" and
backend="onnx", same model, same sentences, same threads.

    bench/python_encode/run            # 1,000 sentences, median of 5 passes: docs/benchmarks/python_encode.{md,json}
    bench/python_encode/run --quick    # 100 sentences, 1 pass: docs/benchmarks/python_encode-quick.{md,json}

Each engine runs in a process of its own (`--engine NAME`), so no two runtimes' thread pools
(OpenMP in packformer and torch, ORT's own) share a process: load, one warm-up pass, then
--repeats timed whole passes of encode(sentences, batch_size); it writes its embeddings and
times. The parent compares every engine's embeddings with sentence-transformers torch's
(cosine per sentence) and writes the tables. The ONNX model is exported once, offline, from the
local folder (sentence-transformers exports on first load) into bench/python_encode/.work/."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

import machine_info  # noqa: E402

ENGINES = {"packformer": "packformer Encoder.encode",
           "st_torch": "sentence-transformers, backend=torch",
           "st_onnx": "sentence-transformers, backend=onnx (ORT CPU)"}
REFERENCE = "st_torch"
MIN_COSINE = 0.99999  # issue 20's bar for packformer vs sentence-transformers (same fp32 model)


def onnx_folder(model: str, work: pathlib.Path) -> pathlib.Path:
    """A copy of the model folder with onnx/model.onnx, exported once (later runs reuse it)."""
    folder = work / (pathlib.Path(model).name + "-onnx")
    if (folder / "onnx" / "model.onnx").exists():
        return folder
    from sentence_transformers import SentenceTransformer

    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(model, tmp, symlinks=False)
    print(f"exporting ONNX from {model} (once) ...", file=sys.stderr, flush=True)
    SentenceTransformer(str(tmp), backend="onnx", device="cpu").save_pretrained(str(tmp))
    if not (tmp / "onnx" / "model.onnx").exists():
        raise RuntimeError(f"sentence-transformers' export wrote no {tmp}/onnx/model.onnx")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def ort_threads(st) -> str:
    """The intra-op thread count the ONNX backend's session really got (checks that the
    session options reached it)."""
    model = st[0].auto_model
    for name in ("session", "model"):
        session = getattr(model, name, None)
        if session is not None and hasattr(session, "get_session_options"):
            return str(session.get_session_options().intra_op_num_threads)
    return "unknown"


def load_engine(name: str, model: str, threads: int, work: pathlib.Path):
    """The engine's encode function, threads fixed to `threads` intra-op, 1 inter-op."""
    if name == "packformer":
        import packformer

        encoder = packformer.Encoder(model, threads=threads)
        return (lambda texts, b: encoder.encode(texts, batch_size=b),
                f"{packformer.__file__}, threads per session {encoder.info['threads_per_session']}")
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    from sentence_transformers import SentenceTransformer

    if name == "st_torch":
        st = SentenceTransformer(model, backend="torch", device="cpu")
        return (lambda texts, b: st.encode(texts, batch_size=b, convert_to_numpy=True),
                f"torch intra-op threads {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}")
    if name == "st_onnx":
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        folder = onnx_folder(model, work)
        st = SentenceTransformer(str(folder), backend="onnx", device="cpu",
                                 model_kwargs={"provider": "CPUExecutionProvider", "session_options": options})
        return (lambda texts, b: st.encode(texts, batch_size=b, convert_to_numpy=True),
                f"{folder}/onnx/model.onnx, ORT intra-op threads {ort_threads(st)}")
    raise ValueError(f"unknown engine {name!r}: expected one of {', '.join(ENGINES)}")


def child(args) -> None:
    """One engine: load, warm up, time --repeats passes; write embeddings (.npy) and times (.json)."""
    texts = read_texts(args)
    start = time.perf_counter()
    encode, detail = load_engine(args.engine, args.model, args.threads, pathlib.Path(args.work))
    load_s = time.perf_counter() - start
    embeddings = encode(texts, args.batch_size)  # warm-up pass; its output is the one compared
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        encode(texts, args.batch_size)
        times.append(time.perf_counter() - start)
    np.save(args.result + ".npy", np.asarray(embeddings, dtype=np.float32))
    pathlib.Path(args.result + ".json").write_text(json.dumps(dict(load_s=load_s, times_s=times, detail=detail)))


def read_texts(args) -> list[str]:
    lines = pathlib.Path(args.sentences).read_text(encoding="utf-8").split("\n")
    return [t for t in lines if t.strip()][: args.count]


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def run_engine(name: str, args, tmp: pathlib.Path) -> dict:
    result = str(tmp / name)
    command = [sys.executable, __file__, "--engine", name, "--result", result, "--model", args.model,
               "--sentences", args.sentences, "--count", str(args.count), "--threads", str(args.threads),
               "--repeats", str(args.repeats), "--batch-size", str(args.batch_size), "--work", args.work]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [args.packformer_python,
                                                                      os.environ.get("PYTHONPATH")])),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    print(f"[{name}] {ENGINES[name]} ...", flush=True)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return dict(engine=name, error=(done.stderr.strip().splitlines() or ["?"])[-1])
    timing = json.loads(pathlib.Path(result + ".json").read_text())
    median = statistics.median(timing["times_s"])
    row = dict(engine=name, label=ENGINES[name], median_s=median, times_s=timing["times_s"],
               load_s=timing["load_s"], detail=timing["detail"], sentences_per_s=args.count / median,
               embeddings=np.load(result + ".npy"))
    print(f"[{name}] median {median * 1e3:.1f} ms of {[round(t * 1e3, 1) for t in timing['times_s']]}; "
          f"{timing['detail']}", flush=True)
    return row


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def markdown(results: dict) -> str:
    m = results["meta"]
    v = ", ".join(f"{k} {val}" for k, val in m["versions"].items())
    lines = [
        f"- command: `{m['command']}` ({m['date']})",
        f"- machine: {m['cpu']}, {m['cores']} cores ({', '.join(m['flags'])}), {m['memory_gb']} GB; "
        f"load average {' '.join(m['loadavg_start'])} at start, {' '.join(m['loadavg_end'])} at end",
        f"- thread settings from the environment: {m.get('env') or 'none (defaults)'}",
        f"- packformer {m['commit']}; Python {m['python']}; {v}",
        f"- model {m['model']}; {m['sentences']} sentences (bench/compare/data/sentences.txt), "
        f"encode(sentences, batch_size={m['batch_size']}); {m['threads']} intra-op threads, 1 inter-op, each "
        f"engine in its own process; median of {m['repeats']} whole pass(es) after one warm-up pass",
        "",
        "| engine | median ms per pass | sentences/s | packformer speed-up | worst cosine vs ST torch "
        "| mean cosine | load s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    pf = next((r for r in results["engines"] if r["engine"] == "packformer" and "error" not in r), None)
    for r in results["engines"]:
        if "error" in r:
            lines.append(f"| {ENGINES[r['engine']]} | failed: {r['error'][:150]} | | | | | |")
            continue
        speedup = f"{r['median_s'] / pf['median_s']:.2f}x" if pf else "-"
        lines.append(f"| {r['label']} | {r['median_s'] * 1e3:.1f} | {r['sentences_per_s']:.1f} | {speedup} | "
                     f"{r.get('worst_cosine', float('nan')):.12f} | {r.get('mean_cosine', float('nan')):.12f} | "
                     f"{r['load_s']:.1f} |")
    lines.append("")
    for r in results["engines"]:
        if "detail" in r:
            lines.append(f"- {r['label']}: {r['detail']}")
    if "speedup_vs_fastest_st" in results:
        lines.append(f"- packformer / the faster sentence-transformers backend ({results['fastest_st']}): "
                     f"**{results['speedup_vs_fastest_st']:.2f}x** (issue 20's target: >= 2x)")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 sentences, 1 timed pass, python_encode-quick.*")
    parser.add_argument("--model", default=str(ROOT / ".cache/models/all-MiniLM-L6-v2"))
    parser.add_argument("--sentences", default=str(ROOT / "bench/compare/data/sentences.txt"))
    parser.add_argument("--count", type=int, help="sentences (default 1000; --quick 100)")
    parser.add_argument("--repeats", type=int, help="timed passes after the warm-up (default 5; --quick 1)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--packformer-python", default=str(ROOT / "build/python"),
                        help="folder holding the built packformer package (build/python)")
    parser.add_argument("--work", default=str(HERE / ".work"), help="where the exported ONNX folder is kept")
    parser.add_argument("--out", help="output stem (default docs/benchmarks/python_encode[-quick])")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--command", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.count = args.count or (100 if args.quick else 1000)
    args.repeats = args.repeats or (1 if args.quick else 5)
    if args.engine:
        child(args)
        return 0

    meta = machine_info.machine()
    meta.update(env=machine_info.thread_env(), command=args.command or "bench/python_encode/run" + (" --quick" if args.quick else ""),
                threads=args.threads, sentences=args.count, repeats=args.repeats, batch_size=args.batch_size,
                model=machine_info.shown_path(args.model), versions={p: version(p) for p in (
                    "sentence-transformers", "torch", "transformers", "onnxruntime", "optimum", "optimum-onnx",
                    "numpy")})
    for line in machine_info.describe(meta):
        print(line, flush=True)
    print(f"threads: {args.threads} intra-op, 1 inter-op per engine; versions: "
          + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), flush=True)
    pathlib.Path(args.work).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pf-encode-bench-") as tmp:
        rows = [run_engine(name, args, pathlib.Path(tmp)) for name in args.engines.split(",")]
    meta["loadavg_end"] = machine_info.load_average()

    ref = next((r for r in rows if r["engine"] == REFERENCE and "error" not in r), None)
    for r in rows:
        if "error" not in r and ref is not None:
            cos = cosine_rows(r["embeddings"], ref["embeddings"])
            r["worst_cosine"], r["mean_cosine"] = float(cos.min()), float(cos.mean())
    for r in rows:
        r.pop("embeddings", None)
    results = dict(meta=meta, engines=rows)
    pf = next((r for r in rows if r["engine"] == "packformer" and "error" not in r), None)
    st = [r for r in rows if r["engine"] != "packformer" and "error" not in r]
    if pf and st:
        fastest = min(st, key=lambda r: r["median_s"])
        results["fastest_st"] = fastest["label"]
        results["speedup_vs_fastest_st"] = fastest["median_s"] / pf["median_s"]
    out = pathlib.Path(args.out or ROOT / "docs/benchmarks" / ("python_encode-quick" if args.quick else "python_encode"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    text = markdown(results)
    out.with_suffix(".md").write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"wrote {out}.md and {out}.json")
    failed = [r["engine"] for r in rows if "error" in r]
    if pf and pf.get("worst_cosine", 1.0) < MIN_COSINE:
        print(f"FAILED: packformer's worst cosine vs sentence-transformers torch is {pf['worst_cosine']:.9f} "
              f"(< {MIN_COSINE})")
        failed.append("packformer cosine")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
