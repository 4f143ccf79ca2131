// Shared helpers for the tokenizer parity tests: the corpus and the golden files that
// scripts/golden/tokenizers.py writes under tests/data/tokenizer/.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "packformer/error.h"
#include "packformer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace packformer::test {

// Lines scripts/golden/tokenizers.py writes: the corpus (CORPUS_LINES) and each full golden,
// the first 300 of them for the variant settings (no special tokens, max_length 16, the file's
// own settings) and the first 100 for type ids. A golden emptied or cut short must fail.
constexpr size_t kCorpusLines = 2400;
constexpr size_t kVariantLines = 300;
constexpr size_t kTypeIdLines = 100;

inline std::string tokenizer_data(const std::string& relative) {
  // Appended, not `std::string(...) + "..." + relative`: GCC 12 warns -Warray-bounds falsely
  // on that chain of temporaries at -O1 and above.
  std::string path = PACKFORMER_TEST_DATA;
  path += "/tokenizer/";
  path += relative;
  return path;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Lines split on '\n' only (the corpus has CR, U+2028 and friends inside lines).
inline std::vector<std::string> read_corpus() {
  const std::string data = read_file(tokenizer_data("corpus.txt"));
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t at = data.find('\n'); at != std::string::npos; at = data.find('\n', start)) {
    lines.push_back(data.substr(start, at - start));
    start = at + 1;
  }
  if (start < data.size()) lines.push_back(data.substr(start));
  return lines;
}

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line)) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

inline std::string show(const std::vector<int32_t>& ids) { return nlohmann::json(ids).dump(); }

// Encodes the first `lines` corpus lines and compares them with `golden_file`, which must hold
// exactly that many. Prints the first mismatches.
inline void check_ids(const Tokenizer& tokenizer, const std::string& golden_file, const EncodeOptions& options,
                      size_t lines) {
  const auto corpus = read_corpus();
  const auto golden = read_jsonl(tokenizer_data(golden_file));
  ASSERT_EQ(corpus.size(), kCorpusLines) << "tokenizer/corpus.txt";
  ASSERT_EQ(golden.size(), lines) << golden_file;
  size_t matched = 0, shown = 0;
  for (size_t i = 0; i < lines; ++i) {
    const auto expected = golden[i].get<std::vector<int32_t>>();
    const auto actual = tokenizer.encode(corpus[i], options).ids;
    if (actual == expected) {
      ++matched;
    } else if (shown++ < 8) {
      ADD_FAILURE() << golden_file << " line " << i + 1 << ": " << nlohmann::json(corpus[i]).dump(-1, ' ', false,
                                                                                              nlohmann::json::error_handler_t::replace)
                    << "\n  expected " << show(expected) << "\n  actual   " << show(actual);
    }
  }
  std::printf("[parity] %s: %zu / %zu lines identical\n", golden_file.c_str(), matched, lines);
  EXPECT_EQ(matched, lines) << golden_file;
}

// Decodes each golden id list (one per corpus line) and compares with HF's decode
// (skip_special_tokens=True).
inline void check_decode(const Tokenizer& tokenizer, const std::string& ids_file, const std::string& decoded_file) {
  const auto ids = read_jsonl(tokenizer_data(ids_file));
  const auto decoded = read_jsonl(tokenizer_data(decoded_file));
  ASSERT_EQ(ids.size(), kCorpusLines) << ids_file;
  ASSERT_EQ(decoded.size(), kCorpusLines) << decoded_file;
  size_t matched = 0, shown = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string actual = tokenizer.decode(ids[i].get<std::vector<int32_t>>(), true);
    const std::string expected = decoded[i].get<std::string>();
    if (actual == expected) ++matched;
    else if (shown++ < 5)
      ADD_FAILURE() << decoded_file << " line " << i + 1 << "\n  expected " << nlohmann::json(expected).dump()
                    << "\n  actual   " << nlohmann::json(actual).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::printf("[parity] %s: %zu / %zu lines identical\n", decoded_file.c_str(), matched, ids.size());
  EXPECT_EQ(matched, ids.size());
}

// The message of the packformer::Error `f` throws ("" if none).
template <typename F>
inline std::string error_of(F&& f, ErrorKind* kind = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (kind) *kind = e.kind();
    return e.what();
  }
  return "";
}

inline nlohmann::json load_json(const std::string& relative) { return nlohmann::json::parse(read_file(tokenizer_data(relative))); }

inline std::unique_ptr<Tokenizer> from_json(const nlohmann::json& json) {
  return tokenizer::load_tokenizer_json(json.dump(), "tokenizer.json");
}

}  // namespace packformer::test
