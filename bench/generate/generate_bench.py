"""Generation benchmark: transformers `generate`, CTranslate2 (Generator / Translator) and
packformer on the same random-weight models, the same prompts and the same threads, in one run.

    bench/generate/run            full run: docs/benchmarks/generate.{md,json}
    bench/generate/run --quick    harness check: bench/generate/.work/generate-quick.{md,json}
    bench/generate/run --models qwen2-0.5b    Qwen2-0.5B rows: docs/benchmarks/generate-qwen2-0.5b.{md,json}

Full mode: 64 new tokens, 1 warm-up + 3 timed calls per engine and row (3, not 5: a 64-token
call lasts seconds, and 5 would bring a run near 30 minutes), and the same again with 1 new
token for the time to first token. Expected duration on 2 idle cores: about 10 minutes, plus
about 2 minutes the first time (models written, CTranslate2 conversions; kept in
bench/generate/.work/). Not yet measured on an idle machine: the quick runs so far were on a
busy one (load average 7-8 on 2 cores), where the scaled estimate was about 33 minutes.
Quick mode (8 new tokens, no warm-up, 1 timed call; about 2 minutes) only checks that every
engine runs and agrees; its numbers mean nothing, and at its end it prints the full run's
estimate scaled from its own calls (too long when the machine is busy). A busy machine
(load average above half the cores at the start) is reported in the log and the report.
`--quick --new-tokens 64` checks agreement at the full length (one call per engine and row).

Models (random weights, seeded; geometry of the real ones):
  gpt2-small   GPT2LMHeadModel, 124M: 12 layers, 768 hidden, 12 heads, vocab 50257
  marian-base  MarianMTModel: 6+6 layers, 512 hidden, 8 heads, FFN 2048, vocab 58101, swish
  qwen2-0.5b   Qwen2ForCausalLM, 494M (Qwen/Qwen2-0.5B's config.json): 24 layers, 896 hidden,
               14 heads, 2 key/value heads, FFN 4864, vocab 151936, tied embeddings,
               rope_theta 1e6, q/k/v biases; not in the default --models (its full run is long)

Precisions: every model runs fp32 in the three engines. Qwen2 adds low-precision rows of
CTranslate2 and packformer side by side: int8 (CTranslate2 compute_type "int8", packformer
--dtype int8) and bf16 ("bfloat16" / --dtype bf16) when CTranslate2 supports it on this CPU
(get_supported_compute_types). transformers' fp32 tokens are the reference of every row: fp32
rows must equal them (the run fails otherwise); low-precision rows report their agreement.

Rows: batch 1 and 8 x greedy and beam 4, 64 new tokens. EOS never ends a sequence, so every
engine generates exactly 64 tokens per sequence: transformers through min_new_tokens, CTranslate2
through min_length / min_decoding_length, packformer with no EOS id and EOS banned (plus the
folder's bad tokens: Marian's <pad>, which CTranslate2's converter drops from its vocabulary);
Marian's final_logits_bias[eos] is -1e4 as well. The run checks the lengths, and compares each
engine's best sequence with transformers' (sequences equal, and tokens equal up to the first
difference; the run fails when an fp32 engine's sequences differ). Every engine gets the same
ids, 2 intra-op threads and 1 inter-op thread.
Metrics: new tokens per second over the whole call (prefill / encoder included; median of the
timed calls) and time to first token = the median time of the same call with 1 new token.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
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

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
THREADS = 2
NEW_TOKENS = 64
SEED = 1234
DONE = ".complete"  # a model folder is written completely before it is used


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ models

def make_gpt2(folder: pathlib.Path):
    from transformers import GPT2Config, GPT2LMHeadModel
    if not (folder / DONE).exists():
        torch.manual_seed(SEED)
        cfg = GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                         bos_token_id=50256, eos_token_id=50256)
        GPT2LMHeadModel(cfg).save_pretrained(folder)
        write_byte_level_vocab(folder, cfg.vocab_size, eos="<|endoftext|>")
        (folder / DONE).write_text("")
    return GPT2LMHeadModel.from_pretrained(folder, attn_implementation="sdpa").eval()


def make_marian(folder: pathlib.Path):
    from transformers import MarianConfig, MarianMTModel
    if not (folder / DONE).exists():
        torch.manual_seed(SEED)
        vocab = 58101
        cfg = MarianConfig(vocab_size=vocab, d_model=512, encoder_layers=6, decoder_layers=6,
                           encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048,
                           decoder_ffn_dim=2048, activation_function="swish", scale_embedding=True,
                           max_position_embeddings=512, pad_token_id=vocab - 1, eos_token_id=0,
                           decoder_start_token_id=vocab - 1, forced_eos_token_id=None)
        model = MarianMTModel(cfg)
        with torch.no_grad():
            model.final_logits_bias[0, cfg.eos_token_id] = -1e4
        # As the real opus-mt folders: <pad> (the decoder start) is never generated.
        model.generation_config.bad_words_ids = [[cfg.pad_token_id]]
        model.save_pretrained(folder)
        write_marian_vocab(folder, vocab)
        (folder / DONE).write_text("")
    return MarianMTModel.from_pretrained(folder, attn_implementation="sdpa").eval()


def make_qwen2(folder: pathlib.Path):
    from transformers import Qwen2Config, Qwen2ForCausalLM
    if not (folder / DONE).exists():
        torch.manual_seed(SEED)
        # Qwen/Qwen2-0.5B's config.json (sliding window off, so transformers writes it as null).
        eos = 151643
        cfg = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                          num_attention_heads=14, num_key_value_heads=2, hidden_act="silu",
                          max_position_embeddings=131072, rope_theta=1e6, rms_norm_eps=1e-6,
                          tie_word_embeddings=True, use_sliding_window=False, sliding_window=131072,
                          max_window_layers=24, bos_token_id=eos, eos_token_id=eos)
        Qwen2ForCausalLM(cfg).save_pretrained(folder)
        write_byte_level_vocab(folder, cfg.vocab_size, eos="<|endoftext|>", eos_id=eos)
        (folder / DONE).write_text("")
    return Qwen2ForCausalLM.from_pretrained(folder, attn_implementation="sdpa", dtype=torch.float32).eval()


MODELS = {"gpt2-small": make_gpt2, "marian-base": make_marian, "qwen2-0.5b": make_qwen2}
DECODERS = ("gpt2-small", "qwen2-0.5b")  # decoder-only: left-padded in transformers, CTranslate2 Generator
# Low-precision rows beside fp32: (packformer --dtype, CTranslate2 compute_type).
LOW_PRECISIONS = {"qwen2-0.5b": [("int8", "int8"), ("bf16", "bfloat16")]}


def write_byte_level_vocab(folder, size, eos, eos_id=None):
    """A byte-level BPE tokenizer.json with `size` pieces (256 bytes + filler pieces + eos at
    eos_id, default the last id), so CTranslate2's converter finds a vocabulary of the model's
    size and its EOS token at the model's id. Engines get ids, not text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel
    eos_id = size - 1 if eos_id is None else eos_id
    vocab = {ch: i for i, ch in enumerate(sorted(ByteLevel.alphabet()))}
    assert len(vocab) <= eos_id < size, "EOS must follow the byte pieces"
    while len(vocab) < size:
        vocab[eos if len(vocab) == eos_id else f"<unused_{len(vocab)}>"] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([eos])
    tok.save(str(folder / "tokenizer.json"))


def write_marian_vocab(folder, size):
    """vocab.json of `size` pieces plus two tiny sentencepiece models, as MarianTokenizer (and
    so CTranslate2's converter) needs. Engines get ids, not text."""
    import sentencepiece as spm
    vocab = {"</s>": 0, "<unk>": 1}
    text = folder / "spm_corpus.txt"
    text.write_text("\n".join(f"word{i} other{i % 7} thing{i % 13}" for i in range(400)) + "\n")
    for name in ("source", "target"):
        spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(folder / name), vocab_size=32,
                                       hard_vocab_limit=False, unk_id=1, bos_id=-1, eos_id=0, pad_id=-1,
                                       minloglevel=2)
        (folder / f"{name}.model").rename(folder / f"{name}.spm")
        (folder / f"{name}.vocab").unlink()
        sp = spm.SentencePieceProcessor(model_file=str(folder / f"{name}.spm"))
        for i in range(sp.get_piece_size()):
            vocab.setdefault(sp.id_to_piece(i), len(vocab))
    while len(vocab) < size - 1:
        vocab[f"<unused_{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = size - 1
    (folder / "vocab.json").write_text(json.dumps(vocab))
    text.unlink()


def prompts(kind: str, batch: int, vocab: int, seed: int) -> list[list[int]]:
    """Mixed lengths: decoder prompts of 8..32 tokens, Marian sources of 10..40 (EOS last)."""
    rng = np.random.default_rng(seed)
    lo, hi = (8, 32) if kind in DECODERS else (10, 40)
    out = []
    for _ in range(batch):
        ids = rng.integers(1, vocab - 2, size=int(rng.integers(lo, hi + 1))).tolist()
        if kind == "marian-base":
            ids[-1] = 0
        out.append(ids)
    return out


# ------------------------------------------------------------------------------ engines

class Transformers:
    name = "transformers generate"
    precision = "fp32"

    def __init__(self, kind, model):
        self.kind, self.model = kind, model

    def run(self, batch, beams, new_tokens):
        cfg = self.model.config
        pad = cfg.pad_token_id if cfg.pad_token_id is not None else cfg.eos_token_id
        left = self.kind in DECODERS  # decoder-only batches are left-padded
        T = max(map(len, batch))
        ids = torch.full((len(batch), T), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), T), dtype=torch.long)
        for i, p in enumerate(batch):
            sl = slice(T - len(p), T) if left else slice(0, len(p))
            ids[i, sl] = torch.tensor(p)
            mask[i, sl] = 1
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=mask, num_beams=beams, do_sample=False,
                                      max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=pad,
                                      early_stopping=False)
        start = T if left else 1
        return [row[start:].tolist() for row in out]


class CTranslate2Engine:
    name = "CTranslate2"

    def __init__(self, kind, folder, work, precision="fp32", compute_type="float32"):
        import ctranslate2
        out = work / "ct2" / kind
        if not (out / "model.bin").exists():
            log(f"{kind}: converting for CTranslate2")
            ctranslate2.converters.TransformersConverter(str(folder)).convert(str(out), force=True)
        self.kind, self.precision = kind, precision
        cls = ctranslate2.Generator if kind in DECODERS else ctranslate2.Translator
        # One fp32 conversion; CTranslate2 converts the weights to compute_type at load.
        self.engine = cls(str(out), device="cpu", compute_type=compute_type, intra_threads=THREADS, inter_threads=1)
        vocab_file = out / ("vocabulary.json" if (out / "vocabulary.json").exists() else "shared_vocabulary.json")
        self.vocab = json.loads(vocab_file.read_text())
        self.index = {t: i for i, t in enumerate(self.vocab)}
        # Token strings carry the ids: CTranslate2's vocabulary must list the model's ids in order
        # (Marian: without the final <pad>, which its converter drops).
        assert len(self.index) == len(self.vocab), "duplicate token strings"
        if kind == "marian-base":
            ids = json.loads((folder / "vocab.json").read_text())
            assert all(ids[t] == i for i, t in enumerate(self.vocab)) and len(self.vocab) == len(ids) - 1, vocab_file
        else:
            tok = json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"]
            assert all(tok[t] == i for i, t in enumerate(self.vocab)) and len(self.vocab) == len(tok), vocab_file
        self.name = "CTranslate2 " + ("Generator" if kind in DECODERS else "Translator")

    def run(self, batch, beams, new_tokens):
        tokens = [[self.vocab[i] for i in p] for p in batch]
        if self.kind in DECODERS:
            res = self.engine.generate_batch(tokens, beam_size=beams, max_length=new_tokens, min_length=new_tokens,
                                             include_prompt_in_result=False)
            return [[self.index[t] for t in r.sequences[0]] for r in res]
        res = self.engine.translate_batch(tokens, beam_size=beams, max_decoding_length=new_tokens,
                                          min_decoding_length=new_tokens)
        return [[self.index[t] for t in r.hypotheses[0]] for r in res]


class Packformer:
    """packformer's generation benchmark program (bench/generate_bench.cc): loads the model
    once, then times warm calls itself and prints JSON."""
    name = "packformer"

    def __init__(self, kind, folder, binary, precision="fp32"):
        self.folder, self.binary, self.precision = folder, binary, precision
        # EOS is banned (the other engines suppress it through their minimum length), and so are
        # the folder's bad tokens (--bad-token-ids replaces them).
        gen = json.loads((folder / "generation_config.json").read_text())
        eos = gen.get("eos_token_id")
        eos = [] if eos is None else (eos if isinstance(eos, list) else [eos])
        bad = [w[0] for w in gen.get("bad_words_ids") or []]
        self.bad = sorted(set(eos) | set(bad))

    def timed(self, batch, beams, new_tokens, warmup, iterations, work):
        """(seconds of the new_tokens calls, seconds of the 1-token calls, outputs)."""
        prompts_file = work / "prompts.jsonl"
        prompts_file.write_text("".join(json.dumps(p) + "\n" for p in batch))
        cmd = [str(self.binary), "--model", str(self.folder), "--prompts", str(prompts_file),
               "--num-beams", str(beams), "--max-new-tokens", str(new_tokens),
               "--warmup", str(warmup), "--iterations", str(iterations), "--threads", str(THREADS),
               "--first-token", "--dtype", self.precision]
        if self.bad:
            cmd += ["--bad-token-ids", ",".join(map(str, self.bad))]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
        res = json.loads(proc.stdout)
        return res["seconds"], res["first_token_seconds"], res["outputs"]


def ct2_compute_types():
    import ctranslate2
    return ctranslate2.get_supported_compute_types("cpu")


def time_calls(fn, warmup, iterations):
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def agreement(outputs, reference):
    """(sequences equal, sequences, tokens equal up to each sequence's first difference, tokens)."""
    same = sum(a == b for a, b in zip(outputs, reference))
    prefix = 0
    for a, b in zip(outputs, reference):
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        prefix += n
    return same, len(reference), prefix, sum(map(len, reference))


# Full mode's settings; estimate_full_minutes scales a run's measured call times to them.
# 3 timed calls: a 64-token call lasts seconds, and 5 would put a full run near 30 minutes.
FULL = dict(warmup=1, iterations=3, new_tokens=NEW_TOKENS)
QUICK = dict(warmup=0, iterations=1, new_tokens=8)


def estimate_full_minutes(rows, mode):
    """Minutes the full mode's timed work would take, from this run's medians: per row and
    engine (warm-up + iterations) calls of 64 new tokens, and as many of 1 new token. A call's
    time is taken as first-token time + (new tokens - 1) x per-token time. Model creation and
    conversion (first run only, ~2 minutes) and process start-ups are not included."""
    total = 0.0
    for r in rows:
        first = r["ttft_ms"] / 1000
        per_token = max(0.0, (r["median_s"] - first) / max(1, mode["new_tokens"] - 1))
        full_call = first + (FULL["new_tokens"] - 1) * per_token
        total += (FULL["warmup"] + FULL["iterations"]) * (full_call + first)
    return total / 60


# ------------------------------------------------------------------------------ run

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true",
                    help="harness check: 8 new tokens, 1 timed call, no warm-up (numbers mean nothing)")
    ap.add_argument("--models", default="gpt2-small,marian-base", help=f"some of {','.join(MODELS)}")
    ap.add_argument("--precisions", default="fp32,int8,bf16",
                    help="precisions to run where the model has rows for them (low precisions: qwen2-0.5b)")
    ap.add_argument("--new-tokens", type=int, default=None,
                    help="override the mode's new tokens (e.g. --quick --new-tokens 64: agreement at full length)")
    ap.add_argument("--out", default=None, help="report .md (a .json is written beside it); default: "
                    "docs/benchmarks/generate.md (generate-MODEL+MODEL.md for other --models), or "
                    "bench/generate/.work/generate-quick.md with --quick")
    ap.add_argument("--packformer", default=os.environ.get("PACKFORMER_GENERATE_BENCH",
                                                           str(ROOT / "build" / "bench" / "generate_bench")))
    args = ap.parse_args()
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(1)
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    models = args.models.split(",")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        sys.exit(f"--models: unknown {','.join(unknown)}; expected some of {','.join(MODELS)}")
    precisions = args.precisions.split(",")
    if "fp32" not in precisions or not set(precisions) <= {"fp32", "int8", "bf16"}:
        sys.exit("--precisions: expected fp32 (the reference rows) plus any of int8, bf16")
    if args.out is None:
        name = "generate" if models == ["gpt2-small", "marian-base"] else "generate-" + "+".join(models)
        args.out = str(work / "generate-quick.md") if args.quick else str(ROOT / "docs" / "benchmarks" / f"{name}.md")
    mode = dict(QUICK if args.quick else FULL)
    if args.new_tokens:
        mode["new_tokens"] = args.new_tokens
    warmup, iterations, new_tokens = mode["warmup"], mode["iterations"], mode["new_tokens"]
    log(f"{'quick' if args.quick else 'full'} mode: {new_tokens} new tokens, {warmup} warm-up + {iterations} "
        f"timed calls per engine and row (and as many with 1 new token); full mode of the default models: "
        f"about 10 minutes on 2 idle cores")
    load = os.getloadavg()[0]
    busy = load > 0.5 * os.cpu_count()
    if busy:
        log(f"WARNING: load average {load:.1f} on {os.cpu_count()} cores: the machine is busy, timings are unreliable")
    binary = pathlib.Path(args.packformer)
    if not binary.exists():
        sys.exit(f"{binary} is missing: cmake --build build --target generate_bench")
    started = time.time()
    rows, checks, problems, skipped = [], [], [], []
    for kind in models:
        folder = work / "models" / kind
        folder.mkdir(parents=True, exist_ok=True)
        log(f"{kind}: model")
        if not (folder / DONE).exists():
            shutil.rmtree(work / "ct2" / kind, ignore_errors=True)  # converted from an older folder
        model = MODELS[kind](folder)
        engines = [Transformers(kind, model), CTranslate2Engine(kind, folder, work), Packformer(kind, folder, binary)]
        for dtype, compute_type in LOW_PRECISIONS.get(kind, []):
            if dtype not in precisions:
                continue
            if compute_type not in ct2_compute_types():
                skipped.append(f"{kind} {dtype}: CTranslate2 has no {compute_type} on this CPU "
                               f"(supported: {', '.join(sorted(ct2_compute_types()))})")
                log(skipped[-1])
                continue
            engines += [CTranslate2Engine(kind, folder, work, dtype, compute_type),
                        Packformer(kind, folder, binary, dtype)]
        for batch_size in (1, 8):
            batch = prompts(kind, batch_size, model.config.vocab_size, SEED + batch_size)
            for beams in (1, 4):
                search = "greedy" if beams == 1 else f"beam {beams}"
                reference = None
                for eng in engines:
                    t0 = time.time()
                    if isinstance(eng, Packformer):
                        full, first, outputs = eng.timed(batch, beams, new_tokens, warmup, iterations, work)
                    else:
                        full, outputs = time_calls(lambda: eng.run(batch, beams, new_tokens), warmup, iterations)
                        first, _ = time_calls(lambda: eng.run(batch, beams, 1), warmup, iterations)
                    lengths = sorted({len(o) for o in outputs})
                    if reference is None:
                        reference = outputs
                    same, n, prefix, tokens = agreement(outputs, reference)
                    check = (f"{kind} batch {batch_size} {search} {eng.name} {eng.precision}: new tokens per "
                             f"sequence {lengths}; {same}/{n} sequences and {prefix}/{tokens} tokens (to the first "
                             f"difference) equal to transformers' fp32")
                    checks.append(check)
                    if lengths != [new_tokens] or len(outputs) != batch_size:
                        problems.append("wrong length: " + check)
                    elif eng.precision == "fp32" and same != n:
                        problems.append("fp32 tokens differ: " + check)
                    med = statistics.median(full)
                    rows.append(dict(model=kind, batch=batch_size, search=search, engine=eng.name,
                                     precision=eng.precision,
                                     median_s=med, seconds=full, tokens_per_s=batch_size * new_tokens / med,
                                     ttft_ms=1000 * statistics.median(first), ttft_seconds=first,
                                     sequences_equal=same, sequences=n, tokens_equal_prefix=prefix, tokens=tokens,
                                     new_tokens_per_sequence=lengths))
                    log(f"{kind} batch {batch_size} {search}: {eng.name} {eng.precision}: {time.time() - t0:.1f} s, "
                        f"{same}/{n} sequences equal to transformers'")
    estimate = estimate_full_minutes(rows, mode)
    write_report(args, rows, checks, problems, skipped, started, new_tokens, estimate, load)
    log(f"full mode on this machine, estimated from this run: {estimate:.0f} minutes of timed calls "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: an estimate made under load is too long)")
    if problems:
        sys.exit("some engine generated the wrong number of tokens, or fp32 tokens unlike transformers':\n"
                 + "\n".join(problems))


def write_report(args, rows, checks, problems, skipped, started, new_tokens, estimate, load_start):
    import ctranslate2
    import transformers
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h"], capture_output=True,
                            text=True).stdout.strip()
    minutes = (time.time() - started) / 60
    meta = dict(command=" ".join(["bench/generate/run"] + sys.argv[1:]), wall_minutes=round(minutes, 1),
                date=f"{datetime.datetime.now():%Y-%m-%d %H:%M}", cpu=cpu, cores=os.cpu_count(),
                load_average=os.getloadavg(), threads=THREADS, new_tokens=new_tokens,
                versions=dict(torch=torch.__version__, transformers=transformers.__version__,
                              ctranslate2=ctranslate2.__version__, python=platform.python_version(),
                              packformer=commit),
                load_average_at_start=load_start, estimated_full_minutes=round(estimate, 1),
                precisions=sorted({r["precision"] for r in rows}), rows_not_run=skipped)
    lines = ["# Generation benchmark", ""]
    if load_start > 0.5 * os.cpu_count():
        lines += [f"**The machine was busy (load average {load_start:.1f} at the start): timings are unreliable.**",
                  ""]
    if args.quick:
        lines += [f"Quick mode: a harness check ({new_tokens} new tokens, 1 timed call, no warm-up); the numbers "
                  f"mean nothing. Full mode estimated from this run: {estimate:.0f} minutes of timed calls.", ""]
    lines += [f"- command: `{meta['command']}` ({minutes:.1f} minutes, {meta['date']})",
              f"- machine: {cpu}, {os.cpu_count()} cores, load average at the end "
              f"{' '.join(f'{x:.2f}' for x in meta['load_average'])}; threads: {THREADS} intra-op, 1 inter-op "
              f"for every engine",
              f"- versions: torch {torch.__version__}, transformers {transformers.__version__}, "
              f"ctranslate2 {ctranslate2.__version__}, Python {platform.python_version()}, packformer {commit}",
              f"- {new_tokens} new tokens per sequence (EOS suppressed), random weights of the real geometry; "
              f"tokens/s over the whole call (median), time to first token = median time of a 1-token call; "
              f"\"vs best other\": over the best other engine of the same precision; \"= fp32\": sequences "
              f"equal to transformers' fp32 ones",
              "", "| model | batch | search | precision | engine | new tokens/s | time to first token ms "
              "| vs best other | = fp32 |",
              "|---|---:|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        key = lambda o: (o["model"], o["batch"], o["search"], o["precision"])
        others = [o["tokens_per_s"] for o in rows if key(o) == key(r) and o["engine"] != r["engine"]]
        ratio = r["tokens_per_s"] / max(others) if others else 1.0
        lines.append(f"| {r['model']} | {r['batch']} | {r['search']} | {r['precision']} | {r['engine']} | "
                     f"{r['tokens_per_s']:.1f} | {r['ttft_ms']:.1f} | {ratio:.2f}x | "
                     f"{r['sequences_equal']}/{r['sequences']} |")
    lines += ["", "## Checks (same run)", ""] + [f"- {c}" for c in checks] + [""]
    if skipped:
        lines += ["Rows not run:", ""] + [f"- {p}" for p in skipped] + [""]
    if problems:
        lines += ["**Check failed:**", ""] + [f"- {p}" for p in problems] + [""]
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    out.with_suffix(".json").write_text(json.dumps(dict(meta=meta, rows=rows), indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
