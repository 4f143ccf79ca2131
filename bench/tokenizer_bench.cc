// Tokenization throughput on one thread: encodes every line of a corpus repeatedly and
// prints lines/s, MB/s and tokens/s (median of the timed passes). Compare with
// bench/tokenizer_bench_hf.py on the same corpus (docs/TOKENIZERS.md).
//
//   tokenizer_bench (--tokenizer FILE | --model DIR) --corpus FILE [--passes N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "packformer/error.h"
#include "packformer/tokenizer.h"

namespace {

std::vector<std::string> read_corpus(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) packformer::fail(packformer::ErrorKind::Io, "cannot open corpus '" + path + "'");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

int usage() {
  std::fprintf(stderr, "usage: tokenizer_bench (--tokenizer FILE | --model DIR) --corpus FILE [--passes N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tokenizer_file, model_dir, corpus_file;
  int passes = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--tokenizer") tokenizer_file = argv[++i];
    else if (arg == "--model") model_dir = argv[++i];
    else if (arg == "--corpus") corpus_file = argv[++i];
    else if (arg == "--passes") passes = std::max(1, std::atoi(argv[++i]));
    else return usage();
  }
  if (corpus_file.empty() || tokenizer_file.empty() == model_dir.empty()) return usage();
  try {
    const auto tokenizer = tokenizer_file.empty() ? packformer::Tokenizer::from_model_dir(model_dir)
                                                  : packformer::Tokenizer::from_file(tokenizer_file);
    const auto lines = read_corpus(corpus_file);
    size_t bytes = 0;
    for (const auto& line : lines) bytes += line.size();
    size_t tokens = 0;
    for (const auto& line : lines) tokens += tokenizer->encode(line).ids.size();  // warm-up (fills caches)
    std::vector<double> seconds;
    for (int p = 0; p < passes; ++p) {
      const auto start = std::chrono::steady_clock::now();
      size_t count = 0;
      for (const auto& line : lines) count += tokenizer->encode(line).ids.size();
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (count != tokens) std::fprintf(stderr, "warning: token count changed between passes\n");
    }
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    std::printf("packformer: %zu lines, %.2f MB, %zu tokens per pass; median of %d passes %.4f s\n", lines.size(),
                bytes / 1e6, tokens, passes, median);
    std::printf("lines/s %.0f  MB/s %.2f  tokens/s %.0f\n", lines.size() / median, bytes / 1e6 / median,
                tokens / median);
  } catch (const packformer::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
