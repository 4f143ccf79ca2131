#include "tokenizer/pipeline.h"

#include <algorithm>

#include "packformer/error.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {

PipelineTokenizer::PipelineTokenizer(PipelineParts parts)
    : normalizer_(std::move(parts.normalizer)),
      pre_tokenizer_(std::move(parts.pre_tokenizer)),
      model_(std::move(parts.model)),
      post_processor_(std::move(parts.post_processor)),
      decoder_(std::move(parts.decoder)),
      added_(std::move(parts.added_tokens), normalizer_.get()) {
  truncation_ = parts.truncation;
  padding_ = parts.padding;
  vocab_size_ = model_->vocab_size();
  for (int32_t id = static_cast<int32_t>(vocab_size_); model_->id_to_token(id) != nullptr; ++id) vocab_size_ = id + 1;
  for (const AddedToken& token : added_.tokens()) vocab_size_ = std::max(vocab_size_, static_cast<size_t>(token.id) + 1);
  if (padding_) {
    pad_id_ = padding_->pad_id;
  } else {
    // No padding section: use the conventional pad token if there is one, else 0.
    for (const char* name : {"[PAD]", "<pad>", "<|pad|>", "<|endoftext|>"}) {
      if (auto id = token_to_id(name)) {
        pad_id_ = *id;
        break;
      }
    }
  }
}

std::optional<int32_t> PipelineTokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_.find_by_content(token)) return id;
  return model_->token_to_id(token);
}

void PipelineTokenizer::encode_content(std::string_view text, std::vector<int32_t>& ids) const {
  thread_local std::string clean;
  if (!is_valid_utf8(text)) {
    clean = sanitize_utf8(text);
    text = clean;
  }
  thread_local std::vector<Segment> segments;
  segments.clear();
  added_.split_and_normalize(text, normalizer_.get(), segments);
  Pieces pieces;
  for (Segment& segment : segments) {
    if (segment.token_id >= 0) {
      ids.push_back(segment.token_id);
      continue;
    }
    if (segment.text.empty()) continue;
    pieces.clear();
    pieces.push_back(Piece{std::move(segment.text), segment.at_start});
    if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);
    for (const Piece& piece : pieces)
      if (!piece.text.empty()) model_->tokenize(piece.text, ids);
  }
}

Encoding PipelineTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  SequenceParts parts(1);
  encode_content(text, parts[0].ids);
  bool truncated = false;
  const TruncationSettings truncation = effective_truncation(options);
  if (truncation.max_length > 0) {
    const size_t special = options.add_special_tokens && post_processor_ ? post_processor_->added_tokens(false) : 0;
    truncated = truncate_content(parts[0].ids, truncation.max_length, special, truncation.side);
  }
  return finish(parts, truncated, options);
}

Encoding PipelineTokenizer::encode_pair(std::string_view first, std::string_view second,
                                        const EncodeOptions& options) const {
  if (post_processor_ && !post_processor_->has_pair_form())
    fail(ErrorKind::Unsupported, "the tokenizer's TemplateProcessing post-processor has no \"pair\" template");
  SequenceParts parts(2);
  encode_content(first, parts[0].ids);
  encode_content(second, parts[1].ids);
  bool truncated = false;
  const TruncationSettings truncation = effective_truncation(options);
  if (truncation.max_length > 0) {
    const size_t special = options.add_special_tokens && post_processor_ ? post_processor_->added_tokens(true) : 0;
    truncated = truncate_pair(parts[0].ids, parts[1].ids, truncation.max_length, special, truncation.side);
  }
  return finish(parts, truncated, options);
}

Encoding PipelineTokenizer::finish(SequenceParts& parts, bool truncated, const EncodeOptions& options) const {
  // Sequence i starts with type id i, as HF sets it before its post-processor runs.
  for (size_t i = 0; i < parts.size(); ++i) {
    parts[i].type_ids.assign(parts[i].ids.size(), static_cast<int32_t>(i));
    parts[i].special.assign(parts[i].ids.size(), 0);
  }
  if (post_processor_) post_processor_->process(parts, options.add_special_tokens);
  IdSequence sequence = merge_parts(parts);
  Encoding encoding;
  encoding.truncated = truncated;
  encoding.ids = std::move(sequence.ids);
  encoding.type_ids = std::move(sequence.type_ids);
  encoding.special_tokens_mask = std::move(sequence.special);
  encoding.attention_mask.assign(encoding.ids.size(), 1);
  if (options.use_file_settings && padding_) pad(encoding, *padding_);
  return encoding;
}

std::string PipelineTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    const std::string* token = nullptr;
    if (const AddedToken* added = added_.find_by_id(id)) token = &added->decoded;
    else token = model_->id_to_token(id);
    if (token == nullptr) continue;  // unknown ids are skipped, as HF does
    if (skip_special_tokens && added_.is_special(*token)) continue;
    tokens.push_back(*token);
  }
  if (!decoder_) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out.push_back(' ');
      out += tokens[i];
    }
    return out;
  }
  decoder_->decode_chain(tokens);
  std::string out;
  for (const auto& token : tokens) out += token;
  return out;
}

}  // namespace packformer::tokenizer
