"""packformer.Generator / Translator against transformers' generate() (token-identical goldens
tests/data/golden/*generate.json, made by scripts/make_golden.py generation / seq2seq: the
same references the C++ and CLI generation tests use)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import packformer
from conftest import GOLDEN, MODELS

# transformers keyword arguments with no packformer counterpart because they restate the
# folder's own settings.
FOLDER_SETTINGS = ("pad_token_id", "decoder_start_token_id")


def flat(new_tokens):
    return [sequence for per_prompt in new_tokens for sequence in per_prompt]


def kwargs_of(options):
    return {k: v for k, v in options.items() if k not in FOLDER_SETTINGS}


@pytest.fixture(scope="module")
def gpt2():
    return packformer.Generator(MODELS / "tiny-gpt2")


@pytest.fixture(scope="module")
def gpt2_golden():
    return json.loads((GOLDEN / "tiny-gpt2-generate.json").read_text())


def test_gpt2_cases(gpt2, gpt2_golden):
    assert gpt2.eos_token_ids == [gpt2_golden["eos_token_id"]]
    for case in gpt2_golden["cases"]:
        got = gpt2.generate(gpt2_golden["prompts"], **kwargs_of(case["options"]))
        assert got == flat(case["new_tokens"]), case["name"]


def test_gpt2_texts(gpt2, gpt2_golden):
    for entry in gpt2_golden["texts"]:
        assert gpt2.tokenize(entry["text"]) == entry["prompt"]
        assert gpt2.generate(entry["prompt"], max_new_tokens=20) == [entry["new_tokens"]]
        assert gpt2.generate(entry["text"], max_new_tokens=20) == [entry["decoded"]]
        assert gpt2.decode(entry["new_tokens"]) == entry["decoded"]


def test_gpt2_stream_and_callback(gpt2, gpt2_golden):
    prompts = gpt2_golden["prompts"]
    greedy = gpt2_golden["cases"][0]
    assert list(gpt2.stream(prompts[2], max_new_tokens=64)) == greedy["new_tokens"][2][0]
    beams = next(c for c in gpt2_golden["cases"] if c["options"].get("num_beams") == 4)
    assert list(gpt2.stream(prompts[0], **kwargs_of(beams["options"]))) == beams["new_tokens"][0][0]
    seen = []
    gpt2.generate(prompts, max_new_tokens=64, callback=lambda p, s, t: seen.append((p, s, t)))
    for p, per_prompt in enumerate(greedy["new_tokens"]):
        assert [t for q, s, t in seen if q == p and s == 0] == per_prompt[0]
    entry = gpt2_golden["texts"][0]
    assert "".join(gpt2.stream(entry["text"], max_new_tokens=20)) == entry["decoded"]


def test_stream_stops_when_dropped(gpt2, gpt2_golden):
    stream = gpt2.stream(gpt2_golden["prompts"][0], max_new_tokens=64)
    first = next(stream)
    del stream
    assert gpt2.generate(gpt2_golden["prompts"][0], max_new_tokens=1) == [[first]]


def test_callback_exception_stops_generation(gpt2, gpt2_golden):
    class Stop(Exception):
        pass

    calls = []

    def callback(p, s, t):
        calls.append(t)
        if len(calls) == 3:
            raise Stop()

    with pytest.raises(Stop):
        gpt2.generate(gpt2_golden["prompts"][:1], max_new_tokens=64, callback=callback)
    assert len(calls) == 3
    assert gpt2.generate(gpt2_golden["prompts"][0], max_new_tokens=2) == [gpt2_golden["cases"][0]["new_tokens"][0][0][:2]]


def test_sampling_is_seeded(gpt2, gpt2_golden):
    prompts = gpt2_golden["prompts"][:2]
    a = gpt2.generate(prompts, do_sample=True, seed=7, top_k=0, max_new_tokens=16, num_return_sequences=3)
    b = gpt2.generate(prompts, do_sample=True, seed=7, top_k=0, max_new_tokens=16, num_return_sequences=3)
    assert a == b and len(a) == 6


def test_bad_generation_options(gpt2):
    with pytest.raises(packformer.InvalidInputError):
        gpt2.generate([[1, 2]], max_new_tokens=0)
    with pytest.raises(packformer.InvalidInputError):
        gpt2.generate([[1, 2]], early_stopping="sometimes")
    with pytest.raises(packformer.InvalidInputError):
        gpt2.generate([[1, 99999]])
    with pytest.raises(packformer.UnsupportedError):
        gpt2.generate([[1, 2]], bad_words_ids=[[3, 4]])
    with pytest.raises(packformer.InvalidInputError):
        gpt2.stream([1, 2], num_beams=2, num_return_sequences=2)


@pytest.mark.parametrize("model", ["tiny-marian", "tiny-bart"])
def test_translator_cases(model):
    golden = json.loads((GOLDEN / f"{model}.generate.json").read_text())
    translator = packformer.Translator(MODELS / model)
    assert translator.is_encoder_decoder
    for case in golden["cases"]:
        got = translator.translate(golden["sources"], **kwargs_of(case["kwargs"]))
        assert got == flat(case["outputs"]), case["name"]
    for entry in golden["texts"]:
        assert translator.tokenize(entry["text"]) == entry["source"]
        assert translator.generate(entry["source"], max_new_tokens=16) == [entry["greedy_16"]]
        assert translator.translate(entry["text"], max_new_tokens=16) == [entry["decoded"]]
    for entry in golden["decodes"]:
        assert translator.decode(entry["ids"]) == entry["skip_special"]
        assert translator.decode(entry["ids"], skip_special_tokens=False) == entry["keep_special"]


@pytest.mark.parametrize("model", ["tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-qwen3"])
def test_llama_family_cases(model):
    golden = json.loads((GOLDEN / f"{model}-generate.json").read_text())
    generator = packformer.Generator(MODELS / model)
    assert not generator.is_encoder_decoder
    for case in golden["cases"]:
        got = generator.generate(golden["prompts"], **kwargs_of(case["options"]))
        assert got == flat(case["new_tokens"]), case["name"]


def test_dtype_reaches_the_engine(gpt2_golden):
    """Generator(dtype=...) generates what the CLI's --dtype does (the same engine path), and
    fp16 (CUDA's) is refused."""
    cli = os.environ.get("PACKFORMER_CLI")
    if not cli:
        pytest.fail("PACKFORMER_CLI (set by ctest) names the packformer program to compare with")
    prompts = gpt2_golden["prompts"]
    lines = "".join(json.dumps(p) + "\n" for p in prompts)
    for dtype in ("bf16", "int8"):
        got = packformer.Generator(MODELS / "tiny-gpt2", dtype=dtype).generate(prompts, max_new_tokens=12)
        out = subprocess.run(
            [cli, "generate", "--model", str(MODELS / "tiny-gpt2"), "--ids", "--dtype", dtype, "--max-new-tokens", "12"],
            input=lines, capture_output=True, text=True, check=True,
        ).stdout
        assert got == [json.loads(line) for line in out.splitlines()], dtype
    with pytest.raises(packformer.InvalidInputError, match="fp16"):
        packformer.Generator(MODELS / "tiny-gpt2", dtype="fp16")
