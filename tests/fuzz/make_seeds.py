#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ and the hand-made regression inputs
tests/fuzz/regressions/<target>/ from the committed test data (standard library only).

Seeds are kept small (a few KB) so that libFuzzer mutates them quickly: tokenizer.json seeds
are the test tokenizers with their vocabularies cut down to a consistent subset.
Rerunning it reproduces the files byte for byte.
"""
import json
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def write(folder, name, data):
    path = HERE / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def safetensors(tensors, metadata=None, header_length=None):
    """tensors: [(name, dtype, shape, bytes)] laid out back to back."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    length = len(text) if header_length is None else header_length
    return struct.pack("<Q", length) + text + data


def safetensors_seeds():
    f32 = struct.pack("<4f", 1.0, -2.5, 0.0, 3.25)
    write("corpus/safetensors", "f32_matrix", safetensors([("w", "F32", [2, 2], f32)]))
    write("corpus/safetensors", "every_dtype", safetensors([
        ("f64", "F64", [2], struct.pack("<2d", 1.5, -1e300)),
        ("f32", "F32", [1], struct.pack("<f", 7.0)),
        ("f16", "F16", [2], bytes.fromhex("003c00c0")),
        ("bf16", "BF16", [2], bytes.fromhex("803f80bf")),
        ("i64", "I64", [1], struct.pack("<q", -(2 ** 62))),
        ("i32", "I32", [2], struct.pack("<2i", 5, -5)),
        ("i16", "I16", [1], struct.pack("<h", -7)),
        ("i8", "I8", [2], struct.pack("<2b", -128, 127)),
        ("u8", "U8", [2], bytes([0, 255])),
        ("bool", "BOOL", [3], bytes([0, 1, 1])),
    ]))
    write("corpus/safetensors", "metadata_scalar_empty", safetensors(
        [("scalar", "F32", [], struct.pack("<f", 2.0)), ("empty", "F32", [0, 3], b"")],
        metadata={"format": "pt"}))
    write("corpus/safetensors", "empty_header", safetensors([]))
    # The real header of a tiny checkpoint (its data cut off: the parser must say so).
    whole = (DATA / "models" / "tiny-bert" / "model.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", whole[:8])
    write("corpus/safetensors", "tiny_bert_header_only", whole[: 8 + length])
    # Regression: a shape whose running product overflows int64 before a zero dimension made
    # TensorInfo::element_count() overflow (UBSan: signed integer overflow).
    write("regressions/safetensors", "int64_overflow_before_zero_dim",
          safetensors([("w", "U8", [2 ** 62, 2, 0], b"")]))


def config_seeds():
    for model in ["tiny-bert", "tiny-roberta", "tiny-xlmr", "tiny-minilm", "tiny-bert-cls", "tiny-gpt2",
                  "tiny-marian", "tiny-marian-separate", "tiny-bart"]:
        write("corpus/config_json", model, (DATA / "models" / model / "config.json").read_bytes())
    base = json.loads((DATA / "models" / "tiny-bert" / "config.json").read_text())
    for name, change in [("hidden_size_1e9", {"hidden_size": 10 ** 9}),
                         ("hidden_size_string", {"hidden_size": "32"}),
                         ("labels", {"id2label": {"0": "neg", "1": "pos"}, "num_labels": 2})]:
        write("corpus/config_json", name, json.dumps({**base, **change}, indent=1))


def shrink_tokenizer(tokenizer, keep):
    """A consistent cut of a tokenizer.json: the first `keep` vocabulary entries (and the
    special and byte tokens), the merges that stay inside them, the added tokens kept."""
    model = tokenizer["model"]
    if model.get("type") == "Unigram" or isinstance(model.get("vocab"), list):
        model["vocab"] = model["vocab"][:keep]
        if model.get("unk_id") is not None and model["unk_id"] >= keep:
            model["unk_id"] = 0
    else:
        vocab = model["vocab"]
        chosen = {t: i for t, i in vocab.items() if i < keep or t.startswith("<0x") or t.startswith("[")}
        merges = []
        for merge in model.get("merges", []) or []:
            left, right = merge.split(" ") if isinstance(merge, str) else merge
            if left in chosen and right in chosen and left + right in chosen:
                merges.append(merge)
        # Renumber densely so the cut vocabulary has no holes.
        model["vocab"] = {t: n for n, (t, _) in enumerate(sorted(chosen.items(), key=lambda kv: kv[1]))}
        if "merges" in model:
            model["merges"] = merges
    normalizer = tokenizer.get("normalizer") or {}
    for step in [normalizer] + list(normalizer.get("normalizers", [])):
        if step.get("type") == "Precompiled":
            step["precompiled_charsmap"] = None  # 300 KB of base64: fuzzed by its own tests
    ids = {}
    if isinstance(model["vocab"], dict):
        ids = model["vocab"]
    for token in tokenizer.get("added_tokens") or []:
        token["id"] = ids.get(token["content"], token["id"] % max(keep, 1))
    return tokenizer


def tokenizer_seeds():
    for name in ["minilm", "wordpiece", "bpe", "gpt4", "llama", "unigram", "metaspace"]:
        tokenizer = json.loads((DATA / "tokenizer" / name / "tokenizer.json").read_text())
        write("corpus/tokenizer_json", name, json.dumps(shrink_tokenizer(tokenizer, 300), ensure_ascii=False))
    # Regressions: a token id of 2^31-1 made the vocabulary table allocate 2^31 strings, and a
    # fixed padding of 2^40 made every encoding allocate 2^40 ids, before any error.
    small = json.loads((HERE / "corpus" / "tokenizer_json" / "wordpiece").read_text())
    huge_id = json.loads(json.dumps(small))
    huge_id["model"]["vocab"]["zzz"] = 2 ** 31 - 1
    write("regressions/tokenizer_json", "token_id_2e31", json.dumps(huge_id, ensure_ascii=False))
    huge_padding = json.loads(json.dumps(small))
    huge_padding["padding"] = {"strategy": {"Fixed": 2 ** 40}, "direction": "Right", "pad_id": 0, "pad_type_id": 0}
    write("regressions/tokenizer_json", "fixed_padding_2e40", json.dumps(huge_padding, ensure_ascii=False))


def tokenize_seeds():
    corpus = (DATA / "tokenizer" / "corpus.txt").read_bytes().split(b"\n")
    # Every 60th line, plus all the invalid UTF-8 lines.
    chosen = [line for i, line in enumerate(corpus) if i % 60 == 0 and line]
    for line in corpus:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            chosen.append(line)
    for i, line in enumerate(chosen):
        write("corpus/tokenize", f"line{i:03d}", line)
    write("corpus/tokenize", "special_tokens", "[CLS] hello <s> </s> <unk> <mask> [MASK] <|endoftext|>")
    write("corpus/tokenize", "long_word", "a" * 300 + "ü" * 50)


def cli_seeds():
    write("corpus/cli_input", "texts", "\x07Hello world\nHow are you?\r\n\n\xff\xfe bad bytes\n")
    write("corpus/cli_input", "ids", "\x01[101, 7592, 2088, 102]\n[1]\n[]\n[-1]\n[1.5]\n[\"7\"]\n[99999999999]\n")
    write("corpus/cli_input", "nested", "\x05[[[1]]]\n{\"a\": 1}\nnull\n[1, 2\n")
    # Regression: an id line nested deeply enough made the error message's dump() recurse once
    # per level (kept shallow here; the fix is to never echo arrays or objects).
    write("regressions/cli_input", "deeply_nested_ids", "\x3f" + "[" * 3000 + "]" * 3000 + "\n")
    write("regressions/cli_input", "nul_after_array", b"\x02[1, 2]\x00garbage\n")


if __name__ == "__main__":
    safetensors_seeds()
    config_seeds()
    tokenizer_seeds()
    tokenize_seeds()
    cli_seeds()
