#include "tokenizer/bert_vocab.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "packformer/error.h"
#include "tokenizer/wordpiece.h"

namespace packformer::tokenizer {

std::unique_ptr<PipelineTokenizer> load_bert_vocab(const std::filesystem::path& vocab_file,
                                                   const BertVocabOptions& options) {
  std::ifstream in(vocab_file, std::ios::binary);
  if (!in) fail(ErrorKind::Io, "cannot open vocabulary file '" + vocab_file.string() + "'");
  Vocab vocab;
  std::string line;
  int32_t id = 0;
  while (std::getline(in, line)) {
    // Trailing whitespace is not part of the token (HF trims line ends).
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    // The same bound as tokenizer.json ids: a larger file is not a vocabulary.
    if (id >= (1 << 24))
      fail(ErrorKind::InvalidModel, vocab_file.filename().string() + ": more than 16777216 lines (tokens)");
    vocab.add(line, id++);
  }
  if (id == 0) fail(ErrorKind::InvalidModel, vocab_file.filename().string() + ": the vocabulary is empty");
  PipelineParts parts;
  for (const char* name : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    if (auto token_id = vocab.find(name)) {
      AddedToken token;
      token.content = name;
      token.id = *token_id;
      token.normalized = false;
      token.special = true;
      parts.added_tokens.push_back(token);
    }
  }
  const auto cls = vocab.find("[CLS]"), sep = vocab.find("[SEP]");
  if (!cls || !sep)
    fail(ErrorKind::InvalidModel, vocab_file.filename().string() + ": [CLS] and [SEP] must be in the vocabulary");
  parts.normalizer = std::make_unique<BertNormalizer>(true, options.tokenize_chinese_chars,
                                                      options.strip_accents.value_or(options.lowercase), options.lowercase);
  parts.pre_tokenizer = std::make_unique<BertPreTokenizer>();
  parts.post_processor = std::make_unique<ClsSepPostProcessor>(*cls, *sep, ClsSepPostProcessor::Style::Bert);
  parts.decoder = std::make_unique<WordPieceDecoder>("##", true);
  parts.model = std::make_unique<WordPieceModel>(std::move(vocab), "[UNK]", "##", 100);
  return std::make_unique<PipelineTokenizer>(std::move(parts));
}

BertVocabOptions read_bert_options(const std::filesystem::path& tokenizer_config) {
  BertVocabOptions options;
  std::ifstream in(tokenizer_config, std::ios::binary);
  if (!in) return options;
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range (406)
    fail(ErrorKind::InvalidModel, tokenizer_config.filename().string() + ": not valid JSON: " + e.what());
  }
  if (!config.is_object()) fail(ErrorKind::InvalidModel, tokenizer_config.filename().string() + ": expected an object");
  auto read_bool = [&](const char* key) -> std::optional<bool> {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean())
      fail(ErrorKind::InvalidModel, tokenizer_config.filename().string() + ": " + key + ": expected true or false");
    return it->get<bool>();
  };
  options.lowercase = read_bool("do_lower_case").value_or(true);
  options.strip_accents = read_bool("strip_accents");
  options.tokenize_chinese_chars = read_bool("tokenize_chinese_chars").value_or(true);
  return options;
}

}  // namespace packformer::tokenizer
