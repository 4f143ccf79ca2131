"""Tokenizer-only goldens of the tiny encoder-decoder folders: needs transformers, tokenizers and
sentencepiece, not torch.

Run through scripts/make_golden.py (``seq2seq-tokenizer``, and at the end of ``seq2seq``, which
retrains the folders' tokenizers). Writes tests/data/golden/NAME.tokenize.json for tiny-marian
and tiny-bart: texts beyond the generate goldens' (a Marian language code such as ">>fr<<" at
the start, inside and twice; a sentence cut short) and their ids from the folder's AutoTokenizer,
special tokens added.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO / "tests" / "data" / "models"
GOLDEN_DIR = REPO / "tests" / "data" / "golden"

TEXTS = [
    "The quick brown fox.",
    ">>fr<< Bonjour",
    ">>fr<<Bonjour",
    " >>fr<< Bonjour",
    "Bonjour >>fr<<",
    ">>de<< >>fr<< Guten Tag",
]


def make_tokenizer_goldens() -> None:
    from transformers import AutoTokenizer

    for name in ("tiny-marian", "tiny-bart"):
        tok = AutoTokenizer.from_pretrained(str(MODELS_DIR / name))
        doc = {
            "model": f"tests/data/models/{name}",
            "note": "ids: the folder's AutoTokenizer (" + type(tok).__name__ + "), special tokens added",
            "texts": [{"text": t, "ids": tok(t).input_ids} for t in TEXTS],
        }
        text = json.dumps(doc, indent=1, ensure_ascii=False)
        # Token lists on one line each, as in NAME.generate.json.
        text = re.sub(r"\[\s+([-\d,\s]+?)\s+\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)
        (GOLDEN_DIR / f"{name}.tokenize.json").write_text(text + "\n", encoding="utf-8")
        print(f"{name}: {len(TEXTS)} texts tokenized")
