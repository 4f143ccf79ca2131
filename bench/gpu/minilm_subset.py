"""Writes a copy of all-MiniLM-L6-v2 small enough to travel to the GPU machine (< 64 MiB with
the repository): weights in fp16, and word-embedding rows zeroed except for the token ids the
GPU tests use (the ids of tests/data/golden/all-minilm-l6-v2.safetensors). The tests compare
the CPU and CUDA paths on this same folder, so the rounding of the weights is shared by both;
the embeddings of the golden sentences move by fp16 weight rounding only (~1e-7 in cosine).

usage: minilm_subset.py SRC_FOLDER GOLDEN.safetensors DST_FOLDER   (needs torch + safetensors)
"""
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def main():
    src, golden, dst = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    dst.mkdir(parents=True, exist_ok=True)
    weights = load_file(src / "model.safetensors")
    keep = torch.unique(load_file(golden)["input_ids"].flatten())
    out = {}
    for name, tensor in weights.items():
        tensor = tensor.to(torch.float16) if tensor.is_floating_point() else tensor
        if name.endswith("word_embeddings.weight"):
            kept = torch.zeros_like(tensor)
            kept[keep] = tensor[keep]
            tensor = kept
        out[name] = tensor.contiguous()
    save_file(out, dst / "model.safetensors", metadata={"format": "pt"})
    for item in src.iterdir():  # configs, tokenizer and sentence-transformers modules
        if item.name == "model.safetensors" or item.suffix in (".bin", ".onnx", ".h5", ".msgpack", ".ot"):
            continue
        if item.is_dir():
            if item.name in ("1_Pooling", "2_Normalize"):
                shutil.copytree(item, dst / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, dst / item.name)
    print(f"wrote {dst}: {len(keep)} word-embedding rows kept, fp16")


if __name__ == "__main__":
    main()
