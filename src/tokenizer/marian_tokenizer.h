// transformers' MarianTokenizer: source.spm splits the text into pieces, vocab.json (not the
// sentencepiece ids) maps pieces to model ids, and </s> is appended. The special tokens
// (</s>, <unk>, <pad>) are matched in the text first; a segment starting with a language code
// ">>xx<<" keeps the code as one token. decode() maps ids back to pieces (vocab.json, or
// target_vocab.json with separate_vocabs) and joins them with sentencepiece: with the source
// model when the vocabularies are shared, as transformers 5 does, else with target.spm.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "packformer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace packformer::tokenizer {

class MarianTokenizer final : public Tokenizer {
 public:
  // `dir` holds source.spm, target.spm, vocab.json and optionally tokenizer_config.json.
  explicit MarianTokenizer(const std::filesystem::path& dir);
  ~MarianTokenizer() override;
  Encoding encode(std::string_view text, const EncodeOptions& options) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  int32_t pad_id() const override { return pad_id_; }
  size_t vocab_size() const override { return size_; }
  std::optional<int32_t> token_to_id(std::string_view token) const override;

 private:
  // One text segment (no special token inside) -> ids.
  void encode_segment(std::string_view segment, std::vector<int32_t>& ids) const;
  bool is_special(int32_t id) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> source_, target_;
  const sentencepiece::SentencePieceProcessor* decoder_spm_ = nullptr;
  std::unordered_map<std::string, int32_t> encoder_;
  std::unordered_map<int32_t, std::string> decoder_;
  std::vector<std::string> special_tokens_;  // eos, unk, pad
  std::vector<int32_t> special_ids_;
  int32_t eos_id_ = 0, unk_id_ = 0, pad_id_ = 0;
  size_t size_ = 0;
};

}  // namespace packformer::tokenizer
