// The Hugging Face pipeline: added tokens -> normalizer -> pre-tokenizer -> model ->
// truncation -> post-processor -> padding, and ids -> tokens -> decoder for decoding.
#pragma once

#include <memory>

#include "packformer/tokenizer.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/decoders.h"
#include "tokenizer/model.h"
#include "tokenizer/normalizers.h"
#include "tokenizer/post_processors.h"
#include "tokenizer/pre_tokenizers.h"

namespace packformer::tokenizer {

struct PipelineParts {
  std::unique_ptr<Normalizer> normalizer;        // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer;   // may be null
  std::unique_ptr<Model> model;
  std::unique_ptr<PostProcessor> post_processor; // may be null
  std::unique_ptr<Decoder> decoder;              // may be null
  std::vector<AddedToken> added_tokens;
  std::optional<TruncationSettings> truncation;
  std::optional<PaddingSettings> padding;
};

class PipelineTokenizer final : public Tokenizer {
 public:
  explicit PipelineTokenizer(PipelineParts parts);
  Encoding encode(std::string_view text, const EncodeOptions& options) const override;
  Encoding encode_pair(std::string_view first, std::string_view second, const EncodeOptions& options) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  int32_t pad_id() const override { return pad_id_; }
  size_t vocab_size() const override { return vocab_size_; }
  std::optional<int32_t> token_to_id(std::string_view token) const override;

  // The content ids of `text` (no truncation, no special tokens added).
  void encode_content(std::string_view text, std::vector<int32_t>& ids) const;

 private:
  // Post-processes the (truncated) content of one text or of a pair, then pads.
  Encoding finish(SequenceParts& parts, bool truncated, const EncodeOptions& options) const;

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  AddedVocabulary added_;
  int32_t pad_id_ = 0;
  size_t vocab_size_ = 0;
};

}  // namespace packformer::tokenizer
