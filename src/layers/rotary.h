// Rotary position embeddings (RoPE) as transformers' Llama-style models apply them: each head's
// first and second halves rotate together (rotate_half), by angles position * inv_freq[i].
// The inverse frequencies follow the config's rope type (transformers' ROPE_INIT_FUNCTIONS):
// default, linear, dynamic, llama3 and yarn; any other type is refused. The cos/sin tables
// are computed once at load for every position the model serves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace packformer {

class JsonFile;

struct RopeParameters {
  std::string type = "default";  // default | linear | dynamic | llama3 | yarn
  double theta = 10000.0;
  double factor = 1.0;                              // linear, dynamic, llama3, yarn
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  int64_t original_max_position_embeddings = 0;     // llama3, yarn (0: max_position_embeddings)
  std::optional<double> attention_factor, mscale, mscale_all_dim;  // yarn
  double beta_fast = 32.0, beta_slow = 1.0;         // yarn
  bool truncate = true;                             // yarn
};

// Reads config.json's `rope_parameters` (transformers 5) or `rope_scaling` (older files, where
// the type may be under `type` and `rope_theta` at the top level); absent or null = default
// RoPE with `rope_theta` (default 10000). Errors name the field; an unknown rope type or a
// partial_rotary_factor other than 1 is Unsupported.
RopeParameters parse_rope_parameters(const JsonFile& config_json);

struct RopeFrequencies {
  std::vector<float> inv_freq;  // head_dim / 2 values, as transformers computes them (fp32)
  float attention_scaling = 1.0f;  // multiplies cos and sin (yarn; 1 otherwise)
};

// transformers' inverse frequencies for `head_dim`. `dynamic` equals `default` for positions up
// to max_position_embeddings (transformers rescales only past them; packformer serves no more).
RopeFrequencies rope_frequencies(const RopeParameters& rope, int64_t head_dim, int64_t max_position_embeddings);

class Rotary {
 public:
  Rotary() = default;
  // Tables for positions [0, positions).
  Rotary(const RopeParameters& rope, int64_t head_dim, int64_t positions, int64_t max_position_embeddings);

  // Rotates `heads` consecutive vectors of head_dim floats at x in place, for `position`.
  void apply(float* x, int64_t heads, int64_t position) const;

  int64_t positions() const { return positions_; }
  int64_t head_dim() const { return 2 * half_; }

 private:
  std::vector<float> cos_, sin_;  // [position][head_dim / 2]
  int64_t half_ = 0, positions_ = 0;
};

}  // namespace packformer
