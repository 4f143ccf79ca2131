// SentencePiece .model files through libsentencepiece, with the fairseq id layout XLM-R
// uses on top: <s>=0 <pad>=1 </s>=2 <unk>=3, sentencepiece id i -> i+1 (its <unk>, id 0,
// -> 3), <mask> after the last piece. encode() adds <s> ... </s>, encode_pair()
// <s> a </s></s> b </s>.
#pragma once

#include <filesystem>
#include <memory>

#include "packformer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace packformer::tokenizer {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::filesystem::path& model_file);
  ~SentencePieceTokenizer() override;
  Encoding encode(std::string_view text, const EncodeOptions& options) const override;
  // <s> a </s> </s> b </s>, type ids 0, as transformers' XLMRobertaTokenizer.
  Encoding encode_pair(std::string_view first, std::string_view second, const EncodeOptions& options) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  int32_t pad_id() const override { return kPad; }
  size_t vocab_size() const override { return static_cast<size_t>(mask_id_) + 1; }
  std::optional<int32_t> token_to_id(std::string_view token) const override;

 private:
  // The fairseq-layout ids of `text` without special tokens.
  std::vector<int32_t> content_ids(std::string_view text) const;

  static constexpr int32_t kBos = 0, kPad = 1, kEos = 2, kUnk = 3, kOffset = 1;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  int32_t mask_id_ = 0;
};

}  // namespace packformer::tokenizer
