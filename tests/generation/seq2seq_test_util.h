// The tiny Marian and BART goldens (scripts/make_golden.py seq2seq): forward outputs
// (NAME.forward.safetensors) and generate() results (NAME.generate.json).
#pragma once

#include <nlohmann/json.hpp>

#include "generation_test_util.h"

namespace packformer::test {

// tiny-marian-separate: Marian with a source and a target vocabulary and an untied LM head.
inline const std::vector<std::string>& seq2seq_models() {
  static const std::vector<std::string> names{"tiny-marian", "tiny-bart", "tiny-marian-separate"};
  return names;
}

// The models with a tokenizer (and text goldens).
inline const std::vector<std::string>& seq2seq_text_models() {
  static const std::vector<std::string> names{"tiny-marian", "tiny-bart"};
  return names;
}

inline nlohmann::json seq2seq_golden(const std::string& model) {
  return nlohmann::json::parse(read_file(data_dir() / "golden" / (model + ".generate.json")));
}

inline std::vector<std::vector<int32_t>> golden_sources(const nlohmann::json& golden) {
  return golden.at("sources").get<std::vector<std::vector<int32_t>>>();
}

// NAME.forward.safetensors: right-padded sources with their mask, teacher-forced decoder ids,
// and transformers' encoder output and logits for them.
struct ForwardGolden {
  std::vector<std::vector<int32_t>> sources, decoder_ids;
  std::vector<float> encoder_states;  // [batch, max source length, d_model], padded rows included
  std::vector<float> logits;          // [batch, decoder length, vocab]
  int64_t max_source = 0, decoder_length = 0;
};

inline ForwardGolden forward_golden(const std::string& model) {
  const Golden golden(model + ".forward");
  ForwardGolden g;
  const auto ids = golden.ints("input_ids"), mask = golden.ints("attention_mask"), dec = golden.ints("decoder_input_ids");
  const int64_t batch = golden.shape("input_ids")[0];
  g.max_source = golden.shape("input_ids")[1];
  g.decoder_length = golden.shape("decoder_input_ids")[1];
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int32_t> source, decoder;
    for (int64_t t = 0; t < g.max_source && mask[b * g.max_source + t] == 1; ++t)
      source.push_back(static_cast<int32_t>(ids[b * g.max_source + t]));
    for (int64_t t = 0; t < g.decoder_length; ++t) decoder.push_back(static_cast<int32_t>(dec[b * g.decoder_length + t]));
    g.sources.push_back(source);
    g.decoder_ids.push_back(decoder);
  }
  g.encoder_states = golden.floats("encoder_last_hidden_state");
  g.logits = golden.floats("logits");
  return g;
}

}  // namespace packformer::test
