"""packformer: fast Transformer inference on Hugging Face model folders, from Python.

    import packformer
    model = packformer.Encoder(".cache/models/all-MiniLM-L6-v2")
    embeddings = model.encode(["Hello world", "How are you!"])   # float32 [2, 384]

Encoder (sentence embeddings, token embeddings, classifier and cross-encoder logits),
Generator (GPT-2, Llama, Mistral, Qwen2/3, Marian, BART) and Translator (Marian, BART) run the
C++ engine with the GIL released; errors are packformer.Error subclasses named after the
engine's error kinds.
See docs/PYTHON.md.
"""

from ._packformer import (
    Error,
    InternalError,
    InvalidInputError,
    InvalidModelError,
    IoError,
    OutOfMemoryError,
    UnsupportedError,
)
from .encoder import Encoder
from .generator import Generator, Translator

__version__ = "0.1.0"

__all__ = [
    "Encoder",
    "Generator",
    "Translator",
    "Error",
    "InvalidModelError",
    "InvalidInputError",
    "UnsupportedError",
    "OutOfMemoryError",
    "IoError",
    "InternalError",
]
