"""Shared paths and readers of the Python package's tests (run by ctest as python_tests, or
`PYTHONPATH=build/python .cache/pyenv/bin/python -m pytest python/tests`)."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

REPO = Path(os.environ.get("PACKFORMER_SOURCE_DIR", Path(__file__).resolve().parents[2]))
DATA = REPO / "tests" / "data"
MODELS = DATA / "models"
GOLDEN = DATA / "golden"
MINILM = REPO / ".cache" / "models" / "all-MiniLM-L6-v2"

_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "F16": np.float16}


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file (the format is a JSON header and raw little-endian
    data; read here so the tests need only numpy)."""
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    base = 8 + header_len
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        out[name] = np.frombuffer(raw[base + start : base + end], dtype=_DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return out


def read_sentences() -> list[str]:
    lines = (DATA / "sentences.txt").read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def split_rows(flat: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    ends = np.cumsum(lengths)
    return [flat[e - n : e] for n, e in zip(lengths, ends)]


@pytest.fixture(scope="session")
def sentences() -> list[str]:
    return read_sentences()


@pytest.fixture(scope="session")
def python_golden() -> dict[str, np.ndarray]:
    return load_safetensors(GOLDEN / "python-api.safetensors")


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    if not (MINILM / "model.safetensors").exists():
        pytest.skip(f"all-MiniLM-L6-v2 is not at {MINILM}: scripts/setup fetches it")
    return MINILM


@pytest.fixture(scope="session")
def minilm(minilm_dir):
    import packformer

    return packformer.Encoder(minilm_dir)
