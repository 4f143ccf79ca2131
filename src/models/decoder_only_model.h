// The driver shared by decoder-only models (GPT-2, the Llama family): prompt checks, the
// workspace and KV-cache plan, packed prefill, decode steps and beam row copies. A family adds
// only its blocks (run_rows), its final norm and LM head (lm_head) and its activation buffers;
// the hooks run once per call, never per token row.
#pragma once

#include <cstdint>
#include <vector>

#include "generation/step_model.h"
#include "models/kv_cache.h"

namespace packformer {

// What the driver needs to know of a family's config; fixed for a model's lifetime.
struct DecoderShape {
  const char* model_name;       // prefixes internal errors: "Gpt2Model"
  const char* needs_tokens;     // who needs a token, in the empty-prompt error: "GPT-2", "a decoder"
  const char* positions_field;  // the config field that bounds positions: "n_positions"
  int64_t vocab_size = 0;
  int64_t max_positions = 0;
  int64_t layers = 0;
  int64_t kv_width = 0;  // floats a token's keys (and its values) take in one layer's cache
};

class DecoderOnlyModel : public StepModel {
 public:
  int64_t vocab_size() const override { return shape_.vocab_size; }
  int64_t max_positions() const override { return shape_.max_positions; }
  std::vector<int32_t> decoder_prefix(const std::vector<int32_t>& prompt) const override { return prompt; }
  void check_prompt(const std::vector<int32_t>& prompt, int64_t max_new_tokens, size_t index) const override;
  uint64_t planned_bytes(const std::vector<std::vector<int32_t>>& prompts, int64_t copies,
                         int64_t max_new_tokens) const override;
  void begin(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens,
             float* logits) override;
  void step(const int32_t* rows, const int32_t* tokens, int64_t n, float* logits) override;
  void copy_rows(const int32_t* dst, const int32_t* src, int64_t n) override;

  // Logits of every position of each prompt ([sum of lengths, vocab], packed in prompt order),
  // prompts run packed with causal attention: the direct forward pass, for tests.
  std::vector<float> forward_all(const std::vector<std::vector<int32_t>>& prompts);

 protected:
  explicit DecoderOnlyModel(const DecoderShape& shape) : shape_(shape) {}

  // The token rows of one forward call, filled by the driver before run_rows (prefill: every
  // prompt token; step: one per live row). Grown when a call needs more, never shrunk.
  struct TokenRows {
    std::vector<int32_t> ids;
    std::vector<int64_t> positions;   // the token's position in its cache row
    std::vector<int64_t> cache_rows;  // the cache row its keys and values go to
    std::vector<int64_t> key_counts;  // positions + 1: a token sees itself and what precedes it
  };
  TokenRows rows_;
  KvCache cache_;  // [layer][cache row][position][kv_width]

 private:
  // Floats (as bytes) one token row needs in the family's activation buffers; planned_bytes
  // adds the driver's own per-row indices and the cache.
  virtual uint64_t activation_bytes_per_row() const = 0;
  // Grows the family's activation buffers to `token_rows` rows.
  virtual void plan_activations(int64_t token_rows) = 0;
  // Runs the first `rows` token rows through the blocks; each token's keys and values are
  // written to cache_ (row rows_.cache_rows[i], position rows_.positions[i]) first.
  virtual void run_rows(int64_t rows) = 0;
  // logits[j] = final_norm(x[rows[j]]) * lm_head^T.
  virtual void lm_head(const int64_t* rows, int64_t n, float* logits) = 0;

  // Plans the workspace and the cache for the call, then runs every prompt token (packed,
  // causal) into cache row prompt * copies and copies it to the prompt's other rows.
  // Returns the number of token rows run (the prompts' total length).
  int64_t prefill(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens);
  void plan(int64_t token_rows, int64_t cache_rows, int64_t cache_positions, int64_t copies);
  void run(int64_t rows);

  DecoderShape shape_;
  std::vector<int64_t> last_rows_;  // the token rows lm_head reads
  int64_t copies_ = 1;
};

}  // namespace packformer
