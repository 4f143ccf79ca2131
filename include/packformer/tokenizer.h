// Tokenizers: text -> ids exactly as Hugging Face `tokenizers` computes them, from the files a
// model folder ships (tokenizer.json, Marian's source.spm + vocab.json, a sentencepiece .model,
// or a BERT vocab.txt).
//
// Input is bytes. Invalid UTF-8 never fails: each ill-formed subsequence is replaced by
// U+FFFD (as Python's bytes.decode(errors="replace") does) before tokenization.
// All methods are const and safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace packformer {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<uint8_t> special_tokens_mask;  // 1 for tokens the post-processor or padding added
  std::vector<uint8_t> attention_mask;       // 0 for padding
  bool truncated = false;
};

enum class TruncationSide { Right, Left };

struct TruncationSettings {
  size_t max_length = 0;
  TruncationSide side = TruncationSide::Right;
};

struct PaddingSettings {
  size_t length = 0;            // pad to this many tokens (0 = no fixed length)
  size_t pad_to_multiple_of = 0;  // then round up to a multiple of this (0 = off)
  bool left = false;            // pad on the left instead of the right
  int32_t pad_id = 0;
  int32_t pad_type_id = 0;
};

struct EncodeOptions {
  bool add_special_tokens = true;
  // 0 = no truncation. Counts special tokens: the content is truncated before the
  // post-processor adds them (HF truncation=True, longest_first), so [CLS] ... [SEP] stays.
  size_t max_length = 0;
  // Also apply the truncation (when max_length is 0) and padding stored in tokenizer.json,
  // as tokenizers' Tokenizer.encode does. Off by default: the engine batches and pads itself.
  bool use_file_settings = false;
};

class Tokenizer {
 public:
  // Picks the tokenizer of a model folder: tokenizer.json, else Marian's source.spm +
  // vocab.json (encode: source side; decode: target side, as transformers' MarianTokenizer),
  // else a sentencepiece model (sentencepiece.bpe.model, spiece.model, any *.model), else
  // vocab.txt (BERT WordPiece, lower-cased unless tokenizer_config.json says "do_lower_case": false).
  static std::unique_ptr<Tokenizer> from_model_dir(const std::filesystem::path& dir);
  // The file from_model_dir would load, in that order of preference; empty when there is none.
  static std::optional<std::filesystem::path> find_in_model_dir(const std::filesystem::path& dir);
  // tokenizer.json, a sentencepiece .model, Marian's source.spm (its folder's files), or
  // vocab.txt (chosen by file name/extension).
  static std::unique_ptr<Tokenizer> from_file(const std::filesystem::path& file);

  virtual ~Tokenizer();
  virtual Encoding encode(std::string_view text, const EncodeOptions& options = {}) const = 0;
  // A pair of texts as Hugging Face's tokenizer.encode(first, second) gives it: the
  // post-processor's pair form ([CLS] a [SEP] b [SEP] with type ids 0 then 1 for BERT,
  // <s> a </s></s> b </s> with type ids 0 for RoBERTa / XLM-R). max_length truncates
  // longest_first as HF does: the longer text loses tokens first, down to an even split.
  // A tokenizer without a pair form (Marian, a template without "pair") throws Unsupported.
  virtual Encoding encode_pair(std::string_view first, std::string_view second,
                               const EncodeOptions& options = {}) const;
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = true) const = 0;
  virtual int32_t pad_id() const = 0;  // id used to pad batches
  // One past the largest id the tokenizer can produce (model vocabulary and added tokens).
  virtual size_t vocab_size() const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;

  // Truncation and padding read from the tokenizer file (used with use_file_settings);
  // callers may override them.
  const std::optional<TruncationSettings>& truncation() const { return truncation_; }
  const std::optional<PaddingSettings>& padding() const { return padding_; }
  void set_truncation(std::optional<TruncationSettings> settings) { truncation_ = settings; }
  void set_padding(std::optional<PaddingSettings> settings) { padding_ = settings; }

 protected:
  // Truncates `content` ids to fit max_length once `special_count` tokens are added.
  static bool truncate_content(std::vector<int32_t>& content, size_t max_length, size_t special_count,
                               TruncationSide side);
  // Truncates a pair's content ids together, HF's longest_first: the longer one is cut first,
  // down to an even split (the odd token to the longer one, to `second` on a tie). Returns whether
  // anything was cut.
  static bool truncate_pair(std::vector<int32_t>& first, std::vector<int32_t>& second, size_t max_length,
                            size_t special_count, TruncationSide side);
  // Applies padding settings to a finished encoding.
  static void pad(Encoding& encoding, const PaddingSettings& padding);
  // The max_length encode() should use for `options` (0 = none), and its side.
  TruncationSettings effective_truncation(const EncodeOptions& options) const;

  std::optional<TruncationSettings> truncation_;
  std::optional<PaddingSettings> padding_;
};

}  // namespace packformer
