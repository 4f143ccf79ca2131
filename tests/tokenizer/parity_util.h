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

namespace packformer::test {

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

// Encodes every corpus line (up to the golden count) and compares with `golden_file`.
// Returns the number of matching lines; prints the first mismatches.
inline size_t check_ids(const Tokenizer& tokenizer, const std::string& golden_file, const EncodeOptions& options,
                        size_t* total_out = nullptr) {
  const auto corpus = read_corpus();
  const auto golden = read_jsonl(tokenizer_data(golden_file));
  EXPECT_LE(golden.size(), corpus.size());
  size_t matched = 0, shown = 0;
  for (size_t i = 0; i < golden.size() && i < corpus.size(); ++i) {
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
  if (total_out) *total_out = golden.size();
  std::printf("[parity] %s: %zu / %zu lines identical\n", golden_file.c_str(), matched, golden.size());
  EXPECT_EQ(matched, golden.size()) << golden_file;
  return matched;
}

// Decodes each golden id list and compares with HF's decode (skip_special_tokens=True).
inline void check_decode(const Tokenizer& tokenizer, const std::string& ids_file, const std::string& decoded_file) {
  const auto ids = read_jsonl(tokenizer_data(ids_file));
  const auto decoded = read_jsonl(tokenizer_data(decoded_file));
  ASSERT_EQ(ids.size(), decoded.size());
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

}  // namespace packformer::test
