"""Tokenizers of the decoder families (Llama 3, Qwen2, Mistral / Llama 2 non-legacy, T5), built
small but with the exact normalizer / pre-tokenizer / model / post-processor / decoder
configuration those models ship, and HF's ids and decodes over the parity corpus.

No model hub: each vocabulary is trained here on the corpus; the pipeline around it is what
transformers 5.23 builds (its LlamaTokenizer, T5Tokenizer and Qwen2Converter are used
directly) or, for Llama 3 (a tiktoken conversion), what its tokenizer.json holds.

  llama3/    byte-level BPE, Split(the Llama 3 regex) + ByteLevel(use_regex false),
             ignore_merges, no normalizer; Sequence[ByteLevel, TemplateProcessing] with
             <|begin_of_text|>; 256-style reserved special tokens after the vocabulary
  qwen2/     NFC, Split(Qwen2's regex: single digits) + ByteLevel; ByteLevel post-processor;
             <|endoftext|>, <|im_start|>, <|im_end|>
  mistral/   sentencepiece-style BPE with byte_fallback and <0xNN> pieces, Metaspace
             (prepend_scheme "first", split false), no normalizer, Llama's decoders, <s> $A
  t5/        sentencepiece Unigram with a Precompiled charsmap, WhitespaceSplit + Metaspace,
             "$A </s>", <extra_id_N> sentinels
Each folder gets tokenizer.json, ids.jsonl, ids_no_special.jsonl, ids_max16.jsonl and
decoded.jsonl as scripts/golden/tokenizers.py writes them for the other folders, and
family.jsonl: FAMILY_TEXTS (the families' own markers: chat headers, sentinels, byte-token
look-alikes) with their ids and decodes, special tokens skipped and kept.

Run with: scripts/make_golden.py decoder-tokenizers (after `tokenizers`, which writes corpus.txt).
"""

import json
import os
import sys
import tempfile
from collections import Counter

from golden import tokenizers as tk

# Llama 3's pre-tokenizer regex (its tokenizer.json; the same as tiktoken's cl100k).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")


# Texts in the markup these models see: the corpus has generic special-token look-alikes only.
FAMILY_TEXTS = [
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>",
    "<|start_header_id|>assistant<|end_header_id|>\n\nThe answer is 42.<|eot_id|><|end_of_text|>",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>",
    "<|endoftext|>after the end <|endoftext|><|endoftext|>",
    "The <extra_id_0> walks in <extra_id_1> park. <extra_id_4>",
    "<extra_id_2><extra_id_3> no space<extra_id_0>",
    "<s>[INST] What is 2 + 2? [/INST] 4</s>",
    "<unk> and <0x41> and <0xFF> and \u2581 written out",
    "Spaces:  two,   three,\tand a tab; trailing   ",
    "Digits 1234567 and 3.14159, Unicode ＡＢＣ ﬁ e\u0301 Ω Å",
    "emoji \U0001f469\u200d\U0001f4bb and rare \U00020000 \uffff",
    "",
]


def write_family_goldens(tok, path):
    """family.jsonl: ids of FAMILY_TEXTS and their decodes, special tokens skipped and kept."""
    tok.no_truncation()
    tok.no_padding()
    rows = []
    for text in FAMILY_TEXTS:
        ids = tok.encode(text).ids
        rows.append({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=True),
                     "decoded_with_specials": tok.decode(ids, skip_special_tokens=False)})
    tk.write_jsonl(os.path.join(path, "family.jsonl"), rows)


def corpus_texts():
    with open(os.path.join(tk.OUT, "corpus.txt"), "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    assert len(lines) == tk.CORPUS_LINES, "run scripts/make_golden.py tokenizers first (corpus.txt)"
    return tk.corpus_texts(lines)


def folder(name):
    path = os.path.join(tk.OUT, name)
    os.makedirs(path, exist_ok=True)
    return path


def save_and_write_goldens(tok, path, texts):
    tok.save(os.path.join(path, "tokenizer.json"))
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
    tk.write_goldens(tok, path, texts)
    write_family_goldens(tok, path)


def train_byte_level_bpe(texts, pre_tokenizer, normalizer=None, ignore_merges=False):
    """A byte-level BPE vocabulary and merges trained on the corpus with `pre_tokenizer`."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=1500, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(tk.training_texts(texts), trainer)
    return tok


def build_llama3(texts):
    from tokenizers import AddedToken, Regex, decoders, pre_tokenizers, processors

    tok = train_byte_level_bpe(texts, pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ]), ignore_merges=True)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|reserved_special_token_2|>", "<|eot_id|>"]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                      pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)]),
    ])
    save_and_write_goldens(tok, folder("llama3"), texts)


def build_qwen2(texts):
    from tokenizers import AddedToken, Regex, pre_tokenizers
    from transformers.convert_slow_tokenizer import Qwen2Converter

    # The vocabulary is trained with Qwen2's own pre-tokenizer; Qwen2Converter then builds the
    # pipeline from it, as transformers does from vocab.json + merges.txt.
    qwen_pattern = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                    r"|\s*[\r\n]+|\s+(?!\S)|\s+")
    trained = train_byte_level_bpe(texts, pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(qwen_pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ]))
    model = json.loads(trained.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]

    class Original:  # what Qwen2Converter reads from a slow Qwen2Tokenizer
        encoder = model["vocab"]
        bpe_ranks = {m: i for i, m in enumerate(merges)}
        add_prefix_space = False

    tok = Qwen2Converter(Original()).converted()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]])
    save_and_write_goldens(tok, folder("qwen2"), texts)


def build_mistral(texts):
    """transformers' LlamaTokenizer (legacy=False, Mistral v0.3 / Llama 2 converted today)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaTokenizer

    trainer_tok = Tokenizer(models.BPE())
    trainer_tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    # A limited alphabet, so that rarer characters really go through byte fallback. Chosen here
    # (the 150 most frequent, ties by code point) rather than by the trainer's limit_alphabet,
    # which breaks frequency ties in hash order and so differs from run to run.
    training = tk.training_texts(texts)
    counts = Counter(c for t in training for c in t.replace(" ", "\u2581"))
    alphabet = set(sorted(counts, key=lambda c: (-counts[c], c))[:150])
    training = ["".join(c for c in t if c == " " or c in alphabet) for t in training]
    trainer = trainers.BpeTrainer(vocab_size=1500, min_frequency=2, special_tokens=["<unk>", "<s>", "</s>"],
                                  max_token_length=16, show_progress=False)
    trainer_tok.train_from_iterator(training, trainer)
    trained = json.loads(trainer_tok.to_str())["model"]
    vocab = dict(trained["vocab"])
    for b in range(256):  # byte-fallback pieces, as Llama's and Mistral's vocabularies have them
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in trained["merges"]]
    llama = LlamaTokenizer(vocab=vocab, merges=merges, legacy=False, add_bos_token=True, add_eos_token=False)
    llama.update_post_processor()
    save_and_write_goldens(llama.backend_tokenizer, folder("mistral"), texts)


def build_t5(texts):
    """transformers' T5Tokenizer over a sentencepiece Unigram model (T5's id layout)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2
    from transformers import T5Tokenizer

    tmp = tempfile.gettempdir()
    rules = os.path.join(tmp, "packformer_t5_rules.tsv")
    tk.normalization_rules(texts, rules)
    train = os.path.join(tmp, "packformer_t5_train.txt")  # a fixed path: the model records it
    with open(train, "w", encoding="utf-8") as f:
        for t in tk.training_texts(texts):
            if t.strip():
                f.write(t.replace("\r", " ") + "\n")
    prefix = os.path.join(tmp, "packformer_t5")
    spm.SentencePieceTrainer.train(input=train, model_prefix=prefix, vocab_size=2000, model_type="unigram",
                                   character_coverage=0.98, normalization_rule_tsv=rules, pad_id=0, eos_id=1,
                                   unk_id=2, bos_id=-1, byte_fallback=False, minloglevel=2, num_threads=1,
                                   input_sentence_size=0, shuffle_input_sentence=False)
    os.unlink(train)
    proto = sentencepiece_model_pb2.ModelProto()
    with open(prefix + ".model", "rb") as f:
        proto.ParseFromString(f.read())
    vocab = [(p.piece, p.score) for p in proto.pieces]
    extra_ids = 5
    vocab += [(f"<extra_id_{i}>", 0.0) for i in range(extra_ids - 1, -1, -1)]
    t5 = T5Tokenizer(vocab=vocab, _spm_precompiled_charsmap=proto.normalizer_spec.precompiled_charsmap,
                     extra_ids=extra_ids)
    save_and_write_goldens(t5.backend_tokenizer, folder("t5"), texts)


BUILDERS = {"llama3": build_llama3, "qwen2": build_qwen2, "mistral": build_mistral, "t5": build_t5}


def make_decoder_tokenizers(only=None):
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    texts = corpus_texts()
    for name, build in BUILDERS.items():
        if only and name not in only:
            continue
        build(texts)
        print(f"tokenizer goldens: {name} done", file=sys.stderr)
