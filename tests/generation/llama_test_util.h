// The tiny Llama-style models and their goldens (scripts/make_golden.py llama): per model,
// transformers' logits at every prompt position (golden_logits) and generate() results.
#pragma once

#include <nlohmann/json.hpp>

#include "decoder_golden_util.h"
#include "loader/json_file.h"
#include "models/llama.h"
#include "test_util.h"

namespace packformer::test {

// tiny-llama (GQA, llama3 rope), tiny-mistral (sliding window 8, linear rope), tiny-qwen2
// (q/k/v biases, tied embeddings, window on layer 1), tiny-qwen3 (q/k norm, head_dim 24, yarn).
inline const std::vector<std::string>& llama_family_models() {
  static const std::vector<std::string> names = {"tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-qwen3"};
  return names;
}

inline std::unique_ptr<LlamaModel> load_llama(const std::filesystem::path& dir) {
  const JsonFile config(dir / "config.json");
  return std::make_unique<LlamaModel>(dir, config);
}

inline nlohmann::json llama_generate_golden(const std::string& model) {
  return nlohmann::json::parse(read_file(data_dir() / "golden" / (model + "-generate.json")));
}

}  // namespace packformer::test
