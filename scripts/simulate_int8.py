#!/usr/bin/env python3
"""Simulate packformer's int8 Linear layers in PyTorch, to try quantization rules before
writing kernels (run by hand with /work/venv-golden or any venv with torch, transformers,
sentence-transformers; never in CI). It reproduced the engine's figures in docs/ENGINE.md,
"Precision", to the printed digits.

    scripts/simulate_int8.py minilm [--rule sym|asym] [--keep-fp32 NAME,...] [--scale-factor F]
    scripts/simulate_int8.py MODEL  [same options]       # a tiny generation model: tiny-mistral, ...

Every nn.Linear's (and GPT-2's Conv1D's) weight is rounded as gemm_int8.h does (symmetric per output channel, s8)
and its input per row: `sym` (q = round(x 127 / max|x|)) or `asym` (u8 with a zero point over
[min(x, 0), max(x, 0)]). --keep-fp32 leaves Linear layers whose name contains one of the
strings in fp32; --scale-factor multiplies every activation scale (to see how much the
worst case moves with a tiny change of the rounding grid).
  minilm   cosine of all-MiniLM-L6-v2's sentence embeddings of tests/data/sentences.txt to
           fp32 sentence-transformers ($PACKFORMER_MINILM_DIR, default .cache/models/all-MiniLM-L6-v2)
  MODEL    cosine of the logits at every prompt position of tests/data/golden/MODEL-logits
           .safetensors to the golden (transformers' fp32)
"""
import argparse
import os
import pathlib

import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent


def quantize_weight(w):
    scale = w.abs().amax(1, keepdim=True) / 127
    return torch.round(w / scale).clamp(-127, 127) * scale


def activation_rounding(rule, factor):
    def sym(x):
        scale = x.abs().amax(-1, keepdim=True) / 127 * factor
        return torch.round(x / scale).clamp(-127, 127) * scale

    def asym(x):
        lo = x.amin(-1, keepdim=True).clamp(max=0)
        hi = x.amax(-1, keepdim=True).clamp(min=0)
        scale = (hi - lo) / 255 * factor
        zero_point = torch.round(-lo / scale)
        return ((torch.round(x / scale) + zero_point).clamp(0, 255) - zero_point) * scale

    return sym if rule == "sym" else asym


def quantize_linears(model, rule, keep, factor):
    from transformers.pytorch_utils import Conv1D  # GPT-2's Linear, its weight stored [in, out]
    rounding = activation_rounding(rule, factor)
    for name, module in model.named_modules():
        if not isinstance(module, (nn.Linear, Conv1D)) or any(k in name for k in keep):
            continue
        # A new Parameter, not .data: a tied LM head shares its weight with the embeddings,
        # which stay fp32 in the engine.
        w = module.weight.data
        module.weight = nn.Parameter(quantize_weight(w.t()).t() if isinstance(module, Conv1D) else quantize_weight(w))
        module.register_forward_pre_hook(lambda _m, inputs: (rounding(inputs[0]),))


def minilm(args):
    from sentence_transformers import SentenceTransformer
    folder = os.environ.get("PACKFORMER_MINILM_DIR", str(ROOT / ".cache/models/all-MiniLM-L6-v2"))
    model = SentenceTransformer(folder, device="cpu")
    sentences = (ROOT / "tests/data/sentences.txt").read_text().splitlines()
    reference = model.encode(sentences, convert_to_tensor=True)
    quantize_linears(model, args.rule, args.keep, args.scale_factor)
    return torch.nn.functional.cosine_similarity(model.encode(sentences, convert_to_tensor=True), reference)


def generation_model(args):
    from safetensors.numpy import load_file
    from transformers import AutoModelForCausalLM
    golden = load_file(str(ROOT / f"tests/data/golden/{args.model}-logits.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(str(ROOT / f"tests/data/models/{args.model}")).eval()
    quantize_linears(model, args.rule, args.keep, args.scale_factor)
    logits, at = [], 0
    with torch.no_grad():
        for length in golden["lengths"]:
            logits.append(model(torch.tensor(golden["ids"][at:at + length])[None]).logits[0])
            at += int(length)
    return torch.nn.functional.cosine_similarity(torch.cat(logits), torch.tensor(golden["logits"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--rule", choices=["sym", "asym"], default="asym")
    parser.add_argument("--keep-fp32", dest="keep", default="", type=lambda s: [k for k in s.split(",") if k])
    parser.add_argument("--scale-factor", type=float, default=1.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cosines = minilm(args) if args.model == "minilm" else generation_model(args)
    print(f"{args.model} {args.rule}: cosine worst {cosines.min():.5f} (row {int(cosines.argmin())}), "
          f"mean {cosines.mean():.5f}")


if __name__ == "__main__":
    main()
