"""Generation benchmark: transformers `generate`, CTranslate2 (Generator / Translator) and
packformer on the same random-weight models, the same prompts and the same threads, in one run.

    bench/generate/run [--quick]      (writes docs/benchmarks/generate.md)

Models (random weights, seeded; geometry of the real ones):
  gpt2-small   GPT2LMHeadModel, 124M: 12 layers, 768 hidden, 12 heads, vocab 50257
  marian-base  MarianMTModel: 6+6 layers, 512 hidden, 8 heads, FFN 2048, vocab 58101, swish

Status: written; the first run (and its numbers) is still to come.

Rows: batch 1 and 8 x greedy and beam 4, 64 new tokens. EOS is made unreachable (Marian:
final_logits_bias[eos] = -1e4; GPT-2: eos never chosen in practice, checked), so every engine
generates exactly 64 tokens per sequence; the run checks this and checks that each engine's
tokens equal transformers' (greedy and beam). Metrics: new tokens per second over the whole
call (prefill included) and time to first token = the time of the same call with 1 new token.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
THREADS = 2
NEW_TOKENS = 64
SEED = 1234


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ models

def make_gpt2(folder: pathlib.Path):
    from transformers import GPT2Config, GPT2LMHeadModel
    if not (folder / "model.safetensors").exists():
        torch.manual_seed(SEED)
        cfg = GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                         bos_token_id=50256, eos_token_id=50256)
        GPT2LMHeadModel(cfg).save_pretrained(folder)
        write_byte_level_vocab(folder, cfg.vocab_size, eos="<|endoftext|>")
    return GPT2LMHeadModel.from_pretrained(folder, attn_implementation="sdpa").eval()


def make_marian(folder: pathlib.Path):
    from transformers import MarianConfig, MarianMTModel
    if not (folder / "model.safetensors").exists():
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
        model.save_pretrained(folder)
        write_marian_vocab(folder, vocab)
    return MarianMTModel.from_pretrained(folder, attn_implementation="sdpa").eval()


def write_byte_level_vocab(folder, size, eos):
    """A byte-level BPE tokenizer.json with `size` pieces (256 bytes + filler pieces + eos), so
    CTranslate2's converter finds a vocabulary of the model's size. Engines get ids, not text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.pre_tokenizers import ByteLevel
    vocab = {ch: i for i, ch in enumerate(sorted(ByteLevel.alphabet()))}
    while len(vocab) < size - 1:
        vocab[f"<unused_{len(vocab)}>"] = len(vocab)
    vocab[eos] = size - 1
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
        spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(folder / name), vocab_size=60,
                                       unk_id=1, bos_id=-1, eos_id=0, pad_id=-1, minloglevel=2)
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
    """Mixed lengths: GPT-2 prompts of 8..32 tokens, Marian sources of 10..40 (EOS last)."""
    rng = np.random.default_rng(seed)
    lo, hi = (8, 32) if kind == "gpt2-small" else (10, 40)
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

    def __init__(self, kind, model):
        self.kind, self.model = kind, model

    def run(self, batch, beams, new_tokens):
        cfg = self.model.config
        pad = cfg.pad_token_id if cfg.pad_token_id is not None else cfg.eos_token_id
        left = self.kind == "gpt2-small"  # decoder-only batches are left-padded
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

    def __init__(self, kind, folder, work):
        import ctranslate2
        out = work / "ct2" / kind
        if not (out / "model.bin").exists():
            ctranslate2.converters.TransformersConverter(str(folder)).convert(str(out), force=True)
        self.kind = kind
        cls = ctranslate2.Generator if kind == "gpt2-small" else ctranslate2.Translator
        self.engine = cls(str(out), device="cpu", compute_type="float32", intra_threads=THREADS, inter_threads=1)
        vocab_file = out / ("vocabulary.json" if (out / "vocabulary.json").exists() else "shared_vocabulary.json")
        self.vocab = json.loads(vocab_file.read_text())
        self.index = {t: i for i, t in enumerate(self.vocab)}
        self.name = "CTranslate2 " + ("Generator" if kind == "gpt2-small" else "Translator")

    def run(self, batch, beams, new_tokens):
        tokens = [[self.vocab[i] for i in p] for p in batch]
        if self.kind == "gpt2-small":
            res = self.engine.generate_batch(tokens, beam_size=beams, max_length=new_tokens, min_length=new_tokens,
                                             include_prompt_in_result=False)
        else:
            res = self.engine.translate_batch(tokens, beam_size=beams, max_decoding_length=new_tokens,
                                              min_decoding_length=new_tokens)
        return [[self.index[t] for t in r.sequences[0]] for r in res]


class Packformer:
    """packformer's generation benchmark program (bench/generate_bench.cc): loads the model
    once, then times warm calls itself and prints JSON."""
    name = "packformer"

    def __init__(self, kind, folder, binary):
        self.folder, self.binary = folder, binary

    def timed(self, batch, beams, new_tokens, warmup, iterations, work):
        prompts_file = work / "prompts.jsonl"
        prompts_file.write_text("".join(json.dumps(p) + "\n" for p in batch))
        cmd = [str(self.binary), "--model", str(self.folder), "--prompts", str(prompts_file),
               "--num-beams", str(beams), "--max-new-tokens", str(new_tokens),
               "--warmup", str(warmup), "--iterations", str(iterations), "--threads", str(THREADS)]
        res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        return res["seconds"], res["outputs"]


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


# ------------------------------------------------------------------------------ run

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ap.add_argument("--models", default="gpt2-small,marian-base")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "generate.md"))
    ap.add_argument("--packformer", default=os.environ.get("PACKFORMER_GENERATE_BENCH",
                                                           str(ROOT / "build" / "bench" / "generate_bench")))
    args = ap.parse_args()
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(1)
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    warmup, iterations = (1, 2) if args.quick else (1, 5)
    binary = pathlib.Path(args.packformer)
    started = time.time()
    rows, checks = [], []
    for kind in args.models.split(","):
        folder = work / "models" / kind
        folder.mkdir(parents=True, exist_ok=True)
        log(f"{kind}: model")
        model = (make_gpt2 if kind == "gpt2-small" else make_marian)(folder)
        engines = [Transformers(kind, model), CTranslate2Engine(kind, folder, work)]
        if binary.exists():
            engines.append(Packformer(kind, folder, binary))
        else:
            checks.append(f"packformer not measured: {binary} is missing")
        for batch_size in (1, 8):
            batch = prompts(kind, batch_size, model.config.vocab_size, SEED + batch_size)
            for beams in (1, 4):
                search = "greedy" if beams == 1 else f"beam {beams}"
                reference = None
                for eng in engines:
                    log(f"{kind} batch {batch_size} {search}: {eng.name}")
                    if isinstance(eng, Packformer):
                        full, outputs = eng.timed(batch, beams, NEW_TOKENS, warmup, iterations, work)
                        first, _ = eng.timed(batch, beams, 1, warmup, iterations, work)
                    else:
                        full, outputs = time_calls(lambda: eng.run(batch, beams, NEW_TOKENS), warmup, iterations)
                        first, _ = time_calls(lambda: eng.run(batch, beams, 1), warmup, iterations)
                    lengths = {len(o) for o in outputs}
                    if reference is None:
                        reference = outputs
                    same = sum(a == b for a, b in zip(outputs, reference))
                    checks.append(f"{kind} batch {batch_size} {search} {eng.name}: new tokens per sequence "
                                  f"{sorted(lengths)}; {same}/{len(outputs)} sequences equal to transformers'")
                    med = statistics.median(full)
                    rows.append(dict(model=kind, batch=batch_size, search=search, engine=eng.name,
                                     median_s=med, tokens_per_s=batch_size * NEW_TOKENS / med,
                                     ttft_ms=1000 * statistics.median(first)))
    write_report(args, rows, checks, started)


def write_report(args, rows, checks, started):
    import ctranslate2
    import transformers
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h"], capture_output=True,
                            text=True).stdout.strip()
    lines = ["# Generation benchmark", "",
             f"- command: `bench/generate/run{' --quick' if args.quick else ''}` "
             f"({(time.time() - started) / 60:.1f} minutes, {datetime.datetime.now():%Y-%m-%d %H:%M})",
             f"- machine: {cpu}, {os.cpu_count()} cores; threads: {THREADS} intra-op, 1 inter-op for every engine",
             f"- versions: torch {torch.__version__}, transformers {transformers.__version__}, "
             f"ctranslate2 {ctranslate2.__version__}, Python {platform.python_version()}, packformer {commit}",
             f"- {NEW_TOKENS} new tokens per sequence (EOS unreachable), fp32, random weights of the real geometry",
             "", "| model | batch | search | engine | new tokens/s | time to first token ms | vs best other |",
             "|---|---:|---|---|---:|---:|---:|"]
    for r in rows:
        group = [o for o in rows if (o["model"], o["batch"], o["search"]) == (r["model"], r["batch"], r["search"])]
        others = [o["tokens_per_s"] for o in group if o["engine"] != r["engine"]]
        ratio = r["tokens_per_s"] / max(others) if others else 1.0
        lines.append(f"| {r['model']} | {r['batch']} | {r['search']} | {r['engine']} | {r['tokens_per_s']:.1f} | "
                     f"{r['ttft_ms']:.1f} | {ratio:.2f}x |")
    lines += ["", "## Checks (same run)", ""] + [f"- {c}" for c in checks] + [""]
    pathlib.Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
