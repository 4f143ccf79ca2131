"""Goldens for pair encoding (tokenizer.encode(a, b)): tokenizers and a cross-encoder.

make_pair_goldens() writes, for each tokenizer folder of tests/data/tokenizer/ that has a
tokenizer.json, HF tokenizers' encodings of the parity corpus read as pairs (lines 1+2,
3+4, ...; corpus.txt must already exist, scripts/golden/tokenizers.py writes it):
  pairs.jsonl             all 1,200 pairs, special tokens added, no truncation
  pairs_no_special.jsonl  the first 300 pairs, add_special_tokens=False
  pairs_truncated.jsonl   all pairs, pair k truncated (longest_first) to TRUNCATE_TO[k % 7]
Each row: {"ids": [...], "type_ids": "0..01..1", "special_tokens_mask": "10..01"} (+ "max_length"
for the truncated rows); type ids and mask are digit strings, one digit per token.
It also asserts that transformers' BertTokenizer built from minilm_vocab/vocab.txt gives
minilm's pair rows exactly (the vocab.txt route is compared with them), and writes spm/'s
rows: sentencepiece's ids (fairseq layout) assembled and truncated by HF tokenizers with
the pair template transformers' XLMRobertaTokenizer uses (<s> $A </s> </s> $B </s>).

make_classify_golden() gives tests/data/models/tiny-bert-cls a tokenizer (the tiny
lower-casing WordPiece of scripts/golden/models.py) and writes
tests/data/golden/tiny-bert-cls.pairs.json: text pairs, the ids transformers' tokenizer
gives them, and BertForSequenceClassification's logits, untruncated and truncated to 16.
"""

import json
import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(REPO, "tests", "data", "tokenizer")
JSON_TOKENIZERS = ("minilm", "bpe", "unigram", "wordpiece", "llama", "gpt4", "metaspace", "llama3", "qwen2", "mistral",
                   "t5")
NO_SPECIAL_PAIRS = 300
# Small lengths, so that both texts are cut in most pairs, ties and odd budgets included; all
# at least the 4 special tokens a RoBERTa pair gets.
TRUNCATE_TO = (5, 6, 7, 8, 11, 16, 33)


def read_pairs():
    with open(os.path.join(DATA, "corpus.txt"), "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    texts = [line.decode("utf-8", errors="replace") for line in lines]
    assert len(texts) % 2 == 0, "corpus.txt: expected an even number of lines"
    return list(zip(texts[0::2], texts[1::2]))


def digits(values):
    """A list of one-digit values as a string ("00111"): a third of a JSON array's size."""
    assert all(0 <= v <= 9 for v in values), values
    return "".join(map(str, values))


def rows_of(encodings, max_lengths=None):
    rows = []
    for i, e in enumerate(encodings):
        row = {"ids": e.ids, "type_ids": digits(e.type_ids), "special_tokens_mask": digits(e.special_tokens_mask)}
        if max_lengths is not None:
            row["max_length"] = max_lengths[i]
        rows.append(row)
    return rows


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")


def encode_variants(tok, pairs):
    """The three golden files' rows for a tokenizers.Tokenizer."""
    tok.no_truncation()
    tok.no_padding()
    full = rows_of(tok.encode_batch(pairs, add_special_tokens=True))
    plain = rows_of(tok.encode_batch(pairs[:NO_SPECIAL_PAIRS], add_special_tokens=False))
    truncated, lengths = [], []
    for k, pair in enumerate(pairs):
        max_length = TRUNCATE_TO[k % len(TRUNCATE_TO)]
        tok.enable_truncation(max_length=max_length, strategy="longest_first")
        truncated.append(tok.encode(*pair))
        lengths.append(max_length)
    tok.no_truncation()
    return {"pairs.jsonl": full, "pairs_no_special.jsonl": plain,
            "pairs_truncated.jsonl": rows_of(truncated, lengths)}


def write_variants(folder, variants):
    for name, rows in variants.items():
        write_jsonl(os.path.join(folder, name), rows)


def check_vocab_txt(pairs, minilm_rows):
    """transformers' BertTokenizer from vocab.txt must give tokenizer.json's pair rows."""
    from transformers import AutoTokenizer

    bert = AutoTokenizer.from_pretrained(os.path.join(DATA, "minilm_vocab"))

    def encode(pair, **kw):
        e = bert(pair[0], pair[1], return_special_tokens_mask=True, return_token_type_ids=True, **kw)
        return {"ids": e["input_ids"], "type_ids": digits(e["token_type_ids"]),
                "special_tokens_mask": digits(e["special_tokens_mask"])}

    assert [encode(p) for p in pairs] == minilm_rows["pairs.jsonl"], "vocab.txt pairs differ"
    assert [encode(p, add_special_tokens=False) for p in pairs[:NO_SPECIAL_PAIRS]] == \
        minilm_rows["pairs_no_special.jsonl"], "vocab.txt pairs without special tokens differ"
    for k, (pair, want) in enumerate(zip(pairs, minilm_rows["pairs_truncated.jsonl"])):
        got = encode(pair, truncation="longest_first", max_length=want["max_length"])
        got["max_length"] = want["max_length"]
        assert got == want, f"vocab.txt pair {k} truncated to {want['max_length']} differs"


def spm_variants(pairs):
    """sentencepiece's ids, paired and truncated by HF tokenizers with XLM-R's pair template."""
    import sentencepiece as spm
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    sp = spm.SentencePieceProcessor(model_file=os.path.join(DATA, "spm", "sentencepiece.bpe.model"))
    size = sp.get_piece_size() + 2  # fairseq layout: piece i -> i + 1, then <mask>
    # Each text becomes its fairseq ids written as words; a WordLevel model maps them back, so
    # HF's own truncation and template assemble the pair.
    tok = Tokenizer(models.WordLevel({str(i): i for i in range(size)}, unk_token="3"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])

    def as_words(text):
        return " ".join(str(3 if i == sp.unk_id() else i + 1) for i in sp.encode(text))

    return encode_variants(tok, [(as_words(a), as_words(b)) for a, b in pairs])


def make_pair_goldens():
    from tokenizers import Tokenizer

    pairs = read_pairs()
    minilm_rows = None
    for name in JSON_TOKENIZERS:
        folder = os.path.join(DATA, name)
        variants = encode_variants(Tokenizer.from_file(os.path.join(folder, "tokenizer.json")), pairs)
        write_variants(folder, variants)
        if name == "minilm":
            minilm_rows = variants
        print(f"pair goldens: {name} done", file=sys.stderr)
    check_vocab_txt(pairs, minilm_rows)
    write_variants(os.path.join(DATA, "spm"), spm_variants(pairs))
    print("pair goldens: minilm_vocab checked, spm done", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# A cross-encoder: tiny-bert-cls on text pairs

CLASSIFY_PAIRS = [
    ("the quick brown fox", "jumps over the lazy dog"),
    ("hello world", "good day to you"),
    ("a cat", "a dog"),
    ("What is the capital of the country?", "The city is big and old, with many people."),
    ("i like this model", "it is fast!"),
    ("", "an empty first text"),
    ("an empty second text", ""),
    ("unknown ☃ characters €", "and numbers 1234 5678"),
    ("The transformer reads a sentence; the attention layer weights each token.",
     "Batch length and padding: the embedding of the input is the output of the model."),
    ("yes", "no"),
    ("How do you make good food from water and a book?",
     "You could read the book, then eat, then write a new one, then think about it for a long time."),
    ("people were playing in the house", "they were playing in the city with their child and their dog"),
]
CLASSIFY_TRUNCATE_TO = 16


def make_classify_golden():
    import torch

    from golden import models

    folder = models.MODELS_DIR / "tiny-bert-cls"
    models._save_tiny_tokenizer(folder, 300)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    model = models._load("BertForSequenceClassification", folder)
    out = {"source": "scripts/make_golden.py classify-pairs", "pairs": [list(p) for p in CLASSIFY_PAIRS],
           **models._versions()}
    firsts, seconds = [a for a, _ in CLASSIFY_PAIRS], [b for _, b in CLASSIFY_PAIRS]
    for key, max_length in (("full", 64), ("truncated", CLASSIFY_TRUNCATE_TO)):
        batch = tok(firsts, seconds, truncation="longest_first", max_length=max_length, padding=True,
                    return_tensors="pt")
        with torch.no_grad():
            logits = model(**batch).logits
        mask = batch["attention_mask"].bool()
        out[key] = {
            "max_length": max_length,
            "input_ids": [row[m].tolist() for row, m in zip(batch["input_ids"], mask)],
            "token_type_ids": [row[m].tolist() for row, m in zip(batch["token_type_ids"], mask)],
            "logits": [[float(x) for x in row] for row in logits.float()],
        }
    path = models.GOLDEN_DIR / "tiny-bert-cls.pairs.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"classify pairs golden: {path}", file=sys.stderr)
