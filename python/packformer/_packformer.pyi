"""Type stubs of the native core packformer._packformer (use the packformer module's classes;
these are their building blocks)."""

from typing import Callable, Literal, Optional, Sequence, Union

import numpy as np

class Error(Exception):
    """Base class of every error packformer raises; str() is the engine's message."""

class InvalidModelError(Error):
    """A model file is missing, malformed or inconsistent; the message names the file and field."""

class InvalidInputError(Error, ValueError):
    """An input or option is not acceptable; the message names it."""

class UnsupportedError(Error):
    """Well-formed, but not something packformer implements."""

class OutOfMemoryError(Error):
    """A call needs more memory than its limit (max_memory) or than is available."""

class IoError(Error, OSError):
    """Reading or writing a file failed."""

class InternalError(Error):
    """A bug in packformer."""

Progress = Optional[Callable[[int, int], None]]

class _Encoder:
    def __init__(
        self,
        path: str,
        device: str,
        dtype: str,
        threads: Optional[int],
        sessions: int,
        execution_path: str,
        sparsity: bool,
        max_memory: Optional[int],
    ) -> None: ...
    @property
    def info(self) -> dict: ...
    def tokenize(self, texts: Sequence[str], max_length: int) -> list[list[int]]: ...
    def prompt_text(self, prompt_name: str, prompt: str) -> str: ...
    def tokenize_pairs(
        self, pairs: Sequence[tuple[str, str]], max_length: int
    ) -> tuple[list[list[int]], list[list[int]]]: ...
    def run_pairs(
        self,
        pairs: Sequence[tuple[str, str]],
        output: str,
        batch_size: int,
        max_batch_tokens: int,
        normalize: bool,
        max_length: int,
        progress: Progress,
    ) -> Union[np.ndarray, list[np.ndarray]]: ...
    def run_texts(
        self,
        texts: Sequence[str],
        output: str,
        batch_size: int,
        max_batch_tokens: int,
        normalize: bool,
        max_length: int,
        progress: Progress,
    ) -> Union[np.ndarray, list[np.ndarray]]: ...
    def run_ids(
        self,
        ids: Sequence[Sequence[int]],
        type_ids: Optional[Sequence[Sequence[int]]],
        output: str,
        batch_size: int,
        max_batch_tokens: int,
        normalize: bool,
        progress: Progress,
    ) -> Union[np.ndarray, list[np.ndarray]]: ...

class _GenerationOptions:
    max_new_tokens: int
    do_sample: bool
    temperature: float
    top_k: int
    top_p: float
    seed: int
    repetition_penalty: float
    no_repeat_ngram_size: int
    num_beams: int
    length_penalty: float
    early_stopping: Union[bool, Literal["never"]]
    num_return_sequences: int
    eos_token_ids: Optional[list[int]]
    forced_bos_token_id: Optional[int]
    forced_eos_token_id: Optional[int]
    bad_token_ids: Optional[list[int]]
    def __init__(self) -> None: ...

TokenCallback = Optional[Callable[[int, int, int], None]]

class _TokenStream:
    def __iter__(self) -> "_TokenStream": ...
    def __next__(self) -> int: ...

class _Generator:
    def __init__(
        self, path: str, threads: Optional[int], sessions: int, max_memory: Optional[int], dtype: str
    ) -> None: ...
    def generate(
        self, prompts: Sequence[Sequence[int]], options: _GenerationOptions, callback: TokenCallback
    ) -> list[list[list[int]]]: ...
    def generate_text(
        self, texts: Sequence[str], options: _GenerationOptions, callback: TokenCallback
    ) -> list[list[str]]: ...
    def tokenize(self, texts: Sequence[str]) -> list[list[int]]: ...
    def decode(self, ids: Sequence[int], skip_special_tokens: bool) -> str: ...
    def stream(self, prompt: Sequence[int], options: _GenerationOptions) -> _TokenStream: ...
    @property
    def model_type(self) -> str: ...
    @property
    def vocab_size(self) -> int: ...
    @property
    def input_vocab_size(self) -> int: ...
    @property
    def max_positions(self) -> int: ...
    @property
    def eos_token_ids(self) -> list[int]: ...
    @property
    def is_encoder_decoder(self) -> bool: ...
    @property
    def sessions(self) -> int: ...
