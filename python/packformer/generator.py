"""packformer.Generator and packformer.Translator: transformers' generate() semantics (greedy,
sampling, beam search) on GPT-2, Llama, Mistral, Qwen2/3, Marian and BART folders."""

from __future__ import annotations

import os
from typing import Callable, Iterator, Literal, Optional, Sequence, Union

from . import _packformer
from .encoder import _is_ids

Prompt = Union[str, Sequence[int]]
TokenCallback = Callable[[int, int, int], None]


def _options(
    max_new_tokens: int = 20,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_k: int = 50,
    top_p: float = 1.0,
    seed: int = 0,
    repetition_penalty: float = 1.0,
    no_repeat_ngram_size: int = 0,
    num_beams: int = 1,
    length_penalty: float = 1.0,
    early_stopping: Union[bool, Literal["never"]] = False,
    num_return_sequences: int = 1,
    eos_token_id: Union[int, Sequence[int], None] = None,
    forced_bos_token_id: Optional[int] = None,
    forced_eos_token_id: Optional[int] = None,
    bad_words_ids: Optional[Sequence[Sequence[int]]] = None,
) -> _packformer._GenerationOptions:
    o = _packformer._GenerationOptions()
    o.max_new_tokens = max_new_tokens
    o.do_sample = do_sample
    o.temperature = temperature
    o.top_k = top_k
    o.top_p = top_p
    o.seed = seed
    o.repetition_penalty = repetition_penalty
    o.no_repeat_ngram_size = no_repeat_ngram_size
    o.num_beams = num_beams
    o.length_penalty = length_penalty
    o.early_stopping = early_stopping
    o.num_return_sequences = num_return_sequences
    if eos_token_id is not None:
        o.eos_token_ids = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id)
    o.forced_bos_token_id = forced_bos_token_id
    o.forced_eos_token_id = forced_eos_token_id
    if bad_words_ids is not None:
        banned = []
        for words in bad_words_ids:
            if len(words) != 1:
                raise _packformer.UnsupportedError(
                    f"bad_words_ids: only single-token entries are supported, got {list(words)}"
                )
            banned.append(int(words[0]))
        o.bad_token_ids = banned
    return o


class Generator:
    """A text-generation model folder (GPT-2, Llama, Mistral, Qwen2, Qwen3; Marian and BART
    too) loaded once (docs/GENERATION.md).

    Args:
        path: the Hugging Face model folder (config.json, model.safetensors, tokenizer).
        threads: threads in all (default: every core).
        sessions: how many generate calls run at the same time (each with threads // sessions
            threads and its own KV cache; weights shared).
        max_memory: most bytes one call may allocate (KV cache, activations); default half the RAM.
        dtype: precision of every Linear layer, the LM head included: "fp32", "bf16" or "int8"
            (docs/ENGINE.md "Precision").
    """

    def __init__(
        self,
        path: Union[str, os.PathLike],
        threads: Optional[int] = None,
        sessions: int = 1,
        max_memory: Optional[int] = None,
        dtype: str = "fp32",
    ) -> None:
        self._native = _packformer._Generator(os.fspath(path), threads, sessions, max_memory, dtype)
        self.path = os.fspath(path)

    @property
    def model_type(self) -> str:
        return self._native.model_type

    @property
    def is_encoder_decoder(self) -> bool:
        return self._native.is_encoder_decoder

    @property
    def eos_token_ids(self) -> list[int]:
        """The folder's EOS ids (generation_config.json, else config.json)."""
        return self._native.eos_token_ids

    def tokenize(self, texts: Union[str, Sequence[str]]) -> Union[list[int], list[list[int]]]:
        """Prompt ids as generate() makes them from texts (the tokenizer's defaults)."""
        if isinstance(texts, str):
            return self._native.tokenize([texts])[0]
        return self._native.tokenize(list(texts))

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return self._native.decode(list(ids), skip_special_tokens)

    def generate(
        self,
        prompts: Union[Prompt, Sequence[Prompt]],
        max_new_tokens: int = 20,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_k: int = 50,
        top_p: float = 1.0,
        seed: int = 0,
        repetition_penalty: float = 1.0,
        no_repeat_ngram_size: int = 0,
        num_beams: int = 1,
        length_penalty: float = 1.0,
        early_stopping: Union[bool, Literal["never"]] = False,
        num_return_sequences: int = 1,
        eos_token_id: Union[int, Sequence[int], None] = None,
        forced_bos_token_id: Optional[int] = None,
        forced_eos_token_id: Optional[int] = None,
        bad_words_ids: Optional[Sequence[Sequence[int]]] = None,
        callback: Optional[TokenCallback] = None,
    ) -> Union[list[str], list[list[int]]]:
        """Generates as transformers' model.generate() does, with the same keyword names.

        Args:
            prompts: a text or a list of texts (the new tokens come back decoded, special
                tokens skipped), or token ids: a list of ints or a list of such lists (the new
                token ids come back, EOS included when generated). For Marian / BART the
                prompts are the sources and the output is the translation.
            eos_token_id, forced_bos_token_id, forced_eos_token_id, bad_words_ids: None =
                the folder's (generation_config.json); bad_words_ids entries of one token only.
            callback: callback(prompt_index, sequence_index, token_id) for each token as soon
                as it is final (each step for greedy search and sampling; at the end of a
                prompt's search for beam search). Raising in it stops the generation.

        Returns:
            The new sequences, num_return_sequences per prompt, prompt after prompt (as
            transformers' flat output): texts for text prompts, id lists for id prompts.
            Ctrl-C stops the generation at the next token with KeyboardInterrupt.
        """
        options = _options(
            max_new_tokens, do_sample, temperature, top_k, top_p, seed, repetition_penalty,
            no_repeat_ngram_size, num_beams, length_penalty, early_stopping, num_return_sequences,
            eos_token_id, forced_bos_token_id, forced_eos_token_id, bad_words_ids,
        )
        single = isinstance(prompts, str) or _is_ids(prompts)
        items = [prompts] if single else list(prompts)
        if items and all(isinstance(p, str) for p in items):
            nested = self._native.generate_text(items, options, callback)
        elif all(_is_ids(p) for p in items):
            nested = self._native.generate([[int(t) for t in p] for p in items], options, callback)
        else:
            raise _packformer.InvalidInputError(
                "prompts: expected a text, a list of texts, a list of token ids or a list of such lists"
            )
        return [sequence for per_prompt in nested for sequence in per_prompt]

    def stream(self, prompt: Prompt, **options) -> Iterator[Union[str, int]]:
        """Yields one prompt's generation as it goes: text pieces for a text prompt (pieces
        are held back while they end inside a character), token ids for an id prompt.
        Takes generate()'s keyword arguments except callback and num_return_sequences > 1.
        Dropping the iterator stops the generation."""
        native_options = _options(**options)
        if isinstance(prompt, str):
            return self._stream_text(self._native.tokenize([prompt])[0], native_options)
        if not _is_ids(prompt):
            raise _packformer.InvalidInputError("prompt: expected a text or a list of token ids")
        return iter(self._native.stream([int(t) for t in prompt], native_options))

    def _stream_text(self, ids: list[int], options) -> Iterator[str]:
        tokens = self._native.stream(ids, options)
        generated: list[int] = []
        emitted = ""
        for token in tokens:
            generated.append(token)
            text = self._native.decode(generated, True)
            # Decoding the prefix of a sequence may end in a partial character (U+FFFD) or
            # change earlier text (a merged space): emit only what is final so far.
            if text.startswith(emitted) and not text.endswith("\ufffd") and len(text) > len(emitted):
                yield text[len(emitted):]
                emitted = text
        text = self._native.decode(generated, True)
        if text.startswith(emitted) and len(text) > len(emitted):
            yield text[len(emitted):]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, model_type={self.model_type!r})"


class Translator(Generator):
    """An encoder-decoder translation model (Marian, BART): generate() with sources as prompts.

    Raises UnsupportedError for a decoder-only folder (use Generator)."""

    def __init__(
        self,
        path: Union[str, os.PathLike],
        threads: Optional[int] = None,
        sessions: int = 1,
        max_memory: Optional[int] = None,
        dtype: str = "fp32",
    ) -> None:
        super().__init__(path, threads, sessions, max_memory, dtype)
        if not self.is_encoder_decoder:
            raise _packformer.UnsupportedError(
                f"{self.path}: a {self.model_type} model is not an encoder-decoder (Marian, BART): use packformer.Generator"
            )

    def translate(self, sources: Union[Prompt, Sequence[Prompt]], **options) -> Union[list[str], list[list[int]]]:
        """The translations of `sources` (texts or source ids); generate()'s keyword arguments."""
        return self.generate(sources, **options)
