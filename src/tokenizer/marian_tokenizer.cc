#include "tokenizer/marian_tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>

#include "loader/json_file.h"
#include "packformer/error.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<sentencepiece::SentencePieceProcessor> load_spm(const fs::path& file) {
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) fail(ErrorKind::InvalidModel, file.string() + ": file not found (Marian "
                                                                                     "tokenizers need source.spm and target.spm)");
  const auto status = processor->Load(file.string());
  if (!status.ok()) fail(ErrorKind::InvalidModel, file.string() + ": not a sentencepiece model: " + status.ToString());
  return processor;
}

// vocab.json: {"piece": id, ...}.
std::unordered_map<std::string, int32_t> load_vocab(const fs::path& file) {
  const JsonFile json(file);
  std::unordered_map<std::string, int32_t> vocab;
  for (const auto& [piece, id] : json.root().items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
      json.invalid(piece, "expected a non-negative token id");
    vocab.emplace(piece, static_cast<int32_t>(id.get<int64_t>()));
  }
  if (vocab.empty()) fail(ErrorKind::InvalidModel, file.string() + ": the vocabulary is empty");
  return vocab;
}

// The byte length of the language code ">>xx<<" that `text` starts with, else 0.
size_t language_code_length(std::string_view text) {
  if (text.substr(0, 2) != ">>") return 0;
  const size_t end = text.find("<<");
  return end == std::string_view::npos ? 0 : end + 2;
}

}  // namespace

MarianTokenizer::MarianTokenizer(const fs::path& dir)
    : source_(load_spm(dir / "source.spm")), target_(load_spm(dir / "target.spm")) {
  encoder_ = load_vocab(dir / "vocab.json");
  std::string eos = "</s>", unk = "<unk>", pad = "<pad>";
  bool separate = false;
  std::error_code ec;
  if (fs::is_regular_file(dir / "tokenizer_config.json", ec)) {
    const JsonFile config(dir / "tokenizer_config.json");
    eos = config.get_string("eos_token", eos);
    unk = config.get_string("unk_token", unk);
    pad = config.get_string("pad_token", pad);
    separate = config.get_bool("separate_vocabs", false);
  }
  const auto target_vocab = separate ? load_vocab(dir / "target_vocab.json") : encoder_;
  for (const auto& [piece, id] : target_vocab) decoder_.emplace(id, piece);
  decoder_spm_ = separate ? target_.get() : source_.get();
  const auto id_of = [&](const std::string& token, const char* field) {
    const auto it = encoder_.find(token);
    if (it == encoder_.end())
      fail(ErrorKind::InvalidModel, (dir / "vocab.json").string() + ": the " + field + " token '" + token +
                                        "' is not in the vocabulary");
    return it->second;
  };
  eos_id_ = id_of(eos, "eos");
  unk_id_ = id_of(unk, "unk");
  pad_id_ = id_of(pad, "pad");
  special_tokens_ = {eos, unk, pad};
  special_ids_ = {eos_id_, unk_id_, pad_id_};
  for (const auto& [piece, id] : encoder_) size_ = std::max(size_, static_cast<size_t>(id) + 1);
  for (const auto& [id, piece] : decoder_) size_ = std::max(size_, static_cast<size_t>(id) + 1);
}

MarianTokenizer::~MarianTokenizer() = default;

bool MarianTokenizer::is_special(int32_t id) const {
  return std::find(special_ids_.begin(), special_ids_.end(), id) != special_ids_.end();
}

void MarianTokenizer::encode_segment(std::string_view segment, std::vector<int32_t>& ids) const {
  if (const size_t code = language_code_length(segment); code > 0) {
    const auto it = encoder_.find(std::string(segment.substr(0, code)));
    ids.push_back(it == encoder_.end() ? unk_id_ : it->second);
    segment.remove_prefix(code);
  }
  std::vector<std::string> pieces;
  const auto status = source_->Encode(segment, &pieces);
  if (!status.ok()) fail(ErrorKind::Internal, "sentencepiece encode failed: " + status.ToString());
  for (const std::string& piece : pieces) {
    const auto it = encoder_.find(piece);
    ids.push_back(it == encoder_.end() ? unk_id_ : it->second);
  }
}

Encoding MarianTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  const std::string clean = is_valid_utf8(text) ? std::string(text) : sanitize_utf8(text);
  std::vector<int32_t> content;
  // Special tokens written in the text are tokens of their own; the text between them is
  // encoded segment by segment (as transformers' slow tokenizers split on added tokens).
  size_t start = 0, at = 0;
  while (at < clean.size()) {
    size_t matched = 0, which = 0;
    for (size_t s = 0; s < special_tokens_.size(); ++s)
      if (special_tokens_[s].size() > matched && clean.compare(at, special_tokens_[s].size(), special_tokens_[s]) == 0) {
        matched = special_tokens_[s].size();
        which = s;
      }
    if (matched == 0) {
      ++at;
      continue;
    }
    encode_segment(std::string_view(clean).substr(start, at - start), content);
    content.push_back(special_ids_[which]);
    at += matched;
    start = at;
  }
  encode_segment(std::string_view(clean).substr(start), content);

  Encoding encoding;
  const TruncationSettings truncation = effective_truncation(options);
  const size_t special = options.add_special_tokens ? 1 : 0;
  if (truncation.max_length > 0)
    encoding.truncated = truncate_content(content, truncation.max_length, special, truncation.side);
  encoding.ids = std::move(content);
  if (options.add_special_tokens) encoding.ids.push_back(eos_id_);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  encoding.special_tokens_mask.assign(encoding.ids.size(), 0);
  if (options.add_special_tokens) encoding.special_tokens_mask.back() = 1;
  encoding.attention_mask.assign(encoding.ids.size(), 1);
  if (options.use_file_settings && padding_) pad(encoding, *padding_);
  return encoding;
}

// transformers' convert_tokens_to_string: runs of ordinary pieces are joined by sentencepiece,
// a special token is appended as written followed by a space, "▁" becomes a space, and the
// result is stripped.
std::string MarianTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::string out;
  std::vector<std::string> run;
  const auto flush = [&] {
    std::string text;
    if (!run.empty()) {
      const auto status = decoder_spm_->Decode(run, &text);
      if (!status.ok()) fail(ErrorKind::Internal, "sentencepiece decode failed: " + status.ToString());
    }
    out += text;
    run.clear();
  };
  const int pieces = decoder_spm_->GetPieceSize();
  for (int32_t id : ids) {
    if (is_special(id)) {
      if (skip_special_tokens) continue;
      flush();
      out += special_tokens_[static_cast<size_t>(std::find(special_ids_.begin(), special_ids_.end(), id) -
                                                 special_ids_.begin())] + " ";
      continue;
    }
    const auto it = decoder_.find(id);
    if (it != decoder_.end()) run.push_back(it->second);
    else run.push_back(id >= 0 && id < pieces ? decoder_spm_->IdToPiece(id) : special_tokens_[1]);
  }
  flush();
  std::string spaced;
  for (size_t i = 0; i < out.size();) {
    if (out.compare(i, 3, "\xE2\x96\x81") == 0) {  // U+2581 "▁"
      spaced += ' ';
      i += 3;
    } else {
      spaced += out[i++];
    }
  }
  const size_t first = spaced.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string::npos) return "";
  return spaced.substr(first, spaced.find_last_not_of(" \t\n\r\f\v") - first + 1);
}

std::optional<int32_t> MarianTokenizer::token_to_id(std::string_view token) const {
  const auto it = encoder_.find(std::string(token));
  if (it == encoder_.end()) return std::nullopt;
  return it->second;
}

}  // namespace packformer::tokenizer
