// What each fuzz target does with one input, shared by the libFuzzer programs (*_fuzz.cc) and
// by fuzz_regressions_test, which replays the committed corpora and every crash input without
// libFuzzer. A packformer::Error is an accepted outcome (a clear refusal); any other exception,
// a crash or a sanitizer report is a bug.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json_lines.h"
#include "line_io.h"
#include "loader/json_file.h"
#include "loader/safetensors.h"
#include "models/bert.h"
#include "models/gpt2.h"
#include "models/seq2seq.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace packformer::fuzz {

// Runs `body`, swallowing the clear errors packformer is allowed to give.
template <typename F>
void accepting_errors(F&& body) {
  try {
    body();
  } catch (const Error&) {
  }
}

// Bytes -> safetensors parser, then every tensor read back as fp32 and (integers) int64.
inline void safetensors_input(const uint8_t* data, size_t size) {
  accepting_errors([&] {
    const SafetensorsFile file = SafetensorsFile::from_memory(data, size, "fuzz.safetensors");
    for (const auto& [name, info] : file.tensors()) {
      const std::vector<float> values = file.to_f32(info);
      if (values.size() != static_cast<size_t>(info.element_count())) std::abort();
      const bool is_float = info.dtype == DType::F32 || info.dtype == DType::F16 || info.dtype == DType::BF16 ||
                            info.dtype == DType::F64;
      if (!is_float) file.to_i64(info);
    }
  });
}

// Bytes -> config.json: JSON checks, then every architecture's config parser (types, ranges,
// token ids) on the same document, so a mutation of one family's fields reaches the others.
inline void config_json_input(const uint8_t* data, size_t size) {
  std::optional<JsonFile> json;
  accepting_errors([&] {
    json.emplace(JsonFile::from_text(std::string(reinterpret_cast<const char*>(data), size), "config.json"));
  });
  if (!json) return;
  accepting_errors([&] {
    const std::string model_type = json->get_string("model_type", "bert");
    parse_bert_config(*json, is_bert_family(model_type) ? model_type : "bert");
  });
  accepting_errors([&] { parse_gpt2_config(*json); });
  accepting_errors([&] { parse_seq2seq_config(*json); });
}

// Runs a loaded tokenizer over a few texts (alone and split into a pair) and id lists: with and
// without the file's own truncation and padding, then decodes what it produced. `check_ids`: every id must be below
// vocab_size() (true of real tokenizers; a fuzzed file may pad or add special ids beyond it).
inline void exercise_tokenizer(const Tokenizer& tokenizer, std::string_view text, bool check_ids) {
  EncodeOptions with_file_settings;
  with_file_settings.use_file_settings = true;
  EncodeOptions truncated;
  truncated.max_length = 8;
  for (const EncodeOptions& options : {EncodeOptions{}, with_file_settings, truncated}) {
    accepting_errors([&] {
      const Encoding encoding = tokenizer.encode(text, options);
      for (int32_t id : encoding.ids)
        if (check_ids && (id < 0 || static_cast<size_t>(id) >= tokenizer.vocab_size())) std::abort();
      tokenizer.decode(encoding.ids, true);
      tokenizer.decode(encoding.ids, false);
    });
    // The same bytes as a text pair (the post-processor's pair form, longest_first truncation).
    accepting_errors([&] {
      const size_t half = text.size() / 2;
      const Encoding pair = tokenizer.encode_pair(text.substr(0, half), text.substr(half), options);
      if (pair.type_ids.size() != pair.ids.size() || pair.special_tokens_mask.size() != pair.ids.size()) std::abort();
      for (int32_t id : pair.ids)
        if (check_ids && (id < 0 || static_cast<size_t>(id) >= tokenizer.vocab_size())) std::abort();
    });
  }
  // Ids read straight from the bytes: anything an API user might pass to decode.
  std::vector<int32_t> ids(text.size() / 4);
  if (!ids.empty()) std::memcpy(ids.data(), text.data(), ids.size() * 4);
  accepting_errors([&] { tokenizer.decode(ids, ids.size() % 2 == 0); });
  accepting_errors([&] { tokenizer.token_to_id(text); });
}

// Bytes -> tokenizer.json loader; a file that loads is then used.
inline void tokenizer_json_input(const uint8_t* data, size_t size) {
  std::unique_ptr<Tokenizer> tokenizer;
  accepting_errors([&] {
    tokenizer = tokenizer::load_tokenizer_json(std::string_view(reinterpret_cast<const char*>(data), size),
                                               "tokenizer.json");
  });
  if (!tokenizer) return;
  for (const char* text : {"Hello world! ", "  héllo\tWORLD 123 ", "\xE4\xB8\x80\xFF\xF0\x9F\x98\x80 [CLS] <s>", ""})
    exercise_tokenizer(*tokenizer, text, /*check_ids=*/false);
}

// One tokenizer of each model kind (WordPiece, byte-level BPE, BPE with byte fallback,
// Unigram, sentencepiece .model, BERT vocab.txt), loaded once from the committed test data.
inline const std::vector<std::unique_ptr<Tokenizer>>& all_tokenizers(const std::filesystem::path& tokenizer_data) {
  static const std::vector<std::unique_ptr<Tokenizer>> tokenizers = [&] {
    std::vector<std::unique_ptr<Tokenizer>> out;
    for (const char* name : {"minilm", "wordpiece", "bpe", "gpt4", "llama", "unigram", "metaspace"})
      out.push_back(Tokenizer::from_file(tokenizer_data / name / "tokenizer.json"));
    out.push_back(Tokenizer::from_file(tokenizer_data / "spm" / "sentencepiece.bpe.model"));
    out.push_back(Tokenizer::from_file(tokenizer_data / "minilm_vocab" / "vocab.txt"));
    return out;
  }();
  return tokenizers;
}

// Arbitrary bytes through every tokenizer.
inline void tokenize_input(const uint8_t* data, size_t size, const std::filesystem::path& tokenizer_data) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& tokenizer : all_tokenizers(tokenizer_data)) exercise_tokenizer(*tokenizer, text, /*check_ids=*/true);
}

// Bytes -> the CLI's input readers: lines split in chunks of a size the first byte picks, each
// line read as an `--ids` JSON array and written back as a JSON string; the remaining bytes
// also go through the float writer.
inline void cli_input(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const size_t chunk = 1 + data[0] % 64;
  ++data;
  --size;
  std::vector<std::string> lines;
  accepting_errors([&] {
    cli::LineSplitter splitter(/*max_line_bytes=*/256);  // small, so the limit is reached too
    for (size_t at = 0; at < size; at += chunk)
      splitter.feed(reinterpret_cast<const char*>(data) + at, std::min(chunk, size - at));
    lines = splitter.finish();
  });
  for (size_t i = 0; i < lines.size(); ++i) {
    accepting_errors([&] { cli::parse_id_array(lines[i], i + 1); });
    cli::json_string(lines[i]);
  }
  std::vector<float> floats(size / 4);
  if (!floats.empty()) std::memcpy(floats.data(), data, floats.size() * 4);
  std::string out;
  cli::append_float_array(out, floats.data(), static_cast<int64_t>(floats.size()));
}

}  // namespace packformer::fuzz
