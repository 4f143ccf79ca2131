"""A one-label cross-encoder (a re-ranker, as TEI calls it): tests/data/models/tiny-bert-rerank.

TEI serves /rerank only for a sequence classifier with a single label; tiny-bert-cls has three.
This folder is tiny-bert-cls with a one-label head (its weights, tokenizer and config, the
classifier keeping label 0's row), saved by transformers; tests/data/golden/tiny-bert-rerank.pairs.json
holds transformers' logits of the saved folder, loaded back, on tiny-bert-cls's golden pairs.
Run by scripts/make_golden.py rerank (after classify-pairs, whose tokenizer it copies).
"""

from __future__ import annotations

import json
import shutil
import sys

from golden import models
from golden.tokenizer_pairs import CLASSIFY_PAIRS


def make_rerank_golden():
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    source = models.MODELS_DIR / "tiny-bert-cls"
    folder = models.MODELS_DIR / "tiny-bert-rerank"
    classifier = models._load("BertForSequenceClassification", source)
    config = classifier.config
    config.num_labels = 1
    config.id2label = {0: "score"}
    config.label2id = {"score": 0}
    reranker = BertForSequenceClassification(config).eval()
    state = classifier.state_dict()
    state["classifier.weight"] = state["classifier.weight"][:1].clone()
    state["classifier.bias"] = state["classifier.bias"][:1].clone()
    reranker.load_state_dict(state)
    if folder.exists():
        shutil.rmtree(folder)
    reranker.save_pretrained(str(folder))
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        shutil.copyfile(source / name, folder / name)

    tok = AutoTokenizer.from_pretrained(str(folder))
    model = models._load("BertForSequenceClassification", folder)
    out = {"source": "scripts/make_golden.py rerank", "pairs": [list(p) for p in CLASSIFY_PAIRS], **models._versions()}
    firsts, seconds = [a for a, _ in CLASSIFY_PAIRS], [b for _, b in CLASSIFY_PAIRS]
    for key, max_length in (("full", 64), ("truncated", 16)):
        batch = tok(firsts, seconds, truncation="longest_first", max_length=max_length, padding=True,
                    return_tensors="pt")
        with torch.no_grad():
            logits = model(**batch).logits
        assert logits.shape == (len(CLASSIFY_PAIRS), 1)
        out[key] = {"max_length": max_length, "logits": [float(row[0]) for row in logits.float()]}
    path = models.GOLDEN_DIR / "tiny-bert-rerank.pairs.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"rerank golden: {folder}, {path}", file=sys.stderr)
