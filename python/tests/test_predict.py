"""packformer.Encoder.predict against transformers' logits (tests/data/golden, made by
scripts/make_golden.py models): the tiny classifiers' padded batches, with token types."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

import packformer
from conftest import GOLDEN, MODELS, load_safetensors

LOGITS_ATOL = 1e-5  # fp32 vs torch fp32 on logits of magnitude ~1 (tests/data/README.md)


def unpadded(golden, name):
    mask = golden["attention_mask"]
    return [row[m == 1].tolist() for row, m in zip(golden[name], mask)]


@pytest.mark.parametrize("model", ["tiny-bert-cls", "tiny-roberta", "tiny-distilbert-cls"])
def test_logits_match_transformers(model):
    golden = load_safetensors(GOLDEN / f"{model}.safetensors")
    encoder = packformer.Encoder(MODELS / model)
    ids = unpadded(golden, "input_ids")
    # tiny-bert-cls's token types mark a second segment, as a cross-encoder's pair encoding does.
    types = unpadded(golden, "token_type_ids") if "token_type_ids" in golden else None
    got = encoder.predict(ids, token_type_ids=types, batch_size=2)
    expected = golden["logits"]
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=LOGITS_ATOL)


def test_token_types_matter():
    golden = load_safetensors(GOLDEN / "tiny-bert-cls.safetensors")
    encoder = packformer.Encoder(MODELS / "tiny-bert-cls")
    ids = unpadded(golden, "input_ids")
    without = encoder.predict(ids)
    assert np.abs(without - golden["logits"]).max() > 1e-3


def test_softmax_and_single_input():
    golden = load_safetensors(GOLDEN / "tiny-bert-cls.safetensors")
    encoder = packformer.Encoder(MODELS / "tiny-bert-cls")
    assert encoder.info["id2label"] == {0: "negative", 1: "neutral", 2: "positive"}
    ids, types = unpadded(golden, "input_ids"), unpadded(golden, "token_type_ids")
    logits = golden["logits"]
    probabilities = encoder.predict(ids, token_type_ids=types, apply_softmax=True)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-6)
    single = encoder.predict(ids[1])
    assert single.shape == (3,)


def test_text_pairs_are_refused_until_pair_tokenization_exists():
    encoder = packformer.Encoder(MODELS / "tiny-minilm")
    with pytest.raises(packformer.UnsupportedError, match="pair"):
        encoder.predict([("a question", "an answer")])


def test_single_label_model_gives_one_score_per_input(tmp_path):
    """A cross-encoder's single logit comes back as [n] (a float for one input), as
    sentence-transformers' CrossEncoder returns it. The folder is synthesized by the CLI."""
    cli = os.environ.get("PACKFORMER_CLI")
    if not cli:
        pytest.skip("PACKFORMER_CLI (set by ctest) names the packformer program that synthesizes the model")
    folder = tmp_path / "cross-encoder"
    subprocess.run([cli, "synth", "--arch", "tiny", "--labels", "1", "--out", str(folder)], check=True)
    encoder = packformer.Encoder(folder)
    assert encoder.info["num_labels"] == 1
    texts = [[2, 10, 11, 12, 3], [2, 3], [2, 40, 41, 42, 43, 44, 45, 3]]  # token ids: no tokenizer
    scores = encoder.predict(texts, batch_size=2)
    assert scores.shape == (3,) and scores.dtype == np.float32
    one = encoder.predict(texts[1])
    assert isinstance(one, float) and one == scores[1]
    assert encoder.predict(texts, apply_softmax=True).shape == (3,)  # softmax needs > 1 label
