// The seam between search and models. Search (greedy, sampling, beam) only ever asks a model
// for the next-token logits of some cache rows and tells it to copy rows for beams; it never
// knows whether the model is decoder-only (GPT-2) or an encoder-decoder (Marian, BART).
//
// Rows: a call serves `prompts.size() * copies` cache rows; row r belongs to prompt r / copies
// (beam search uses copies = num_beams, greedy and sampling use 1). An encoder-decoder model
// runs its encoder and computes cross-attention keys/values once per prompt in begin() and
// shares them between the copies of that prompt (beams never move between prompts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace packformer {

class StepModel {
 public:
  virtual ~StepModel() = default;

  // A model over the same weights (shared, never copied) with a workspace and KV cache of its
  // own: it may run at the same time as this one, from another thread.
  virtual std::unique_ptr<StepModel> new_session() const = 0;

  virtual int64_t vocab_size() const = 0;
  // The largest number of tokens the decoder can hold per row (positions), for checks.
  virtual int64_t max_positions() const = 0;
  // The tokens logits processors (repetition penalty, no-repeat n-grams) see before the
  // generated ones: the prompt for a decoder-only model, the decoder start token for an
  // encoder-decoder model. Also what counts as the "prompt" for length penalties.
  virtual std::vector<int32_t> decoder_prefix(const std::vector<int32_t>& prompt) const = 0;
  // Throws InvalidInput when `prompt` cannot be served with `max_new_tokens` new tokens
  // (empty, too long for the positions, ids out of range); the message names prompt `index`.
  virtual void check_prompt(const std::vector<int32_t>& prompt, int64_t max_new_tokens, size_t index) const = 0;
  // The bytes begin() will plan for these (checked) prompts: the KV cache of every row at its
  // maximum length and the workspace. Computed before anything is allocated, so that a call
  // too large for the machine is refused first; saturates at UINT64_MAX instead of overflowing.
  virtual uint64_t planned_bytes(const std::vector<std::vector<int32_t>>& prompts, int64_t copies,
                                 int64_t max_new_tokens) const = 0;

  // Plans every buffer of the call (the KV cache for all rows at their maximum length
  // included): no later call of this generation allocates. Then runs the prompts (packed, no
  // padding computed) and writes the first next-token logits of each prompt to
  // logits[prompt * vocab_size ...]; every copy of a prompt starts from the same state.
  virtual void begin(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens,
                     float* logits) = 0;
  // Appends tokens[i] to cache row rows[i] (i < n) and writes that row's next-token logits to
  // logits[i * vocab_size ...]. Rows not named are left as they are.
  virtual void step(const int32_t* rows, const int32_t* tokens, int64_t n, float* logits) = 0;
  // Cache row dst[i] becomes a copy of what row src[i] held before the call, for every i at
  // once (so a beam may be copied into several rows, and rows may swap).
  virtual void copy_rows(const int32_t* dst, const int32_t* src, int64_t n) = 0;
};

}  // namespace packformer
