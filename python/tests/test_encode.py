"""packformer.Encoder.encode against sentence-transformers' encode() (goldens made by
scripts/make_golden.py minilm / python with the pinned versions)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import packformer
from conftest import GOLDEN, MODELS, load_safetensors, split_rows

# fp32 engine vs torch fp32: the tiny models' documented bound (tests/data/README.md) is 1e-5
# absolute on values of std ~1; MiniLM's token embeddings reach |6|, so 5e-5 there (~1e-5
# relative). Sentence embeddings have norm 1 (MiniLM) or 5.7-6.8 (tiny, unnormalized).
SENTENCE_ATOL = 1e-5
TINY_ATOL = 1e-5
MINILM_TOKEN_ATOL = 5e-5


@pytest.fixture(scope="module")
def minilm_golden():
    return load_safetensors(GOLDEN / "all-minilm-l6-v2.safetensors")


@pytest.fixture(scope="module")
def tiny_nonorm_dir(tmp_path_factory):
    """tiny-minilm with its Normalize module dropped, as scripts/golden/python_api.py does."""
    folder = tmp_path_factory.mktemp("models") / "tiny-minilm-nonorm"
    shutil.copytree(MODELS / "tiny-minilm", folder)
    modules = json.loads((folder / "modules.json").read_text())
    (folder / "modules.json").write_text(json.dumps([m for m in modules if not m["type"].endswith(".Normalize")]))
    return folder


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_minilm_matches_sentence_transformers(minilm, sentences, minilm_golden):
    expected = minilm_golden["sentence_embedding"]
    got = minilm.encode(sentences)
    assert len(sentences) >= 50
    assert got.shape == expected.shape == (len(sentences), 384)
    assert got.dtype == expected.dtype == np.float32
    assert cosine_rows(got, expected).min() >= 0.99999
    np.testing.assert_allclose(got, expected, rtol=0, atol=SENTENCE_ATOL)


def test_tiny_mpnet_matches_sentence_transformers():
    """MPNet (relative position bias) end to end: texts through the folder's own tokenizer
    (the last one cut at max_seq_length) vs SentenceTransformer.encode (scripts/golden/mpnet.py)."""
    golden = json.loads((GOLDEN / "tiny-mpnet.texts.json").read_text())
    expected = np.asarray(golden["sentence_embedding"], dtype=np.float32)
    got = packformer.Encoder(MODELS / "tiny-mpnet").encode(golden["texts"])
    assert got.shape == expected.shape
    assert cosine_rows(got, expected).min() >= 0.99999
    np.testing.assert_allclose(got, expected, rtol=0, atol=SENTENCE_ATOL)


def test_single_string_gives_a_1d_array(minilm, sentences, python_golden):
    expected = python_golden["minilm.single"]
    got = minilm.encode(sentences[0])
    assert got.shape == expected.shape == (384,)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=0, atol=SENTENCE_ATOL)


def test_normalize_embeddings(tiny_nonorm_dir, sentences, python_golden):
    model = packformer.Encoder(tiny_nonorm_dir)
    plain = model.encode(sentences, normalize_embeddings=False)
    normalized = model.encode(sentences, normalize_embeddings=True)
    np.testing.assert_allclose(plain, python_golden["tiny-minilm-nonorm.sentence_embedding"], rtol=0, atol=SENTENCE_ATOL)
    np.testing.assert_allclose(normalized, python_golden["tiny-minilm-nonorm.normalized"], rtol=0, atol=SENTENCE_ATOL)
    assert np.abs(np.linalg.norm(plain, axis=1) - 1).min() > 1  # the option matters on this model


def test_minilm_token_embeddings(minilm, sentences, python_golden):
    rows = [sentences[i] for i in python_golden["minilm.token_rows"]]
    expected = split_rows(python_golden["minilm.token_embeddings"], python_golden["minilm.token_lengths"])
    got = minilm.encode(rows, output_value="token_embeddings")
    assert isinstance(got, list) and len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=0, atol=MINILM_TOKEN_ATOL)


def test_tiny_token_embeddings_every_line(sentences, python_golden):
    model = packformer.Encoder(MODELS / "tiny-minilm")
    expected = split_rows(python_golden["tiny-minilm.token_embeddings"], python_golden["tiny-minilm.token_lengths"])
    got = model.encode(sentences, output_value="token_embeddings", batch_size=7)
    assert [g.shape for g in got] == [e.shape for e in expected]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=TINY_ATOL)
    single = model.encode(sentences[3], output_value="token_embeddings")
    assert single.shape == expected[3].shape


def test_tokenize_matches_the_reference_ids(minilm, sentences, minilm_golden):
    ids, mask = minilm_golden["input_ids"], minilm_golden["attention_mask"]
    got = minilm.tokenize(sentences)
    assert got == [row[m == 1].tolist() for row, m in zip(ids, mask)]
    assert minilm.tokenize(sentences[0]) == got[0]
    assert max(len(t) for t in got) == minilm.max_seq_length == 256  # long lines truncated
    assert [len(t) for t in minilm.tokenize(sentences, max_length=8)] == [min(8, len(t)) for t in got]


def test_batching_options_do_not_change_results(sentences):
    model = packformer.Encoder(MODELS / "tiny-minilm")
    reference = model.encode(sentences, batch_size=len(sentences))
    for kwargs in ({"batch_size": 1}, {"batch_size": 5}, {"max_batch_tokens": 40}, {"max_batch_tokens": 24}):
        np.testing.assert_allclose(model.encode(sentences, **kwargs), reference, rtol=0, atol=1e-6, err_msg=str(kwargs))
    for options in ({"execution_path": "slow"}, {"sparsity": False}):
        other = packformer.Encoder(MODELS / "tiny-minilm", **options)
        np.testing.assert_allclose(other.encode(sentences, batch_size=9), reference, rtol=0, atol=1e-5, err_msg=str(options))


def test_convert_to_numpy_false_gives_rows(sentences):
    model = packformer.Encoder(MODELS / "tiny-minilm")
    matrix = model.encode(sentences[:5])
    rows = model.encode(sentences[:5], convert_to_numpy=False)
    assert isinstance(rows, list) and len(rows) == 5
    for row, expected in zip(rows, matrix):
        assert row.shape == (48,)
        np.testing.assert_array_equal(row, expected)


def test_empty_input_gives_an_empty_matrix():
    model = packformer.Encoder(MODELS / "tiny-minilm")
    assert model.encode([]).shape == (0, 48)
    assert model.encode([], output_value="token_embeddings") == []


def test_outputs_are_not_copies(sentences):
    model = packformer.Encoder(MODELS / "tiny-minilm")
    # One batch: the array holds the engine's own buffer.
    assert not model.encode(sentences[:4]).flags.owndata
    # Token embeddings of one batch are consecutive views of its packed hidden states.
    tokens = model.encode(sentences[:4], output_value="token_embeddings")
    assert all(not t.flags.owndata for t in tokens)
    for first, second in zip(tokens, tokens[1:]):
        assert first.ctypes.data + first.nbytes == second.ctypes.data


def test_token_ids_input_equals_text_input(sentences):
    model = packformer.Encoder(MODELS / "tiny-minilm")
    ids = model.tokenize(sentences[:9])
    np.testing.assert_array_equal(model.encode(ids), model.encode(sentences[:9]))
    np.testing.assert_array_equal(model.encode(ids[2]), model.encode(sentences[2]))
