"""packformer (CUDA, fp16) against PyTorch fp16 on one GPU, on the same token ids.

Engines:
  pf_fast / pf_sparse   packformer bench --device cuda --dtype fp16 (sparsity off / on); its
                        times include the ids' upload and the fp32 hidden states' download.
  torch_bt              nn.TransformerEncoder with nested tensors (the Better Transformer fastpath,
                        as in PyTorch's tutorial): same geometry, random weights, embeddings given.
  hf_sdpa               transformers AutoModel, attn_implementation="sdpa", fp16 weights.
Workloads: the tutorial's small and big batches at xlmr-large geometry, and the bert-base grid
batch {1,8,32} x length {32,128,384}. Times are CUDA-event medians over --iterations after
--warmup. Writes OUT/gpu_bench.md and OUT/gpu_bench.json; prints the table.

Run by scripts/gpu_check on the GPU machine (PyTorch and transformers are there).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import torch


def log(*args):
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def packformer_ids(pf, folder, batch):
    out = subprocess.run([pf, "bench", "--model", folder, "--batch", batch, "--dump-ids"], check=True,
                         capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def packformer_times(pf, folder, batch, iterations, warmup):
    out = subprocess.run([pf, "bench", "--model", folder, "--batch", batch, "--device", "cuda", "--dtype", "fp16",
                          "--skip-slow", "--format", "json", "--iterations", str(iterations), "--warmup",
                          str(warmup)], check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {("pf_sparse" if r["sparsity"] == "on" else "pf_fast"): r["median_ms"] for r in rows}


def time_cuda(fn, iterations, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iterations):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def padded(batch, pad_id):
    longest = max(len(s) for s in batch)
    ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), longest), dtype=torch.long)
    for i, s in enumerate(batch):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids.cuda(), mask.cuda()


def torch_bt_encoder(config):
    layer = torch.nn.TransformerEncoderLayer(config["hidden_size"], config["num_attention_heads"],
                                             config["intermediate_size"], activation="gelu", batch_first=True,
                                             layer_norm_eps=config.get("layer_norm_eps", 1e-5))
    encoder = torch.nn.TransformerEncoder(layer, config["num_hidden_layers"], enable_nested_tensor=True)
    return encoder.half().cuda().eval()


def useful_flops(config, batch):
    h, ffn, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    tokens = sum(len(s) for s in batch)
    attention = sum(len(s) ** 2 for s in batch)
    return layers * (2.0 * tokens * (4 * h * h + 2 * h * ffn) + 4.0 * attention * h)


def fp16_peak_tflops():
    n = 8192
    a = torch.randn(n, n, device="cuda", dtype=torch.float16)
    b = torch.randn(n, n, device="cuda", dtype=torch.float16)
    ms = time_cuda(lambda: a @ b, 10, 3)
    return 2.0 * n ** 3 / (ms / 1e3) / 1e12


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--packformer", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", default="", help="xlmr | bert: one model's workloads")
    args = parser.parse_args()
    work, out = pathlib.Path(args.work), pathlib.Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    repo = pathlib.Path(__file__).resolve().parents[2]

    peak = fp16_peak_tflops()
    log(f"measured fp16 matmul peak (8192^3, torch): {peak:.0f} TFLOP/s on {torch.cuda.get_device_name()}")

    models = []
    if args.only in ("", "xlmr"):
        models.append(("xlmr-large", ["small", "big"],
                       ["--tokenizer", str(repo / "tests/data/tokenizer/unigram/tokenizer.json")]))
    if args.only in ("", "bert"):
        models.append(("bert-base", [f"random:{b}x{t}" for b in (1, 8, 32) for t in (32, 128, 384)], []))

    from transformers import AutoModel

    results = []
    for arch, batches, synth_extra in models:
        folder = work / arch
        if not (folder / "model.safetensors").exists():
            log(f"synth {arch} -> {folder}")
            subprocess.run([args.packformer, "synth", "--arch", arch, "--out", str(folder)] + synth_extra, check=True)
        config = json.loads((folder / "config.json").read_text())
        pad_id = config.get("pad_token_id", 0) or 0
        hf = AutoModel.from_pretrained(folder, attn_implementation="sdpa", dtype=torch.float16).cuda().eval()
        bt = torch_bt_encoder(config)
        for batch_name in batches:
            batch = packformer_ids(args.packformer, str(folder), batch_name)
            row = dict(model=arch, batch=batch_name, sequences=len(batch), tokens=sum(len(s) for s in batch),
                       padded_tokens=len(batch) * max(len(s) for s in batch))
            row.update(packformer_times(args.packformer, str(folder), batch_name, args.iterations, args.warmup))
            ids, mask = padded(batch, pad_id)
            with torch.inference_mode():
                row["hf_sdpa"] = time_cuda(lambda: hf(input_ids=ids, attention_mask=mask), args.iterations,
                                           args.warmup)
                x = torch.randn(ids.shape[0], ids.shape[1], config["hidden_size"], device="cuda",
                                dtype=torch.float16)
                pad_mask = mask == 0
                row["torch_bt"] = time_cuda(lambda: bt(x, src_key_padding_mask=pad_mask), args.iterations,
                                            args.warmup)
            best_torch = min(row["hf_sdpa"], row["torch_bt"])
            best_pf = min(row.get("pf_fast", 1e30), row.get("pf_sparse", 1e30))
            row["speedup_vs_best_torch"] = best_torch / best_pf
            row["pf_tflops"] = useful_flops(config, batch) / (best_pf / 1e3) / 1e12
            row["pf_peak_share"] = row["pf_tflops"] / peak
            results.append(row)
            log(f"{arch} {batch_name}: " + ", ".join(f"{k} {row[k]:.3f} ms" for k in
                                                      ("pf_fast", "pf_sparse", "torch_bt", "hf_sdpa") if k in row))
        del hf, bt
        torch.cuda.empty_cache()

    lines = [f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, fp16; measured matmul peak "
             f"{peak:.0f} TFLOP/s; median ms of {args.iterations} iterations after {args.warmup} warm-ups.", "",
             "| model | batch | tokens (padded) | packformer fast | packformer fast+sparsity | torch BT fastpath "
             "| transformers SDPA | packformer vs best torch | packformer TFLOP/s (% peak) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['model']} | {r['batch']} | {r['tokens']} ({r['padded_tokens']}) | {r['pf_fast']:.3f} | "
                     f"{r['pf_sparse']:.3f} | {r['torch_bt']:.3f} | {r['hf_sdpa']:.3f} | "
                     f"{r['speedup_vs_best_torch']:.2f}x | {r['pf_tflops']:.1f} ({100 * r['pf_peak_share']:.0f}%) |")
    table = "\n".join(lines) + "\n"
    (out / "gpu_bench.md").write_text(table)
    (out / "gpu_bench.json").write_text(json.dumps(dict(peak_tflops=peak, rows=results), indent=1))
    print(table)


if __name__ == "__main__":
    main()
