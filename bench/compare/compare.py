"""Side-by-side benchmark: PyTorch eager, PyTorch's Better Transformer fastpath, ONNX Runtime,
CTranslate2 and packformer's three paths, on the same weights, the same token ids and the
same threads (2 intra-op, 1 inter-op), with every engine's output checked against
transformers in the same run. Run through bench/compare/run (see docs/BENCHMARKS.md).
--dtype bf16|int8 runs the engines that have that precision in it (packformer's --dtype,
CTranslate2's compute_type, ONNX Runtime's quantize_dynamic, PyTorch's bf16 cast or dynamic
int8), beside packformer fp32, each checked against transformers in fp32."""
import argparse
import datetime
import gc
import json
import os
import pathlib
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import engines as E  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOLERANCE = 1e-3
SMALL = ["Hello world", "How are you!"]
ANCHORS = ["torch_eager", "torch_bt", "ort", "ct2"]
ENGINE_ORDER = ["torch_eager", "torch_bt", "ort", "ct2", "pf_slow", "pf_fast", "pf_sparse", "pf_sparse_fp32"]
ENGINE_NAMES = {"torch_eager": "torch eager (transformers)", "torch_bt": "torch BT fastpath (nested tensors)",
                "ort": "ONNX Runtime (optimized)", "ct2": "CTranslate2 Encoder",
                "pf_slow": "packformer slow", "pf_fast": "packformer fast", "pf_sparse": "packformer fast+sparsity",
                "pf_sparse_fp32": "packformer fast+sparsity, fp32"}
PF_KEYS = {("slow", "off"): "pf_slow", ("fast", "off"): "pf_fast", ("fast", "on"): "pf_sparse"}
# A low-precision run times packformer's fast paths in that precision (its slow path is always
# fp32) and its fp32 fast+sparsity path beside them, for the speed-up the precision buys.
PF_KEYS_LOWP = {("fast", "off"): "pf_fast", ("fast", "on"): "pf_sparse"}
# What "within tolerance" means per precision: fp32 hidden states within 1e-3 of transformers;
# bf16 and int8 (the precision issue's bar) by the cosine of mean-pooled embeddings.
MIN_EMBED_COSINE = {"bf16": 0.999, "int8": 0.99}


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- inputs

def war_and_peace():
    return (ROOT / "bench" / "data" / "war_and_peace.txt").read_text(encoding="utf-8").rstrip("\n")


def hf_tokenizer(folder):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(pathlib.Path(folder) / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()  # every input here fits the model; packformer's bench truncates nothing
    return tok


def encode(tok, texts):
    return [e.ids for e in tok.encode_batch(texts, add_special_tokens=True)]


def mt19937_ids(batch, length, vocab):
    """The ids of packformer's `--batch random:BxT`: std::mt19937(0) and libstdc++'s
    uniform_int_distribution<int32_t>(3, vocab - 1) (Lemire's 32-bit downscaling)."""
    bg = np.random.MT19937()
    bg._legacy_seeding(0)
    raw = iter(bg.random_raw(batch * length * 2 + 64).tolist())
    span = vocab - 3
    threshold = ((1 << 32) - span) % span
    out = []
    for _ in range(batch * length):
        product = next(raw) * span
        while (product & 0xFFFFFFFF) < threshold:
            product = next(raw) * span
        out.append(3 + (product >> 32))
    return [out[b * length:(b + 1) * length] for b in range(batch)]


def check_mt19937_ids(work):
    """Compiles a 10-line program against the same libstdc++ and compares its ids with ours."""
    cxx = shutil.which("g++")
    if not cxx:
        return "not checked (no g++)"
    src = work / "mt_ids.cc"
    src.write_text('#include <random>\n#include <cstdio>\nint main(){std::mt19937 r(0);'
                   'std::uniform_int_distribution<int32_t> d(3,30521);'
                   'for(int i=0;i<4096;++i)std::printf("%d\\n",d(r));}\n')
    exe = work / "mt_ids"
    subprocess.run([cxx, "-O1", "-o", str(exe), str(src)], check=True)
    theirs = [int(x) for x in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()]
    ours = sum(mt19937_ids(8, 512, 30522), [])
    if ours != theirs:
        raise SystemExit("random ids differ from packformer's std::mt19937 ids")
    return "identical to packformer's (checked against std::mt19937 + libstdc++)"


def texts_with_lengths(tok, words, lengths, seed):
    """Texts cut from public-domain words whose token count (specials included) is each length."""
    cache = {}
    rng = random.Random(seed)
    pos = rng.randrange(len(words))
    texts = []
    for length in lengths:
        target, n, out = length - 2, 0, []
        while n < target:
            w = words[pos % len(words)]
            pos += 1
            if w not in cache:
                cache[w] = len(tok.encode(w, add_special_tokens=False).ids)
            if n + cache[w] <= target:
                out.append(w)
                n += cache[w]
        texts.append(" ".join(out))
    return texts


def variable_lengths(max_len, batch, seed):
    """One sequence at max_len, the others uniform around a mean that makes the batch mean 0.5 x max."""
    rng = random.Random(seed)
    want_sum = int(round(0.5 * max_len * batch))
    mean_rest = (want_sum - max_len) / (batch - 1)
    rest = [rng.randint(4, int(2 * mean_rest) - 4) for _ in range(batch - 1)]
    i = 0
    while sum(rest) != want_sum - max_len:  # nudge to the exact mean
        step = 1 if sum(rest) < want_sum - max_len else -1
        if 4 <= rest[i % len(rest)] + step <= max_len:
            rest[i % len(rest)] += step
        i += 1
    lengths = [max_len] + rest
    rng.shuffle(lengths)
    return lengths


# ---------------------------------------------------------------------------------- timing

def stats(samples_ms):
    s = sorted(samples_ms)
    return s[len(s) // 2], s[min(len(s) - 1, int(0.9 * len(s)))]


def time_engine(engine, batches, iterations, warmup):
    prepared = [engine.prepare(b) for b in batches]
    for _ in range(warmup):
        for p in prepared[:4] if len(prepared) > 4 else prepared:
            engine.forward(p)
    samples = []
    gc.disable()
    try:
        for _ in range(iterations):
            start = time.perf_counter()
            for p in prepared:
                engine.forward(p)
            samples.append((time.perf_counter() - start) * 1e3)
    finally:
        gc.enable()
    return stats(samples)


def max_abs_diff(outs, refs):
    return max(float(np.max(np.abs(o - r))) if r.size else 0.0 for o, r in zip(outs, refs))


def cosines(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.sum(a * b, axis=-1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-30)


def parity(outs, refs):
    """Max abs diff of the hidden states, and cosines vs the reference: of every token's hidden
    state and of each sequence's mean-pooled embedding (sentence-transformers' mean pooling)."""
    tokens = np.concatenate([cosines(o, r) for o, r in zip(outs, refs)])
    embeds = cosines(np.stack([o.mean(0) for o in outs]), np.stack([r.mean(0) for r in refs]))
    return dict(max_abs_diff=max_abs_diff(outs, refs), token_cos_min=float(tokens.min()),
                token_cos_mean=float(tokens.mean()), embed_cos_min=float(embeds.min()),
                embed_cos_mean=float(embeds.mean()))


# ---------------------------------------------------------------------------------- plan

def plan(mode, with_xlmr):
    """Workloads per model. Iterations are the same for every engine of a workload."""
    quick = mode in ("quick", "smoke")
    smoke = mode == "smoke"  # plumbing check only: tiny inputs, one run
    models = []

    def its(padded_tokens):
        if smoke:
            return (1, 0)
        if quick:
            return (3, 1)
        return (5, 1) if padded_tokens <= 1024 else (3, 1) if padded_tokens <= 4096 else (2, 1)

    if with_xlmr:
        models.append(("xlmr-large", [("tutorial", "small", (3, 1)), ("tutorial", "big", (3, 1))]))
    t_its = (1, 0) if smoke else (5, 1) if quick else (20, 3)
    mini = [("tutorial", "small", t_its), ("tutorial", "big", t_its)]
    bs = [8] if smoke else [1, 8, 64] if quick else [1, 2, 4, 8, 16, 32, 64]
    for order in ("unsorted", "sorted"):
        for b in bs:
            mini.append(("sentences", (b, order), (1, 1)))
    models.append(("all-MiniLM-L6-v2", mini))
    bert = []
    grid_b = [1] if smoke else [1, 8] if quick else [1, 8, 32]
    grid_t = [32] if smoke else [32, 128] if quick else [32, 128, 384]
    for t in grid_t:
        for b in grid_b:
            bert.append(("fixed", (b, t), its(b * t)))
    for m in ([128] if quick else [128, 512]):
        for b in [8] if smoke else [8, 32]:
            bert.append(("variable", (m, b), its(m * b)))
    models.append(("bert-base", bert))
    return models


def prepare_model_folder(name, pf, work):
    if name == "all-MiniLM-L6-v2":
        folder = ROOT / ".cache" / "models" / "all-MiniLM-L6-v2"
        if not (folder / "model.safetensors").exists():
            raise SystemExit(f"{folder}: missing; run scripts/setup")
        return folder
    arch, tokenizer = {"xlmr-large": ("xlmr-large", "tests/data/tokenizer/unigram/tokenizer.json"),
                       "bert-base": ("bert-base", "tests/data/tokenizer/minilm/tokenizer.json")}[name]
    folder = work / "models" / name
    if not (folder / "model.safetensors").exists():
        # The tokenizer without its truncation/padding settings (MiniLM's file cuts at 128).
        spec = json.loads((ROOT / tokenizer).read_text(encoding="utf-8"))
        spec["truncation"] = spec["padding"] = None
        (work / "tokenizers" / name).mkdir(parents=True, exist_ok=True)
        plain = work / "tokenizers" / name / "tokenizer.json"
        plain.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        log(f"synth {name} -> {folder}")
        pf.run(["synth", "--arch", arch, "--out", str(folder), "--tokenizer", str(plain)])
    return folder


# ---------------------------------------------------------------------------------- run

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["smoke", "quick", "full"], default="quick")
    ap.add_argument("--xlmr", action="store_true", help="include xlmr-large (always in full mode)")
    ap.add_argument("--models", default="", help="comma-separated subset of models")
    ap.add_argument("--engines", default="", help="comma-separated subset of python engines")
    ap.add_argument("--dtype", choices=["fp32", "bf16", "int8"], default="fp32",
                    help="every engine's precision where it has it (the reference stays fp32 transformers)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks"))
    ap.add_argument("--command", default="")
    args = ap.parse_args()

    torch.set_num_threads(E.THREADS)
    torch.set_num_interop_threads(1)
    work = HERE / ".work"
    (work / "data").mkdir(parents=True, exist_ok=True)
    binary = pathlib.Path(os.environ.get("PACKFORMER_BIN", ROOT / "build" / "packformer"))
    pf = E.Packformer(binary, args.dtype)
    pf_fp32 = E.Packformer(binary)
    lowp = args.dtype != "fp32"
    pf_keys = PF_KEYS_LOWP if lowp else PF_KEYS
    started = time.time()

    results = {"meta": meta(args, binary), "workloads": [], "parity": [], "notes": []}
    results["meta"]["random_ids"] = check_mt19937_ids(work)
    words = (HERE / "data" / "public_domain.txt").read_text(encoding="utf-8").split()
    sentences = (HERE / "data" / "sentences.txt").read_text(encoding="utf-8").splitlines()
    if args.mode != "full":
        sentences = sentences[:24 if args.mode == "smoke" else 200]

    engine_classes = [E.TorchEager, E.TorchBetterTransformer, E.OnnxRuntime, E.CTranslate2]
    if args.engines:
        engine_classes = [c for c in engine_classes if c.key in args.engines.split(",")]
    for cls in engine_classes:
        if args.dtype not in cls.DTYPES:
            results["notes"].append(f"{cls.name}: no {args.dtype} (has {', '.join(cls.DTYPES)}), not run")
    engine_classes = [c for c in engine_classes if args.dtype in c.DTYPES]
    for cls in list(engine_classes):
        why = getattr(cls, "unsupported", lambda dtype: None)(args.dtype)
        if why:
            results["notes"].append(f"{cls.name}: {why}, not run")
            engine_classes.remove(cls)

    for model_name, workloads in plan(args.mode, args.mode == "full" or args.xlmr):
        if args.models and model_name not in args.models.split(","):
            continue
        folder = prepare_model_folder(model_name, pf, work)
        log(f"model {model_name}: loading transformers reference")
        model = E.Model(model_name, folder, work)
        tok = hf_tokenizer(folder)
        vocab = model.config.vocab_size

        # The inputs of every workload, as token ids, plus what packformer's bench is given.
        items = []
        for kind, param, (iterations, warmup) in workloads:
            item = {"model": model_name, "kind": kind, "param": param, "iterations": iterations, "warmup": warmup}
            if kind == "tutorial":
                texts = SMALL if param == "small" else SMALL + [war_and_peace()]
                item.update(title=f"{model_name}, tutorial {param} batch", batches=[encode(tok, texts)],
                            pf_batch=param, texts=texts)
            elif kind == "fixed":
                b, t = param
                item.update(title=f"{model_name}, fixed batch {b} x length {t}", batches=[mt19937_ids(b, t, vocab)],
                            pf_batch=f"random:{b}x{t}")
            elif kind == "variable":
                m, b = param
                texts = texts_with_lengths(tok, words, variable_lengths(m, b, m * 1000 + b), m * 1000 + b)
                path = work / "data" / f"variable_{m}_{b}.txt"
                path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
                item.update(title=f"{model_name}, variable lengths: max {m}, batch {b}", batches=[encode(tok, texts)],
                            pf_batch=str(path), texts=texts)
            elif kind == "sentences":
                b, order = param
                ids = encode(tok, sentences)
                if order == "sorted":
                    ids = sorted(ids, key=len)
                item.update(title=f"{model_name}, {len(ids)} sentences, batch {b}, {order}",
                            batches=[ids[i:i + b] for i in range(0, len(ids), b)])
            item["tokens"] = sum(len(s) for bt in item["batches"] for s in bt)
            item["padded_tokens"] = sum(len(bt) * max(len(s) for s in bt) for bt in item["batches"])
            item["rows"] = {}
            items.append(item)

        # packformer must see the same ids: compare its tokenizer with HF's on every text input.
        for item in items:
            if "texts" in item and all("\n" not in t for t in item["texts"]):
                if pf.tokenize(folder, item["texts"]) != item["batches"][0]:
                    raise SystemExit(f"{item['title']}: packformer's token ids differ from tokenizers'")

        # The parity input: mixed lengths, so padding and packing both matter.
        if model_name == "all-MiniLM-L6-v2":
            parity_batch = encode(tok, sentences[:16])
        elif model_name == "xlmr-large":
            parity_batch = items[-1]["batches"][0]  # the tutorial big batch
        else:
            parity_batch = encode(tok, texts_with_lengths(tok, words, [5, 64, 17, 128, 33, 2, 90, 41], 7))
        reference = model.reference(parity_batch)
        parity_desc = f"{len(parity_batch)} sequences of {min(map(len, parity_batch))}..{max(map(len, parity_batch))} tokens"

        # Python engines, one at a time (xlmr-large copies are 2+ GB each).
        for cls in engine_classes:
            log(f"model {model_name}: {cls.name}: building")
            t0 = time.time()
            engine = cls(model, args.dtype)
            build_s = time.time() - t0
            check = parity(engine.hidden(parity_batch), reference)
            extra = {}
            if cls is E.OnnxRuntime:
                extra["fusions"] = engine.fusions
            if cls is E.TorchBetterTransformer:
                extra["nested_tensor"] = engine.nested
                if engine.why_not:
                    extra["why_not_fastpath"] = engine.why_not
            results["parity"].append(dict(model=model_name, engine=cls.key, **check, input=parity_desc,
                                          build_s=round(build_s, 1), **extra))
            log(f"model {model_name}: {cls.name}: parity max abs diff {check['max_abs_diff']:.2e}, "
                f"embedding cosine >= {check['embed_cos_min']:.6f}")
            for item in items:
                median, p90 = time_engine(engine, item["batches"], item["iterations"], item["warmup"])
                item["rows"][cls.key] = dict(median_ms=median, p90_ms=p90)
                log(f"  {item['title']}: {cls.key} {median:.1f} ms")
            engine.close()
            del engine
            gc.collect()

        # packformer: parity of its paths, then timing.
        for (path, sparsity), key in pf_keys.items():
            check = parity(pf.hidden(folder, parity_batch, path, sparsity), reference)
            results["parity"].append(dict(model=model_name, engine=key, **check, input=parity_desc))
            log(f"model {model_name}: {key}: parity max abs diff {check['max_abs_diff']:.2e}, "
                f"embedding cosine >= {check['embed_cos_min']:.6f}")
        if model_name == "all-MiniLM-L6-v2":
            # embed: mean pooling + L2 normalisation, as sentence-transformers does.
            ref = np.stack([r.mean(0) for r in reference])
            ref /= np.linalg.norm(ref, axis=1, keepdims=True)
            emb = pf.embed(folder, parity_batch, "fast", "on")
            results["parity"].append(dict(model=model_name, engine="pf_sparse (embed)",
                                          max_abs_diff=float(np.max(np.abs(emb - ref))),
                                          embed_cos_min=float(cosines(emb, ref).min()),
                                          embed_cos_mean=float(cosines(emb, ref).mean()), input=parity_desc))
        runs = [(pf, pf_keys)] + ([(pf_fp32, {("fast", "on"): "pf_sparse_fp32"})] if lowp else [])
        for item in items:
            for engine, keys in runs:
                if item["kind"] == "sentences":
                    time_packformer_file(engine, folder, item, work, keys)
                    continue
                for row in engine.bench(folder, item["pf_batch"], item["iterations"], item["warmup"]):
                    key = keys.get((row["path"], row["sparsity"]))
                    if key is None:
                        continue
                    if row["tokens"] != item["tokens"]:
                        raise SystemExit(f"{item['title']}: packformer timed {row['tokens']} tokens, "
                                         f"the other engines {item['tokens']}")
                    item["rows"][key] = dict(median_ms=row["median_ms"], p90_ms=row["p90_ms"])
            log(f"  {item['title']}: packformer " + ", ".join(
                f"{k} {v['median_ms']:.1f} ms" for k, v in item["rows"].items() if k.startswith("pf_")))

        for item in items:
            item.pop("batches")
            item.pop("texts", None)
            item.pop("pf_batch", None)
            results["workloads"].append(item)
        del model
        gc.collect()
        # Written after every model, so that a run cut short still leaves its tables.
        results["meta"]["wall_minutes"] = round((time.time() - started) / 60, 1)
        results["meta"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        import report

        report.write(results, pathlib.Path(args.out), args.mode if not lowp else f"{args.mode}-{args.dtype}")


def time_packformer_file(pf, folder, item, work, keys):
    """packformer runs a whole file through `embed --ids --batch-size B`. One pass's time is
    the wall time of (1 + n) passes minus that of 1 pass, so process start, model load and
    the warm-up pass cancel out."""
    batches = item["batches"]
    one = work / "data" / "sentences_1.ids"
    many = work / "data" / "sentences_n.ids"
    n = item["iterations"]
    E.write_ids(one, batches)
    E.write_ids(many, batches * (1 + n))
    b = max(len(bt) for bt in batches)
    for (path, sparsity), key in keys.items():
        t1 = pf.embed_file_seconds(folder, one, b, path, sparsity)
        tn = pf.embed_file_seconds(folder, many, b, path, sparsity)
        ms = max(tn - t1, 1e-6) / n * 1e3
        item["rows"][key] = dict(median_ms=ms, p90_ms=None)


def meta(args, binary):
    import ctranslate2
    import onnxruntime
    import transformers

    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    flags = open("/proc/cpuinfo").read()
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_bf16",
                       "amx_int8") if f" {f}" in flags]
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True,
                                text=True).stdout.strip()[:80]
    except OSError:
        commit = "?"
    return dict(date=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), mode=args.mode, dtype=args.dtype,
                command=args.command or f"bench/compare/run --{args.mode}",
                cpu=f"{cpu}, {os.cpu_count()} cores ({', '.join(isa)})",
                memory_gb=round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
                threads="2 intra-op, 1 inter-op for every engine",
                loadavg_start=open("/proc/loadavg").read().split()[:3],
                python=platform.python_version(), torch=torch.__version__, transformers=transformers.__version__,
                onnxruntime=onnxruntime.__version__, ctranslate2=ctranslate2.__version__,
                packformer=f"{binary} (built from {os.environ.get('PACKFORMER_COMMIT', commit)})")


if __name__ == "__main__":
    main()
