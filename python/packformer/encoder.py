"""packformer.Encoder: sentence-transformers' encode() and CrossEncoder's predict() semantics
over the C++ engine (BERT, RoBERTa, XLM-R, DistilBERT, MPNet, MiniLM sentence encoders)."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterable, Literal, Optional, Sequence, Union, overload

import numpy as np

from . import _packformer

TextOrIds = Union[str, Sequence[int]]
OutputValue = Literal["sentence_embedding", "token_embeddings", "pooler_output"]


def _is_ids(value: Any) -> bool:
    """A sequence of token ids (a list of ints or an integer NumPy array), not a text."""
    if isinstance(value, np.ndarray):
        return value.ndim == 1 and np.issubdtype(value.dtype, np.integer)
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    return False


def _is_pair(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _progress_printer(enabled: Optional[bool]) -> Optional[Callable[[int, int], None]]:
    if not enabled:
        return None

    def show(done: int, total: int) -> None:
        sys.stderr.write(f"\rBatches: {done}/{total}" + ("\n" if done == total else ""))
        sys.stderr.flush()

    return show


class Encoder:
    """An encoder model folder (config.json, safetensors weights, tokenizer) loaded once.

    Args:
        path: the Hugging Face model folder.
        device: "cpu", "cuda" or "cuda:N" (the CUDA backend, when built).
        dtype: precision of the fast path's matrix products: "fp32"; "bf16" (CPU and CUDA);
            "int8" (CPU); "fp16" (CUDA). The rest stays fp32.
        threads: threads in all (default: what OpenMP would use, normally every core).
        sessions: how many calls run at the same time. Each session has threads // sessions
            threads and its own workspace; the weights are shared. Several Python threads can
            call one Encoder: with sessions=N, N calls run at once and the others wait; one
            call with several batches also runs them on all free sessions.
        execution_path: "fast" (fused kernels) or "slow" (the plain reference path).
        sparsity: fast path only: pack the real tokens so padding costs nothing.
        max_memory: most bytes one batch may use per session (default: half the RAM); a
            batch over it raises OutOfMemoryError before anything is allocated.

    Raises:
        InvalidModelError: a file is missing or malformed (the message names it).
        UnsupportedError: the architecture is not supported.
    """

    def __init__(
        self,
        path: Union[str, os.PathLike],
        device: str = "cpu",
        dtype: str = "fp32",
        threads: Optional[int] = None,
        sessions: int = 1,
        *,
        execution_path: Literal["fast", "slow"] = "fast",
        sparsity: bool = True,
        max_memory: Optional[int] = None,
    ) -> None:
        self._native = _packformer._Encoder(
            os.fspath(path), device, dtype, threads, sessions, execution_path, sparsity, max_memory
        )
        self.path = os.fspath(path)

    @property
    def info(self) -> dict:
        """The model's geometry and heads: model_type, vocab_size, hidden_size, num_layers,
        num_heads, max_length, num_labels, id2label, has_pooler, has_sentence_pooling,
        prompts, default_prompt_name, has_tokenizer, device, sessions, threads_per_session..."""
        return self._native.info

    @property
    def prompts(self) -> dict[str, str]:
        """The folder's sentence-transformers prompts (config_sentence_transformers.json):
        name -> text prepended to each input."""
        return dict(self._native.info["prompts"])

    @property
    def default_prompt_name(self) -> Optional[str]:
        """The prompt encode() applies when given neither prompt_name nor prompt."""
        return self._native.info["default_prompt_name"]

    @property
    def max_seq_length(self) -> int:
        """Longest input in tokens; longer texts are truncated (as sentence-transformers)."""
        return self._native.info["max_length"]

    def get_sentence_embedding_dimension(self) -> int:
        return self._native.info["hidden_size"]

    @overload
    def tokenize(self, texts: str, max_length: Optional[int] = None) -> list[int]: ...
    @overload
    def tokenize(self, texts: Sequence[str], max_length: Optional[int] = None) -> list[list[int]]: ...

    def tokenize(self, texts, max_length=None):
        """Token ids of each text as the model sees them: special tokens added, truncated to
        max_length (default and at most: max_seq_length). No padding."""
        single = isinstance(texts, str)
        ids = self._native.tokenize([texts] if single else list(texts), max_length or 0)
        return ids[0] if single else ids

    def tokenize_pairs(
        self, pairs: Sequence[Sequence[str]], max_length: Optional[int] = None
    ) -> tuple[list[list[int]], list[list[int]]]:
        """Token ids and token type ids of (text, text) pairs as a cross-encoder sees them (the
        tokenizer's pair template, e.g. [CLS] a [SEP] b [SEP]; truncated longest-first)."""
        return self._native.tokenize_pairs([(a, b) for a, b in pairs], max_length or 0)

    def encode(
        self,
        sentences: Union[TextOrIds, Iterable[TextOrIds]],
        batch_size: int = 32,
        show_progress_bar: Optional[bool] = None,
        output_value: Optional[OutputValue] = "sentence_embedding",
        convert_to_numpy: bool = True,
        normalize_embeddings: bool = False,
        max_batch_tokens: Optional[int] = None,
        max_length: Optional[int] = None,
        prompt_name: Optional[str] = None,
        prompt: Optional[str] = None,
    ) -> Union[np.ndarray, list[np.ndarray]]:
        """Embeds sentences as sentence-transformers' SentenceTransformer.encode does.

        Args:
            sentences: a text, a list of texts, or token ids (a list of ints, or a list of
                such lists) for folders without a tokenizer.
            batch_size: most sentences per batch. Batches hold the longest sentences first.
            show_progress_bar: print "Batches: done/total" on stderr.
            output_value: "sentence_embedding" (the folder's pooling and normalization) or
                "token_embeddings" (the last hidden states of the real tokens).
            convert_to_numpy: True: one float32 array [n, dim]; False: a list of n 1-D arrays.
            normalize_embeddings: L2-normalize each sentence embedding.
            max_batch_tokens: most tokens per batch as well (real tokens on the packed path,
                sentences x longest when padded); default: no limit.
            max_length: truncate to this many tokens (default: max_seq_length).
            prompt_name: the folder's prompt (see `prompts`) to prepend to each text.
            prompt: a text to prepend to each text (wins over prompt_name). With neither, the
                folder's default_prompt_name applies, if it has one.

        Returns:
            For a single text: a 1-D array [dim] (token_embeddings: [tokens, dim]). For a list:
            a float32 array [n, dim], or for token_embeddings a list of [tokens_i, dim] arrays.
        """
        if output_value is None:
            raise InvalidInputError_(
                'output_value=None (every output as dicts) is not supported: ask "sentence_embedding" '
                'or "token_embeddings"'
            )
        single = isinstance(sentences, str) or _is_ids(sentences)
        items = [sentences] if single else list(sentences)
        items = self._with_prompt(items, prompt_name, prompt)
        progress = _progress_printer(show_progress_bar)
        normalize = bool(normalize_embeddings) and output_value != "token_embeddings"
        result = self._run(items, output_value, batch_size, max_batch_tokens, normalize, max_length, progress)
        if single:
            return result[0]
        if output_value != "token_embeddings" and not convert_to_numpy:
            return list(result)
        return result

    def predict(
        self,
        sentences: Union[str, Sequence[str], Iterable[Union[str, Sequence[str], Sequence[int]]]],
        batch_size: int = 32,
        show_progress_bar: Optional[bool] = None,
        apply_softmax: bool = False,
        convert_to_numpy: bool = True,
        max_batch_tokens: Optional[int] = None,
        max_length: Optional[int] = None,
        token_type_ids: Optional[Sequence[Sequence[int]]] = None,
    ) -> Union[np.ndarray, float, list[np.ndarray]]:
        """Classifier / cross-encoder scores: the model's logits, as transformers computes
        them (no activation; sentence-transformers' CrossEncoder applies a sigmoid to
        single-label models by default).

        Args:
            sentences: a text, a (text, text) tuple (cross-encoders), or a list of either
                kind (pairs as tuples or 2-lists); or token ids (with token_type_ids for pairs
                already tokenized). A list of two texts is two inputs, not a pair.
            apply_softmax: softmax over the labels (models with more than one label).

        Returns:
            [n, num_labels] float32, or [n] for single-label models; for a single input its
            row ([num_labels], or a float for single-label models).
        """
        # A single pair is a tuple: a list of two texts is two inputs (a classifier's batch).
        single = isinstance(sentences, (str, tuple)) and (isinstance(sentences, str) or _is_pair(sentences))
        single = single or _is_ids(sentences)
        items = [sentences] if single else list(sentences)
        progress = _progress_printer(show_progress_bar)
        if items and any(_is_pair(item) for item in items):
            for i, item in enumerate(items):
                if not _is_pair(item):
                    raise InvalidInputError_(f"input {i}: expected a (text, text) pair like the other inputs")
            if token_type_ids is not None:
                raise InvalidInputError_("token_type_ids go with token ids, not with text pairs")
            self._check_batching(max_batch_tokens)
            logits = self._native.run_pairs(
                [(a, b) for a, b in items], "logits", batch_size, max_batch_tokens or 0, False, max_length or 0, progress
            )
        else:
            logits = self._run(items, "logits", batch_size, max_batch_tokens, False, max_length, progress, token_type_ids)
        if apply_softmax and logits.shape[1] > 1:
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            logits = (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)
        if logits.shape[1] == 1:
            logits = logits[:, 0]
        if single:
            return float(logits[0]) if logits.ndim == 1 else logits[0]
        return logits if convert_to_numpy else list(logits)

    def _with_prompt(self, items, prompt_name, prompt):
        if items and not all(isinstance(item, str) for item in items):
            if prompt_name is not None or prompt is not None:
                raise InvalidInputError_("prompt_name and prompt prepend text: they need texts, not token ids")
            return items
        # As sentence-transformers: an explicit prompt wins (prompt="" means none); otherwise
        # the named prompt, else the folder's default_prompt_name.
        if prompt is not None:
            text = self._native.prompt_text("", prompt) if prompt else ""
        else:
            text = self._native.prompt_text(prompt_name or "", "")
        return [text + item for item in items] if text else items

    @staticmethod
    def _check_batching(max_batch_tokens):
        if max_batch_tokens is not None and max_batch_tokens < 1:
            raise InvalidInputError_(f"max_batch_tokens: expected a positive number or None, got {max_batch_tokens}")

    def _run(self, items, output, batch_size, max_batch_tokens, normalize, max_length, progress, type_ids=None):
        self._check_batching(max_batch_tokens)
        budget = max_batch_tokens or 0
        if items and all(isinstance(item, (list, tuple, np.ndarray)) for item in items):
            # Token ids are taken as given (max_length does not cut them: that would drop [SEP]).
            for i, item in enumerate(items):
                if len(item) > 0 and not _is_ids(item):
                    raise InvalidInputError_(f"input {i}: expected token ids (integers), got {list(item)[:8]!r}")
            ids = [[int(t) for t in item] for item in items]
            types = None if type_ids is None else [[int(t) for t in row] for row in type_ids]
            return self._native.run_ids(ids, types, output, batch_size, budget, normalize, progress)
        if type_ids is not None:
            raise InvalidInputError_("token_type_ids go with token ids, not with texts")
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise InvalidInputError_(
                    f"input {i}: expected a text (str) or a list of token ids, got {type(item).__name__}"
                )
        return self._native.run_texts(items, output, batch_size, budget, normalize, max_length or 0, progress)

    def __repr__(self) -> str:
        info = self._native.info
        return (
            f"Encoder({self.path!r}, model_type={info['model_type']!r}, hidden_size={info['hidden_size']}, "
            f"device={info['device']!r}, sessions={info['sessions']})"
        )


InvalidInputError_ = _packformer.InvalidInputError
