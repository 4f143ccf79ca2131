// The public Tokenizer: shared truncation/padding helpers and the choice of implementation
// for a file or a model folder.
#include "packformer/tokenizer.h"

#include <algorithm>

#include "packformer/error.h"
#include "tokenizer/bert_vocab.h"
#include "tokenizer/marian_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace packformer {

namespace fs = std::filesystem;
using namespace packformer::tokenizer;

Tokenizer::~Tokenizer() = default;

bool Tokenizer::truncate_content(std::vector<int32_t>& content, size_t max_length, size_t special_count,
                                 TruncationSide side) {
  if (max_length < special_count)
    fail(ErrorKind::InvalidInput, "max_length " + std::to_string(max_length) + " is smaller than the " +
                                      std::to_string(special_count) + " special tokens the tokenizer adds");
  const size_t keep = max_length - special_count;
  if (content.size() <= keep) return false;
  if (side == TruncationSide::Right) content.resize(keep);
  else content.erase(content.begin(), content.end() - static_cast<std::ptrdiff_t>(keep));
  return true;
}

namespace {

void cut_to(std::vector<int32_t>& ids, size_t keep, TruncationSide side) {
  if (ids.size() <= keep) return;
  if (side == TruncationSide::Right) ids.resize(keep);
  else ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(keep));
}

}  // namespace

bool Tokenizer::truncate_pair(std::vector<int32_t>& first, std::vector<int32_t>& second, size_t max_length,
                              size_t special_count, TruncationSide side) {
  if (max_length < special_count)
    fail(ErrorKind::InvalidInput, "max_length " + std::to_string(max_length) + " is smaller than the " +
                                      std::to_string(special_count) + " special tokens the tokenizer adds to a pair");
  const size_t budget = max_length - special_count;
  if (first.size() + second.size() <= budget) return false;
  // The shorter text keeps all its tokens if the longer one can take the rest and still be at
  // least as long; otherwise both get half (HF tokenizers' longest_first, in closed form).
  size_t shorter = std::min(first.size(), second.size());
  size_t longer = shorter > budget ? shorter : std::max(shorter, budget - shorter);
  if (shorter + longer > budget) {
    shorter = budget / 2;
    longer = shorter + budget % 2;
  }
  const bool first_is_longer = first.size() > second.size();
  cut_to(first, first_is_longer ? longer : shorter, side);
  cut_to(second, first_is_longer ? shorter : longer, side);
  return true;
}

Encoding Tokenizer::encode_pair(std::string_view, std::string_view, const EncodeOptions&) const {
  fail(ErrorKind::Unsupported, "this tokenizer has no pair form: encode the texts one at a time");
}

void Tokenizer::pad(Encoding& encoding, const PaddingSettings& padding) {
  size_t target = std::max(padding.length, encoding.ids.size());
  if (padding.pad_to_multiple_of > 0 && target % padding.pad_to_multiple_of != 0)
    target += padding.pad_to_multiple_of - target % padding.pad_to_multiple_of;
  const size_t extra = target - encoding.ids.size();
  if (extra == 0) return;
  auto grow = [&](auto& v, auto value) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    if (padding.left) v.insert(v.begin(), extra, static_cast<T>(value));
    else v.insert(v.end(), extra, static_cast<T>(value));
  };
  grow(encoding.ids, padding.pad_id);
  grow(encoding.type_ids, padding.pad_type_id);
  grow(encoding.special_tokens_mask, 1);
  grow(encoding.attention_mask, 0);
}

TruncationSettings Tokenizer::effective_truncation(const EncodeOptions& options) const {
  TruncationSettings settings;
  if (options.max_length > 0) {
    settings.max_length = options.max_length;
    if (truncation_) settings.side = truncation_->side;
  } else if (options.use_file_settings && truncation_) {
    settings = *truncation_;
  }
  return settings;
}

std::unique_ptr<Tokenizer> Tokenizer::from_file(const fs::path& file) {
  if (!fs::is_regular_file(file)) fail(ErrorKind::Io, "tokenizer file '" + file.string() + "' does not exist");
  const std::string extension = file.extension().string();
  if (extension == ".model") return std::make_unique<SentencePieceTokenizer>(file);
  // Marian: source.spm names the folder of source.spm, target.spm and vocab.json.
  if (extension == ".spm") return std::make_unique<MarianTokenizer>(file.parent_path());
  if (extension == ".txt") return load_bert_vocab(file, read_bert_options(file.parent_path() / "tokenizer_config.json"));
  return load_tokenizer_json_file(file);
}

std::optional<fs::path> Tokenizer::find_in_model_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir / "tokenizer.json", ec)) return dir / "tokenizer.json";
  if (fs::is_regular_file(dir / "source.spm", ec) && fs::is_regular_file(dir / "vocab.json", ec))
    return dir / "source.spm";
  for (const char* name : {"sentencepiece.bpe.model", "spiece.model"})
    if (fs::is_regular_file(dir / name, ec)) return dir / name;
  std::vector<fs::path> models;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".model") models.push_back(entry.path());
  if (!models.empty()) {
    std::sort(models.begin(), models.end());  // deterministic when there are several
    return models.front();
  }
  if (fs::is_regular_file(dir / "vocab.txt", ec)) return dir / "vocab.txt";
  return std::nullopt;
}

std::unique_ptr<Tokenizer> Tokenizer::from_model_dir(const fs::path& dir) {
  if (!fs::is_directory(dir)) fail(ErrorKind::Io, "model folder '" + dir.string() + "' does not exist");
  const std::optional<fs::path> file = find_in_model_dir(dir);
  if (!file)
    fail(ErrorKind::InvalidModel, "no tokenizer in '" + dir.string() +
                                      "': expected tokenizer.json, Marian's source.spm + vocab.json, a sentencepiece .model file or vocab.txt");
  return from_file(*file);
}

}  // namespace packformer
