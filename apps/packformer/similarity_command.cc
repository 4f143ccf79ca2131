// packformer similarity: embeds each input line and prints the cosine-similarity matrix.
#include <cmath>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "device_options.h"
#include "line_io.h"
#include "option_bounds.h"
#include "path_options.h"
#include "packformer/encoder.h"
#include "packformer/error.h"

namespace packformer::cli {
namespace {

struct SimilarityOptions {
  std::string model;
  std::string input;
  int64_t threads = 0;  // wide, so that 2^31 gets the range error, not a conversion error
  PathOptions paths;
  DeviceOptions device;
};

double cosine(const float* a, const float* b, int64_t n) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < n; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

void run_similarity(const SimilarityOptions& o) {
  const int threads = checked_threads(o.threads);
  const auto encoder = o.device.load(o.model, o.paths.encoder_options(threads));
  const std::vector<std::string> texts = read_lines(o.input);
  if (texts.empty())
    fail(ErrorKind::InvalidInput,
         "no input lines to compare: " + (o.input.empty() ? std::string("stdin") : "--input " + o.input) + " is empty");
  if (texts.size() > 64) fail(ErrorKind::InvalidInput, "similarity prints a matrix: give at most 64 lines");
  const EncoderOutput out = encoder->run(encoder->tokenize(texts), kSentenceEmbedding, o.paths.run_options());
  const int64_t h = out.hidden_size, n = static_cast<int64_t>(texts.size());
  for (int64_t i = 0; i < n; ++i) std::printf("[%lld] %s\n", static_cast<long long>(i), texts[i].c_str());
  std::printf("\ncosine similarity\n     ");
  for (int64_t j = 0; j < n; ++j) std::printf(" %6lld", static_cast<long long>(j));
  std::printf("\n");
  for (int64_t i = 0; i < n; ++i) {
    std::printf("[%2lld] ", static_cast<long long>(i));
    for (int64_t j = 0; j < n; ++j)
      std::printf(" %6.3f", cosine(out.sentence_embeddings.data() + i * h, out.sentence_embeddings.data() + j * h, h));
    std::printf("\n");
  }
}

}  // namespace

void register_similarity_command(CLI::App& app) {
  auto o = std::make_shared<SimilarityOptions>();
  CLI::App* cmd = app.add_subcommand("similarity", "embed each input line and print their cosine similarities");
  cmd->add_option("--model", o->model, "sentence-embedding model folder")->required();
  cmd->add_option("--input", o->input, "one text per line (default: stdin)");
  cmd->add_option("--threads", o->threads, "threads (default: all cores)");
  o->paths.add_to(cmd);
  o->device.add_to(cmd);
  cmd->callback([o] { run_similarity(*o); });
}

}  // namespace packformer::cli
