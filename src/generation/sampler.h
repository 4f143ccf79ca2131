// Sampling one token from a row of processed logits as transformers' warpers then
// torch.multinomial do: temperature, then top-k (ties with the k-th score kept), then top-p
// (the smallest set of best tokens whose probability reaches top_p), then a draw from the
// softmax of what is left. Top-k uses partial selection; only top-p alone (top_k 0) sorts the
// candidates. Buffers are sized once per call; sample() allocates nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "generation/rng.h"
#include "generation/selection.h"

namespace packformer {

struct SamplingSettings {
  float temperature = 1.0f;
  int64_t top_k = 0;   // 0 = off
  float top_p = 1.0f;  // 1 = off
};

class Sampler {
 public:
  explicit Sampler(int64_t vocab_size);
  // `row` is scaled by the temperature in place.
  int32_t sample(float* row, const SamplingSettings& settings, Rng& rng);

 private:
  int64_t vocab_size_;
  std::vector<Candidate> candidates_;
  std::vector<double> weights_;
};

}  // namespace packformer
