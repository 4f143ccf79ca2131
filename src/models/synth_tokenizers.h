// The tokenizers `packformer synth` writes by default, embedded in the library so that a
// synthetic folder is usable from any directory (the binary needs no source tree).
#pragma once

#include <cstdint>
#include <string_view>

namespace packformer {

struct BuiltInTokenizer {
  std::string_view json;  // a Hugging Face tokenizer.json
  int64_t vocab_size;     // ids are < vocab_size: the model's embedding must have as many rows
  const char* description;
};

// all-MiniLM-L6-v2's WordPiece (bert-base-uncased vocabulary, [CLS] a [SEP] b [SEP]).
const BuiltInTokenizer& builtin_wordpiece_tokenizer();
// A small XLM-R-style Unigram (sentencepiece pieces, <s> a </s></s> b </s>, nmt_nfkc).
const BuiltInTokenizer& builtin_unigram_tokenizer();

}  // namespace packformer
