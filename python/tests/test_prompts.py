"""sentence-transformers prompts (config_sentence_transformers.json): encode(prompt_name=,
prompt=) and the folder's default_prompt_name, against sentence-transformers' encode() on
tests/data/models/tiny-minilm-prompts (goldens: scripts/make_golden.py python)."""

from __future__ import annotations

import numpy as np
import pytest

import packformer
from conftest import GOLDEN, MODELS, load_safetensors

ATOL = 1e-5  # the tiny models' fp32 bound (tests/data/README.md)
CUSTOM_PROMPT = "Represent this: "  # as scripts/golden/python_api.py


@pytest.fixture(scope="module")
def golden():
    return load_safetensors(GOLDEN / "tiny-minilm-prompts.safetensors")


@pytest.fixture(scope="module")
def model():
    return packformer.Encoder(MODELS / "tiny-minilm-prompts")


def lines(sentences, golden):
    return sentences[: golden["default"].shape[0]]


def test_the_folder_prompts_are_read(model):
    assert model.prompts == {"query": "query: ", "passage": "passage: "}
    assert model.default_prompt_name == "query"
    assert packformer.Encoder(MODELS / "tiny-minilm").default_prompt_name is None


def test_default_prompt_applies(model, sentences, golden):
    np.testing.assert_allclose(model.encode(lines(sentences, golden)), golden["default"], rtol=0, atol=ATOL)


def test_prompt_name(model, sentences, golden):
    got = model.encode(lines(sentences, golden), prompt_name="passage")
    np.testing.assert_allclose(got, golden["passage"], rtol=0, atol=ATOL)
    assert np.abs(golden["passage"] - golden["default"]).max() > 100 * ATOL  # the prompts differ


def test_explicit_prompt_wins(model, sentences, golden):
    texts = lines(sentences, golden)
    np.testing.assert_allclose(model.encode(texts, prompt=CUSTOM_PROMPT), golden["custom"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(model.encode(texts, prompt=CUSTOM_PROMPT, prompt_name="passage"), golden["custom"],
                               rtol=0, atol=ATOL)
    np.testing.assert_allclose(model.encode(texts, prompt=""), golden["no_prompt"], rtol=0, atol=ATOL)


def test_single_text_takes_the_prompt(model, sentences, golden):
    np.testing.assert_allclose(model.encode(sentences[0], prompt_name="passage"), golden["passage"][0], rtol=0, atol=ATOL)


def test_unknown_prompt_name_names_the_known_ones(model, sentences):
    with pytest.raises(packformer.InvalidInputError, match=r"prompt_name 'title'.*passage, query"):
        model.encode(sentences[:2], prompt_name="title")


def test_prompts_need_texts(model):
    with pytest.raises(packformer.InvalidInputError, match="need texts"):
        model.encode([[1, 5, 2]], prompt_name="query")
    assert model.encode([[1, 5, 2]]).shape == (1, 48)  # ids without a prompt: the default is not applied
