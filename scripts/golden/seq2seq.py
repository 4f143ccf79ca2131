"""Tiny seeded encoder-decoder models (Marian, BART) and their generation goldens.

Run through scripts/make_golden.py (``seq2seq`` subcommand), never from CI. CPU, float32,
eager attention.

Outputs (paths relative to the repository root):
  tests/data/models/tiny-marian/   MarianMTModel: config.json, model.safetensors,
                                   generation_config.json, source.spm, target.spm, vocab.json,
                                   tokenizer_config.json
  tests/data/models/tiny-bart/     BartForConditionalGeneration: config.json,
                                   model.safetensors, generation_config.json, tokenizer.json
  tests/data/golden/tiny-marian.forward.safetensors, tiny-bart.forward.safetensors
      source ids (right-padded) + mask, teacher-forced decoder ids, encoder hidden states
      and decoder logits (padded positions hold whatever transformers computes there)
  tests/data/golden/tiny-marian.generate.json, tiny-bart.generate.json
      the source ids of each input and, for each search setting, the kwargs given to
      `generate` and the new tokens of every returned sequence (decoder start dropped,
      padding after EOS dropped)

The models' final_logits_bias is random with the EOS entry raised, so that some sequences
end before max_new_tokens and EOS handling is exercised.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO / "tests" / "data" / "models"
GOLDEN_DIR = REPO / "tests" / "data" / "golden"
CORPUS = REPO / "tests" / "data" / "sentences.txt"

SOURCE_LENGTHS = [9, 1, 17, 4, 12]   # one batch, right-padded, lengths include the EOS
TEACHER_LENGTH = 6                   # decoder positions checked by the forward golden
INIT_STD = 0.2
BIAS_STD = 0.1
LN_WEIGHT_STD = 0.1

SEARCHES = [
    ("greedy", dict(do_sample=False, num_beams=1, max_new_tokens=64)),
    ("greedy_no_repeat_3", dict(do_sample=False, num_beams=1, max_new_tokens=40, no_repeat_ngram_size=3)),
    ("beam4", dict(do_sample=False, num_beams=4, max_new_tokens=64, early_stopping=False)),
    ("beam4_early", dict(do_sample=False, num_beams=4, max_new_tokens=48, early_stopping=True,
                         length_penalty=0.6)),
    ("beam4_return2_lp", dict(do_sample=False, num_beams=4, max_new_tokens=32, num_return_sequences=2,
                              length_penalty=1.5, no_repeat_ngram_size=2)),
    ("beam3_never", dict(do_sample=False, num_beams=3, max_new_tokens=24, early_stopping="never")),
]


# ----------------------------------------------------------------------------- tokenizers

def _corpus_lines() -> list[str]:
    return [l for l in CORPUS.read_text(encoding="utf-8").splitlines() if l.strip()]


def _train_spm(prefix: Path, vocab_size: int) -> None:
    import sentencepiece as spm
    spm.SentencePieceTrainer.train(
        input=str(CORPUS), model_prefix=str(prefix), vocab_size=vocab_size, model_type="unigram",
        character_coverage=0.98, num_threads=1, seed_sentencepiece_size=100000,
        shuffle_input_sentence=False, unk_id=1, bos_id=-1, eos_id=0, pad_id=-1,
        unk_piece="<unk>", eos_piece="</s>", minloglevel=2)


def _marian_tokenizer_files(folder: Path) -> int:
    """source.spm / target.spm trained on the test sentences, and the shared vocab.json that
    maps pieces to model ids as Marian's conversion does: </s>=0, <unk>=1, ..., <pad>=last.
    Returns the vocabulary size."""
    import sentencepiece as spm
    with tempfile.TemporaryDirectory() as tmp:
        for name, size in (("source", 260), ("target", 230)):
            _train_spm(Path(tmp) / name, size)
            shutil.copy(Path(tmp) / f"{name}.model", folder / f"{name}.spm")
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for name in ("source", "target"):
        sp = spm.SentencePieceProcessor(model_file=str(folder / f"{name}.spm"))
        for i in range(sp.get_piece_size()):
            vocab.setdefault(sp.id_to_piece(i), len(vocab))
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "MarianTokenizer", "source_lang": "src", "target_lang": "tgt",
        "model_max_length": 64, "separate_vocabs": False}, indent=1))
    return len(vocab)


def _bart_tokenizer(folder: Path) -> int:
    """A byte-level BPE tokenizer.json in BART's layout: <s>=0 <pad>=1 </s>=2 <unk>=3 ... <mask>."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=420, min_frequency=2, show_progress=False,
                                  special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus_lines(), trainer=trainer)
    tok.add_special_tokens(["<mask>"])
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True,
                                                      add_prefix_space=False)
    tok.save(str(folder / "tokenizer.json"))
    return tok.get_vocab_size()


# ----------------------------------------------------------------------------- models

def _randomize(model: torch.nn.Module, seed: int, eos: int, eos_boost: float) -> None:
    """Biases and LayerNorm parameters are constant at init: make them random so they are
    tested; final_logits_bias random with EOS raised so some sequences stop early."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            for p_name, p in mod.named_parameters(recurse=False):
                if isinstance(mod, torch.nn.LayerNorm) and p_name == "weight":
                    p.copy_(1.0 + LN_WEIGHT_STD * torch.randn(p.shape, generator=g))
                elif p_name == "bias":
                    p.copy_(BIAS_STD * torch.randn(p.shape, generator=g))
        flb = model.final_logits_bias
        flb.copy_(0.5 * torch.randn(flb.shape, generator=g))
        flb[0, eos] += eos_boost


def _common_config(vocab: int, pad: int, eos: int, start: int) -> dict:
    return dict(
        vocab_size=vocab, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=128, init_std=INIT_STD, dropout=0.1, attention_dropout=0.1,
        pad_token_id=pad, eos_token_id=eos, decoder_start_token_id=start, forced_eos_token_id=None,
        tie_word_embeddings=True)


def _make_marian(folder: Path, seed: int):
    from transformers import MarianConfig, MarianMTModel
    vocab = _marian_tokenizer_files(folder)
    pad = vocab - 1
    cfg = MarianConfig(**_common_config(vocab, pad, 0, pad), activation_function="swish",
                       scale_embedding=True, share_encoder_decoder_embeddings=True)
    torch.manual_seed(seed)
    model = MarianMTModel(cfg).eval()
    _randomize(model, seed, eos=0, eos_boost=4.9)
    return model


def _make_bart(folder: Path, seed: int):
    from transformers import BartConfig, BartForConditionalGeneration
    vocab = _bart_tokenizer(folder)
    cfg = BartConfig(**_common_config(vocab, 1, 2, 2), bos_token_id=0, activation_function="gelu",
                     scale_embedding=False, forced_bos_token_id=None)
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(cfg).eval()
    _randomize(model, seed, eos=2, eos_boost=2.5)
    return model


def _save(model, folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        for name in ("config.json", "model.safetensors", "generation_config.json"):
            if (Path(tmp) / name).exists():
                shutil.copy(Path(tmp) / name, folder / name)


# ----------------------------------------------------------------------------- goldens

def _sources(vocab: int, pad: int, eos: int, low: int, seed: int) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for n in SOURCE_LENGTHS:
        ids = torch.randint(low, vocab, (n,), generator=g).tolist()
        ids = [t if t != pad else low for t in ids]
        ids[-1] = eos
        out.append(ids)
    return out


def _pad_right(seqs: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), pad, dtype=torch.int64)
    mask = torch.zeros((len(seqs), T), dtype=torch.int64)
    for b, s in enumerate(seqs):
        ids[b, :len(s)] = torch.tensor(s)
        mask[b, :len(s)] = 1
    return ids, mask


@torch.no_grad()
def _forward_golden(model, name: str, sources: list[list[int]], seed: int) -> None:
    cfg = model.config
    ids, mask = _pad_right(sources, cfg.pad_token_id)
    g = torch.Generator().manual_seed(seed + 1)
    dec = torch.randint(3, cfg.vocab_size - 1, (len(sources), TEACHER_LENGTH), generator=g)
    dec[:, 0] = cfg.decoder_start_token_id
    out = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec, return_dict=True)
    # Each source alone must give the batch's logits: padding does not leak.
    worst = 0.0
    for b, s in enumerate(sources):
        one = model(input_ids=torch.tensor([s]), decoder_input_ids=dec[b:b + 1], return_dict=True)
        worst = max(worst, float((one.logits[0] - out.logits[b]).abs().max()))
    assert worst < 1e-4, f"{name}: padded vs alone differ by {worst}"
    save_file({
        "input_ids": ids.to(torch.int32).contiguous(),
        "attention_mask": mask.to(torch.int32).contiguous(),
        "decoder_input_ids": dec.to(torch.int32).contiguous(),
        "encoder_last_hidden_state": out.encoder_last_hidden_state.float().contiguous(),
        "logits": out.logits.float().contiguous(),
    }, str(GOLDEN_DIR / f"{name}.forward.safetensors"))


def _strip(seq: list[int], start: int, eos: int, pad: int) -> list[int]:
    assert seq[0] == start
    seq = seq[1:]
    if eos in seq:
        seq = seq[:seq.index(eos) + 1]
    while seq and seq[-1] == pad and pad != eos:
        seq.pop()
    return seq


@torch.no_grad()
def _generate_golden(model, name: str, sources: list[list[int]]) -> None:
    cfg = model.config
    ids, mask = _pad_right(sources, cfg.pad_token_id)
    cases = []
    for case, kwargs in SEARCHES:
        full = dict(kwargs, pad_token_id=cfg.pad_token_id, eos_token_id=cfg.eos_token_id,
                    decoder_start_token_id=cfg.decoder_start_token_id)
        seqs = model.generate(input_ids=ids, attention_mask=mask, **full).tolist()
        new = [_strip(s, cfg.decoder_start_token_id, cfg.eos_token_id, cfg.pad_token_id) for s in seqs]
        n_ret = kwargs.get("num_return_sequences", 1)
        grouped = [new[i * n_ret:(i + 1) * n_ret] for i in range(len(sources))]
        ended = sum(1 for s in new if s and s[-1] == cfg.eos_token_id)
        print(f"  {name} {case}: {ended}/{len(new)} sequences end with EOS, lengths {[len(s) for s in new]}")
        cases.append({"name": case, "kwargs": full, "outputs": grouped})
    doc = {
        "model": f"tests/data/models/{name}",
        "note": "outputs[i][r]: the new tokens of returned sequence r for source i, decoder start "
                "token dropped, padding after EOS dropped (EOS kept when generated)",
        "sources": sources,
        "cases": cases,
    }
    text = json.dumps(doc, indent=1)
    # Token lists on one line each, so the file reads (and diffs) as one sequence per line.
    text = re.sub(r"\[\s+([-\d,\s]+?)\s+\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)
    (GOLDEN_DIR / f"{name}.generate.json").write_text(text + "\n", encoding="utf-8")


def make_seq2seq() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name, make, seed, low in (("tiny-marian", _make_marian, 2001, 2), ("tiny-bart", _make_bart, 2002, 4)):
        folder = MODELS_DIR / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        model = make(folder, seed)
        _save(model, folder)
        from transformers import AutoModelForSeq2SeqLM
        model = AutoModelForSeq2SeqLM.from_pretrained(str(folder), dtype=torch.float32,
                                                      attn_implementation="eager").eval()
        cfg = model.config
        sources = _sources(cfg.vocab_size, cfg.pad_token_id, cfg.eos_token_id, low, seed)
        _forward_golden(model, name, sources, seed)
        _generate_golden(model, name, sources)
        print(f"{name}: vocab {cfg.vocab_size}, files in {folder.relative_to(REPO)}")
