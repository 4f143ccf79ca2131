// Unicode character classes and transforms the tokenizer components need, on top of utf8proc.
// Each predicate mirrors the definition Hugging Face tokenizers uses (Rust char methods,
// the unicode_categories crate, the regex crates' \s \w \p{L} \p{N}).
#pragma once

#include <string>
#include <string_view>

namespace packformer::tokenizer {

// Unicode White_Space property (Rust char::is_whitespace, regex \s).
bool is_whitespace(char32_t cp);
// General category P* (any punctuation).
bool is_punctuation(char32_t cp);
// ASCII punctuation or P*: what BERT isolates.
bool is_bert_punctuation(char32_t cp);
// Cc, Cf or Co: what BertNormalizer's clean_text drops (tab, newline and CR excepted).
bool is_other(char32_t cp);
// Mn: what accent stripping drops after NFD.
bool is_mark_nonspacing(char32_t cp);
// L* (regex \p{L}).
bool is_letter(char32_t cp);
// N* (regex \p{N} of the GPT-2 regex).
bool is_number(char32_t cp);
// N* (Rust char::is_numeric, used by the Digits pre-tokenizer).
bool is_numeric(char32_t cp);
// M* (Mn, Mc, Me): what the StripAccents normalizer drops.
bool is_mark(char32_t cp);
// regex \w: Alphabetic, M*, Nd, Pc, Join_Control.
bool is_word_char(char32_t cp);
// The CJK ideograph blocks BERT pads with spaces.
bool is_chinese_char(char32_t cp);

// Appends the full lower-case mapping of `cp` (Rust char::to_lowercase: one code point,
// except U+0130 which becomes "i" + U+0307).
void append_lowercase(std::string& out, char32_t cp);
void append_uppercase(std::string& out, char32_t cp);

enum class NormalizationForm { NFC, NFD, NFKC, NFKD };
// Unicode normalization of well-formed UTF-8.
std::string normalize_unicode(std::string_view text, NormalizationForm form);

// Byte length of the extended grapheme cluster that starts at `pos` of well-formed UTF-8.
size_t grapheme_length(std::string_view text, size_t pos);

}  // namespace packformer::tokenizer
