"""Llama-style decoder goldens: tiny seeded random llama, mistral, qwen2 and qwen3 models and
transformers' logits and `generate` on them, plus the RoPE inverse frequencies of each rope type.

Run through scripts/make_golden.py (``llama`` subcommand). CPU, float32, eager attention.

Outputs (relative to the repository root), for NAME in tiny-llama, tiny-mistral, tiny-qwen2, tiny-qwen3:
  tests/data/models/NAME/                    *ForCausalLM folder (config.json, generation_config.json,
                                             model.safetensors); no tokenizer (prompts are ids)
  tests/data/golden/NAME-logits.safetensors  logits of every prompt position, each prompt run alone
                                             (no padding): packed [tokens, vocab], with ids and lengths
  tests/data/golden/NAME-generate.json       generate() results (greedy, beam 4): options and, per
                                             prompt, the new tokens (pads stripped)
  tests/data/golden/rope-inv-freq.json       per rope configuration: transformers' inverse frequencies
                                             and attention scaling (ROPE_INIT_FUNCTIONS)

What each model exercises (see MODELS): tiny-llama grouped-query attention (4 heads, 2 key/value
heads) and llama3 rope scaling, its own lm_head; tiny-mistral a sliding window (8) shorter than
the prompts + new tokens, linear rope scaling; tiny-qwen2 q/k/v biases, tied embeddings and a
sliding window (6) on layer 1 only (use_sliding_window, max_window_layers); tiny-qwen3 q_norm /
k_norm, an explicit head_dim (24, not hidden_size / heads = 16), one key/value head, yarn rope.
Batches are left-padded (transformers derives positions from the attention mask) and every batched
result is checked against the prompt generated alone; a mismatch aborts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

from golden.generation import _generate, _pick_eos

REPO = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO / "tests" / "data" / "models"
GOLDEN_DIR = REPO / "tests" / "data" / "golden"

SEED = 3001
VOCAB = 384
PROMPT_LENGTHS = [5, 1, 12, 3, 9, 17]
MAX_NEW = 64
COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
              max_position_embeddings=128, hidden_act="silu", rms_norm_eps=1e-6, initializer_range=0.2,
              attention_dropout=0.0, bos_token_id=1, eos_token_id=2)

MODELS = {
    "tiny-llama": ("LlamaConfig", "LlamaForCausalLM", dict(
        num_key_value_heads=2, tie_word_embeddings=False,
        rope_parameters=dict(rope_type="llama3", rope_theta=10000.0, factor=8.0, low_freq_factor=1.0,
                             high_freq_factor=4.0, original_max_position_embeddings=32))),
    "tiny-mistral": ("MistralConfig", "MistralForCausalLM", dict(
        num_key_value_heads=2, tie_word_embeddings=False, sliding_window=8,
        rope_parameters=dict(rope_type="linear", rope_theta=10000.0, factor=2.0))),
    "tiny-qwen2": ("Qwen2Config", "Qwen2ForCausalLM", dict(
        num_key_value_heads=2, tie_word_embeddings=True, use_sliding_window=True, sliding_window=6,
        max_window_layers=1, rope_parameters=dict(rope_type="default", rope_theta=1000000.0))),
    "tiny-qwen3": ("Qwen3Config", "Qwen3ForCausalLM", dict(
        num_key_value_heads=1, head_dim=24, tie_word_embeddings=False,
        rope_parameters=dict(rope_type="yarn", rope_theta=1000000.0, factor=4.0,
                             original_max_position_embeddings=32))),
}

CASES = [
    ("greedy", dict(do_sample=False, num_beams=1)),
    ("beam4", dict(do_sample=False, num_beams=4)),
]

# RoPE configurations for the inverse-frequency goldens (head_dim 16 unless stated).
ROPE_CASES = [
    ("default", dict(rope_type="default", rope_theta=10000.0)),
    ("default_theta1e6_dim24", dict(rope_type="default", rope_theta=1000000.0), 24),
    ("linear", dict(rope_type="linear", rope_theta=10000.0, factor=4.0)),
    ("dynamic", dict(rope_type="dynamic", rope_theta=10000.0, factor=2.0)),
    ("llama3", dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                    original_max_position_embeddings=64)),
    ("llama3_dim128", dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
                           high_freq_factor=4.0, original_max_position_embeddings=8192), 128),
    ("yarn", dict(rope_type="yarn", rope_theta=10000.0, factor=4.0, original_max_position_embeddings=32)),
    ("yarn_mscale", dict(rope_type="yarn", rope_theta=10000.0, factor=8.0, original_max_position_embeddings=16,
                         mscale=0.707, mscale_all_dim=1.0, beta_fast=16.0, beta_slow=2.0)),
    ("yarn_attention_factor_no_truncate", dict(rope_type="yarn", rope_theta=10000.0, factor=2.0,
                                               original_max_position_embeddings=64, attention_factor=0.9,
                                               truncate=False)),
]


def _randomize_norms(model: torch.nn.Module, seed: int) -> None:
    """RMSNorm weights are ones and biases zeros at init: make them random so they are tested."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def _make_model(name: str, prompts: list[list[int]], index: int):
    import transformers
    config_class, model_class, extra = MODELS[name]
    model_dir = MODELS_DIR / name
    if model_dir.exists():
        shutil.rmtree(model_dir)
    torch.manual_seed(SEED + 10 * index)
    config = getattr(transformers, config_class)(**COMMON, **extra)
    config.architectures = [model_class]
    model = getattr(transformers, model_class)(config).eval()
    _randomize_norms(model, SEED + 10 * index + 1)
    eos = _pick_eos(model, prompts)
    model.config.eos_token_id = eos
    model.generation_config.eos_token_id = eos
    model.generation_config.bos_token_id = 1
    model.save_pretrained(str(model_dir))
    loaded = getattr(transformers, model_class).from_pretrained(str(model_dir), dtype=torch.float32,
                                                                attn_implementation="eager").eval()
    return loaded, eos


def _goldens(name: str, model, eos: int, prompts: list[list[int]]) -> None:
    import transformers
    logits, lengths = [], []
    with torch.no_grad():
        for p in prompts:
            logits.append(model(input_ids=torch.tensor([p])).logits[0].float())
            lengths.append(len(p))
    all_logits = torch.cat(logits).contiguous()
    save_file({"logits": all_logits, "lengths": torch.tensor(lengths, dtype=torch.int64),
               "ids": torch.tensor([t for p in prompts for t in p], dtype=torch.int64)},
              str(GOLDEN_DIR / f"{name}-logits.safetensors"),
              metadata={"source": "scripts/make_golden.py llama", "transformers": transformers.__version__,
                        "torch": torch.__version__})
    cases = []
    for case, kw in CASES:
        alone = [_generate(model, [p], eos, **dict(kw))[0] for p in prompts]
        batched = _generate(model, prompts, eos, **dict(kw))
        if batched != alone:
            bad = [i for i in range(len(prompts)) if batched[i] != alone[i]]
            raise SystemExit(f"error: {name} case {case}: batched != alone for prompts {bad}")
        stopped = sum(1 for rows in batched for s in rows if s and s[-1] == eos)
        print(f"   {name} {case}: {stopped}/{len(batched)} end with EOS, lengths "
              f"{[len(s) for rows in batched for s in rows]}")
        options = dict(kw)
        options.setdefault("max_new_tokens", MAX_NEW)
        cases.append({"name": case, "options": options, "new_tokens": batched})
    golden = {"source": "scripts/make_golden.py llama", "model": name, "eos_token_id": eos,
              "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
              "prompts": prompts, "cases": cases}
    (GOLDEN_DIR / f"{name}-generate.json").write_text(json.dumps(golden, indent=1) + "\n")
    size = sum(p.stat().st_size for p in (MODELS_DIR / name).rglob("*") if p.is_file())
    print(f"== {name}: eos {eos}, logits std {all_logits.std():.3f} max {all_logits.abs().max():.3f}, "
          f"folder {size} bytes")


def _rope_goldens() -> None:
    import transformers
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    out = []
    for case in ROPE_CASES:
        name, params = case[0], case[1]
        head_dim = case[2] if len(case) > 2 else 16
        config = transformers.LlamaConfig(hidden_size=head_dim * 2, num_attention_heads=2,
                                          max_position_embeddings=128, rope_parameters=dict(params))
        if params["rope_type"] == "default":
            inv_freq, scaling = transformers.models.llama.modeling_llama.LlamaRotaryEmbedding \
                .compute_default_rope_parameters(config)
        else:
            inv_freq, scaling = ROPE_INIT_FUNCTIONS[params["rope_type"]](config)
        out.append({"name": name, "head_dim": head_dim, "max_position_embeddings": 128, "rope_parameters": params,
                    "inv_freq": [float(v) for v in inv_freq.tolist()], "attention_scaling": float(scaling)})
    golden = {"source": "scripts/make_golden.py llama", "transformers": transformers.__version__, "cases": out}
    (GOLDEN_DIR / "rope-inv-freq.json").write_text(json.dumps(golden, indent=1) + "\n")
    print(f"== rope-inv-freq.json: {len(out)} cases")


def make_llama() -> None:
    g = torch.Generator().manual_seed(SEED)
    prompts = [torch.randint(3, VOCAB, (n,), generator=g).tolist() for n in PROMPT_LENGTHS]
    for index, name in enumerate(MODELS):
        model, eos = _make_model(name, prompts, index)
        _goldens(name, model, eos, prompts)
    _rope_goldens()
