// The tiny GPT-2 goldens (scripts/make_golden.py generation): prompts, generate() results
// and per-position logits from transformers.
#pragma once

#include <nlohmann/json.hpp>

#include "packformer/generator.h"
#include "test_util.h"

namespace packformer::test {

inline std::filesystem::path tiny_gpt2() { return tiny_model("tiny-gpt2"); }

inline nlohmann::json generation_golden() {
  return nlohmann::json::parse(read_file(data_dir() / "golden" / "tiny-gpt2-generate.json"));
}

inline std::vector<std::vector<int32_t>> golden_prompts(const nlohmann::json& golden) {
  return golden.at("prompts").get<std::vector<std::vector<int32_t>>>();
}

inline const nlohmann::json& golden_case(const nlohmann::json& golden, const std::string& name) {
  for (const auto& c : golden.at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("golden case missing: " + name);
}

// transformers' generate() keyword arguments -> GenerationOptions.
inline GenerationOptions options_from_golden(const nlohmann::json& kw) {
  GenerationOptions o;
  o.max_new_tokens = kw.at("max_new_tokens").get<int64_t>();
  o.do_sample = kw.value("do_sample", false);
  o.num_beams = kw.value("num_beams", 1);
  o.length_penalty = kw.value("length_penalty", 1.0f);
  o.num_return_sequences = kw.value("num_return_sequences", 1);
  o.no_repeat_ngram_size = kw.value("no_repeat_ngram_size", 0);
  o.repetition_penalty = kw.value("repetition_penalty", 1.0f);
  if (kw.contains("early_stopping")) {
    const auto& e = kw.at("early_stopping");
    o.early_stopping = e.is_string() ? EarlyStopping::Never : e.get<bool>() ? EarlyStopping::Stop : EarlyStopping::Heuristic;
  }
  return o;
}

}  // namespace packformer::test
