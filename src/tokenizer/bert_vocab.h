// A BERT vocab.txt (one token per line, id = line number) as a full WordPiece pipeline, as
// transformers builds it for BertTokenizer: BertNormalizer, BertPreTokenizer,
// [CLS] a [SEP] (b [SEP], type ids 1), WordPiece decoder.
#pragma once

#include <filesystem>
#include <memory>

#include "tokenizer/pipeline.h"

namespace packformer::tokenizer {

struct BertVocabOptions {
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: follows lowercase
  bool tokenize_chinese_chars = true;
};

std::unique_ptr<PipelineTokenizer> load_bert_vocab(const std::filesystem::path& vocab_file, const BertVocabOptions& options);

// Reads do_lower_case / strip_accents / tokenize_chinese_chars from a tokenizer_config.json
// (a missing file gives the defaults).
BertVocabOptions read_bert_options(const std::filesystem::path& tokenizer_config);

}  // namespace packformer::tokenizer
