"""packformer.Encoder.predict against transformers' logits (tests/data/golden, made by
scripts/make_golden.py models): the tiny classifiers' padded batches, with token types."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("model", ["tiny-bert-cls", "tiny-roberta", "tiny-distilbert-cls", "tiny-mpnet-cls"])
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


@pytest.fixture(scope="module")
def pairs_golden():
    return json.loads((GOLDEN / "tiny-bert-cls.pairs.json").read_text())


@pytest.mark.parametrize("setting", ["full", "truncated"])
def test_text_pairs_match_transformers(pairs_golden, setting):
    """Cross-encoder input: transformers' tokenizer(firsts, seconds) and
    BertForSequenceClassification's logits (scripts/make_golden.py classify-pairs)."""
    expected = pairs_golden[setting]
    max_length = int(expected["max_length"])
    encoder = packformer.Encoder(MODELS / "tiny-bert-cls")
    pairs = [tuple(p) for p in pairs_golden["pairs"]]
    ids, types = encoder.tokenize_pairs(pairs, max_length=max_length)
    assert ids == expected["input_ids"] and types == expected["token_type_ids"]
    got = encoder.predict(pairs, max_length=max_length, batch_size=5)
    assert got.shape == (len(pairs), 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, np.array(expected["logits"], dtype=np.float32), rtol=0, atol=LOGITS_ATOL)
    # Alone or in a batch: the same up to float rounding (other batch shapes, other GEMM blocking).
    single = encoder.predict(pairs[3], max_length=max_length)
    np.testing.assert_allclose(single, got[3], rtol=0, atol=1e-6)
    as_lists = encoder.predict([list(p) for p in pairs], max_length=max_length, batch_size=5)
    np.testing.assert_array_equal(as_lists, got)


def test_a_list_of_two_texts_is_two_inputs():
    encoder = packformer.Encoder(MODELS / "tiny-bert-cls")
    both = encoder.predict(["hello world", "good day to you"])
    assert both.shape == (2, 3)
    np.testing.assert_allclose(both[0], encoder.predict("hello world"), rtol=0, atol=1e-6)


def test_pairs_and_texts_do_not_mix():
    encoder = packformer.Encoder(MODELS / "tiny-bert-cls")
    with pytest.raises(packformer.InvalidInputError, match="input 1"):
        encoder.predict([("a", "b"), "c"])


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
