"""Bad folders and bad inputs raise packformer.Error subclasses naming what is wrong; the
interpreter survives all of them."""

from __future__ import annotations

import shutil

import pytest

import packformer
from conftest import MODELS


def test_error_hierarchy():
    for cls in (packformer.InvalidModelError, packformer.InvalidInputError, packformer.UnsupportedError,
                packformer.OutOfMemoryError, packformer.IoError, packformer.InternalError):
        assert issubclass(cls, packformer.Error) and cls.__module__ == "packformer"
    assert issubclass(packformer.InvalidInputError, ValueError)
    assert issubclass(packformer.IoError, OSError)


def test_missing_folder(tmp_path):
    with pytest.raises(packformer.InvalidModelError, match="not found"):
        packformer.Encoder(tmp_path / "nothing-here")


def test_folder_without_config(tmp_path):
    with pytest.raises(packformer.InvalidModelError, match="config.json"):
        packformer.Encoder(tmp_path)


def test_broken_config(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(MODELS / "tiny-minilm", folder)
    (folder / "config.json").write_text("{ not json")
    with pytest.raises(packformer.InvalidModelError, match="config.json"):
        packformer.Encoder(folder)


def test_truncated_weights(tmp_path):
    folder = tmp_path / "truncated"
    shutil.copytree(MODELS / "tiny-minilm", folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(packformer.InvalidModelError, match="model.safetensors"):
        packformer.Encoder(folder)


def test_generator_refuses_an_encoder():
    with pytest.raises(packformer.Error):
        packformer.Generator(MODELS / "tiny-minilm")


def test_translator_refuses_a_decoder_only_model():
    with pytest.raises(packformer.UnsupportedError, match="encoder-decoder"):
        packformer.Translator(MODELS / "tiny-gpt2")


@pytest.fixture(scope="module")
def tiny():
    return packformer.Encoder(MODELS / "tiny-minilm")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m.encode(["a"], output_value="attention"), "output_value"),
        (lambda m: m.encode(["a"], output_value=None), "output_value"),
        (lambda m: m.encode(["a"], batch_size=0), "batch_size"),
        (lambda m: m.encode(["a"], max_batch_tokens=0), "max_batch_tokens"),
        (lambda m: m.encode(["a b c d e f g"], max_batch_tokens=3), "input 0 has"),
        (lambda m: m.encode([[2, 5, 99999, 3]]), "input 0: token id 99999"),
        (lambda m: m.encode([[2, 3], []]), "input 1"),
        (lambda m: m.encode([[2] * 100]), "input 0: expected 1..24"),
        (lambda m: m.encode(["text", 5]), "input 1"),
        (lambda m: m.predict(["a"]), "classification head"),
    ],
)
def test_bad_inputs(tiny, call, message):
    with pytest.raises(packformer.InvalidInputError, match=message):
        call(tiny)
    assert tiny.encode("still works").shape == (48,)


@pytest.mark.parametrize("kwargs", [{"threads": -1}, {"threads": 0}, {"sessions": 0}, {"execution_path": "medium"}])
def test_bad_options(kwargs):
    with pytest.raises(packformer.InvalidInputError):
        packformer.Encoder(MODELS / "tiny-minilm", **kwargs)


def test_unknown_device():
    with pytest.raises(packformer.Error):
        packformer.Encoder(MODELS / "tiny-minilm", device="tpu")


def test_out_of_memory_limit(sentences):
    model = packformer.Encoder(MODELS / "tiny-minilm", max_memory=1000)
    with pytest.raises(packformer.OutOfMemoryError):
        model.encode(sentences)


def test_folder_without_tokenizer_needs_ids():
    model = packformer.Encoder(MODELS / "tiny-bert")
    with pytest.raises(packformer.InvalidInputError, match="tokenizer"):
        model.encode(["text"])
