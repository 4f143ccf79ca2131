"""Generation goldens: a tiny seeded random GPT-2 and transformers' `generate` on it.

Run through scripts/make_golden.py (``generation`` subcommand). CPU, float32, eager attention.

Outputs (relative to the repository root):
  tests/data/models/tiny-gpt2/                   GPT2LMHeadModel folder + a byte-level BPE
                                                 tokenizer.json trained on tests/data/sentences.txt
                                                 and tests/data/tokenizer/corpus.txt
  tests/data/golden/tiny-gpt2-logits.safetensors logits of every prompt position, each prompt
                                                 run alone (no padding): packed [tokens, vocab]
  tests/data/golden/tiny-gpt2-generate.json      generate() results: for each case its options
                                                 and, per prompt, the new tokens (pads stripped)

Batches are left-padded, as transformers needs for decoder-only models; the goldens record
the unpadded prompts and each row's new tokens up to and including EOS. Every batched result
is checked against the same prompt generated alone (transformers derives position ids from
the attention mask, so the two must agree); a mismatch aborts.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO / "tests" / "data" / "models" / "tiny-gpt2"
GOLDEN_DIR = REPO / "tests" / "data" / "golden"
SENTENCES = REPO / "tests" / "data" / "sentences.txt"

SEED = 2001
VOCAB = 512
CONFIG = dict(n_embd=48, n_layer=2, n_head=4, n_positions=128, n_inner=None, activation_function="gelu_new",
              layer_norm_epsilon=1e-5, initializer_range=0.2, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
PROMPT_LENGTHS = [5, 1, 12, 3, 9, 17]
MAX_NEW = 64
TEXTS = ["The quick brown fox", "Hello, world!", "Transformers process tokens in parallel"]


def _train_tokenizer(out: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    corpus = (REPO / "tests" / "data" / "tokenizer" / "corpus.txt").read_bytes().decode("utf-8", errors="replace")
    lines = [l for l in (SENTENCES.read_text(encoding="utf-8") + "\n" + corpus).split("\n") if l]
    tok.train_from_iterator(lines, trainer=trainer)
    assert tok.get_vocab_size() == VOCAB, tok.get_vocab_size()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                   unk_token="<|endoftext|>")
    fast.save_pretrained(str(out))


def _randomize(model: torch.nn.Module, seed: int) -> None:
    """Biases and LayerNorm parameters are constant at init: make them random so they are tested."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            for name, p in mod.named_parameters(recurse=False):
                if isinstance(mod, torch.nn.LayerNorm) and name == "weight":
                    p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
                elif name == "bias":
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))


def _load():
    from transformers import GPT2LMHeadModel
    return GPT2LMHeadModel.from_pretrained(str(MODEL_DIR), dtype=torch.float32, attn_implementation="eager").eval()


@torch.no_grad()
def _generate(model, prompts: list[list[int]], eos: int, **kw) -> list[list[list[int]]]:
    """generate() on a left-padded batch; per prompt, its returned sequences' new tokens."""
    n = len(prompts)
    width = max(len(p) for p in prompts)
    ids = torch.full((n, width), eos, dtype=torch.int64)
    mask = torch.zeros((n, width), dtype=torch.int64)
    for i, p in enumerate(prompts):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    out = model.generate(input_ids=ids, attention_mask=mask, pad_token_id=eos, eos_token_id=eos,
                         max_new_tokens=kw.pop("max_new_tokens", MAX_NEW), **kw)
    per_row = kw.get("num_return_sequences", 1)
    results: list[list[list[int]]] = [[] for _ in prompts]
    for r in range(out.shape[0]):
        new = out[r, width:].tolist()
        if eos in new:
            new = new[:new.index(eos) + 1]
        results[r // per_row].append(new)
    return results


def _pick_eos(model, prompts) -> int:
    """A token greedy decoding reaches mid-way in some rows but not all, so some rows stop early."""
    runs = _generate(model, prompts, eos=0, do_sample=False, num_beams=1)   # 0 = <|endoftext|>
    first_seen: dict[int, list[int]] = {}   # token -> its first position in each row that has it
    for rows in runs:
        seq = rows[0]
        for tok in set(seq):
            first_seen.setdefault(tok, []).append(seq.index(tok))
    in_prompts = {t for p in prompts for t in p}
    best, best_key = None, None
    for tok, positions in first_seen.items():
        if tok in in_prompts or tok == 0:
            continue
        early = sum(1 for p in positions if 3 <= p <= 40)
        # Some rows stop early, at least one row never sees it (runs to max_new_tokens).
        if len(positions) < len(prompts) and early >= 2:
            key = (early, -tok)
            if best_key is None or key > best_key:
                best, best_key = tok, key
    assert best is not None, "no suitable EOS token found; change SEED"
    return best


CASES = [
    ("greedy", dict(do_sample=False, num_beams=1)),
    ("greedy_repetition_penalty", dict(do_sample=False, num_beams=1, repetition_penalty=1.3)),
    ("greedy_no_repeat_ngram", dict(do_sample=False, num_beams=1, no_repeat_ngram_size=2)),
    ("beam4", dict(do_sample=False, num_beams=4)),
    ("beam4_lp_early", dict(do_sample=False, num_beams=4, length_penalty=0.6, early_stopping=True)),
    ("beam4_lp_late", dict(do_sample=False, num_beams=4, length_penalty=1.5, early_stopping=False)),
    ("beam4_never", dict(do_sample=False, num_beams=4, length_penalty=1.2, early_stopping="never")),
    ("beam4_return2", dict(do_sample=False, num_beams=4, num_return_sequences=2, length_penalty=0.8)),
    ("beam4_ngram2", dict(do_sample=False, num_beams=4, no_repeat_ngram_size=2)),
    ("beam3_short", dict(do_sample=False, num_beams=3, max_new_tokens=7)),
]

# Repetition penalty also hits the left pads (=EOS) of shorter rows in a padded batch, so that
# case is generated one prompt at a time (the semantics packformer implements).
ALONE_ONLY = {"greedy_repetition_penalty"}


def make_generation() -> None:
    import tokenizers
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    if MODEL_DIR.exists():
        shutil.rmtree(MODEL_DIR)
    MODEL_DIR.mkdir(parents=True)
    _train_tokenizer(MODEL_DIR)

    torch.manual_seed(SEED)
    config = GPT2Config(vocab_size=VOCAB, bos_token_id=0, eos_token_id=0, **CONFIG)
    config.architectures = ["GPT2LMHeadModel"]
    model = GPT2LMHeadModel(config).eval()
    _randomize(model, SEED + 1)

    g = torch.Generator().manual_seed(SEED + 2)
    prompts = [torch.randint(1, VOCAB, (n,), generator=g).tolist() for n in PROMPT_LENGTHS]
    eos = _pick_eos(model, prompts)
    model.config.eos_token_id = eos
    model.generation_config.eos_token_id = eos
    model.generation_config.bos_token_id = 0
    model.save_pretrained(str(MODEL_DIR))
    model = _load()

    # Logits of every position, each prompt alone.
    logits, lengths = [], []
    with torch.no_grad():
        for p in prompts:
            logits.append(model(input_ids=torch.tensor([p])).logits[0].float())
            lengths.append(len(p))
    save_file({"logits": torch.cat(logits).contiguous(), "lengths": torch.tensor(lengths, dtype=torch.int64),
               "ids": torch.tensor([t for p in prompts for t in p], dtype=torch.int64)},
              str(GOLDEN_DIR / "tiny-gpt2-logits.safetensors"),
              metadata={"source": "scripts/make_golden.py generation", "transformers": transformers.__version__,
                        "torch": torch.__version__})

    cases = []
    for name, kw in CASES:
        options = dict(kw)
        alone = [_generate(model, [p], eos, **dict(kw))[0] for p in prompts]
        if name in ALONE_ONLY:
            batched = alone
        else:
            batched = _generate(model, prompts, eos, **dict(kw))
            if batched != alone:
                bad = [i for i in range(len(prompts)) if batched[i] != alone[i]]
                raise SystemExit(f"error: case {name}: batched != alone for prompts {bad}")
        stopped = sum(1 for rows in batched for s in rows if s and s[-1] == eos)
        total = sum(len(rows) for rows in batched)
        print(f"   {name}: {stopped}/{total} sequences end with EOS, lengths "
              f"{[len(s) for rows in batched for s in rows]}")
        options.setdefault("max_new_tokens", MAX_NEW)
        cases.append({"name": name, "options": options, "new_tokens": batched})

    # Text prompts through the tokenizer, greedy, decoded as the CLI prints them.
    tok = transformers.AutoTokenizer.from_pretrained(str(MODEL_DIR))
    text_ids = [tok(t, add_special_tokens=False)["input_ids"] for t in TEXTS]
    text_new = _generate(model, text_ids, eos, do_sample=False, num_beams=1, max_new_tokens=20)
    texts = [{"text": t, "prompt": ids, "new_tokens": rows[0],
              "decoded": tok.decode(rows[0], skip_special_tokens=True)}
             for t, ids, rows in zip(TEXTS, text_ids, text_new)]

    golden = {"source": "scripts/make_golden.py generation", "model": "tiny-gpt2", "eos_token_id": eos,
              "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                           "tokenizers": tokenizers.__version__},
              "prompts": prompts, "cases": cases, "texts": texts}
    (GOLDEN_DIR / "tiny-gpt2-generate.json").write_text(json.dumps(golden, indent=1) + "\n")
    size = sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file())
    print(f"== tiny-gpt2: eos {eos}, prompts {[len(p) for p in prompts]}, folder {size} bytes")
