#include "tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include "packformer/error.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file)
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  const auto status = processor_->Load(model_file.string());
  if (!status.ok())
    fail(ErrorKind::InvalidModel, model_file.filename().string() + ": not a sentencepiece model: " + status.ToString());
  mask_id_ = static_cast<int32_t>(processor_->GetPieceSize()) + kOffset;
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int32_t> SentencePieceTokenizer::content_ids(std::string_view text) const {
  const std::string clean = is_valid_utf8(text) ? std::string(text) : sanitize_utf8(text);
  std::vector<int> pieces;
  const auto status = processor_->Encode(clean, &pieces);
  if (!status.ok()) fail(ErrorKind::Internal, "sentencepiece encode failed: " + status.ToString());
  std::vector<int32_t> content;
  content.reserve(pieces.size());
  for (int id : pieces) content.push_back(id == processor_->unk_id() ? kUnk : id + kOffset);
  return content;
}

Encoding SentencePieceTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int32_t> content = content_ids(text);
  Encoding encoding;
  const TruncationSettings truncation = effective_truncation(options);
  const size_t special = options.add_special_tokens ? 2 : 0;
  if (truncation.max_length > 0)
    encoding.truncated = truncate_content(content, truncation.max_length, special, truncation.side);
  if (options.add_special_tokens) encoding.ids.push_back(kBos);
  encoding.ids.insert(encoding.ids.end(), content.begin(), content.end());
  if (options.add_special_tokens) encoding.ids.push_back(kEos);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  encoding.special_tokens_mask.assign(encoding.ids.size(), 0);
  if (options.add_special_tokens) encoding.special_tokens_mask.front() = encoding.special_tokens_mask.back() = 1;
  encoding.attention_mask.assign(encoding.ids.size(), 1);
  if (options.use_file_settings && padding_) pad(encoding, *padding_);
  return encoding;
}

Encoding SentencePieceTokenizer::encode_pair(std::string_view first, std::string_view second,
                                             const EncodeOptions& options) const {
  std::vector<int32_t> a = content_ids(first), b = content_ids(second);
  Encoding encoding;
  const TruncationSettings truncation = effective_truncation(options);
  const size_t special = options.add_special_tokens ? 4 : 0;
  if (truncation.max_length > 0)
    encoding.truncated = truncate_pair(a, b, truncation.max_length, special, truncation.side);
  // XLM-R's pair form: <s> a </s> </s> b </s>, every type id 0.
  auto add = [&](int32_t id, bool special_token) {
    encoding.ids.push_back(id);
    encoding.special_tokens_mask.push_back(special_token ? 1 : 0);
  };
  if (options.add_special_tokens) add(kBos, true);
  for (int32_t id : a) add(id, false);
  if (options.add_special_tokens) {
    add(kEos, true);
    add(kEos, true);
  }
  for (int32_t id : b) add(id, false);
  if (options.add_special_tokens) add(kEos, true);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  encoding.attention_mask.assign(encoding.ids.size(), 1);
  if (options.use_file_settings && padding_) pad(encoding, *padding_);
  return encoding;
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::string out;
  std::vector<int> run;  // consecutive ordinary pieces decode together
  auto flush = [&] {
    if (run.empty()) return;
    std::string text;
    processor_->Decode(run, &text);
    out += text;
    run.clear();
  };
  const int piece_count = processor_->GetPieceSize();
  for (int32_t id : ids) {
    const char* special = id == kBos ? "<s>" : id == kPad ? "<pad>" : id == kEos ? "</s>" : id == kUnk ? "<unk>"
                        : id == mask_id_ ? "<mask>" : nullptr;
    if (special != nullptr) {
      if (skip_special_tokens) continue;
      flush();
      out += special;
      continue;
    }
    const int64_t sp_id = int64_t{id} - kOffset;  // 64-bit: id may be INT32_MIN
    if (sp_id < 0 || sp_id >= piece_count) continue;  // unknown ids are skipped
    run.push_back(static_cast<int>(sp_id));
  }
  flush();
  return out;
}

std::optional<int32_t> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  if (token == "<s>") return kBos;
  if (token == "<pad>") return kPad;
  if (token == "</s>") return kEos;
  if (token == "<unk>") return kUnk;
  if (token == "<mask>") return mask_id_;
  const int id = processor_->PieceToId(std::string(token));
  if (id == processor_->unk_id()) return std::nullopt;
  return id + kOffset;
}

}  // namespace packformer::tokenizer
