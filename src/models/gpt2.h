// GPT-2 (GPT2LMHeadModel / GPT2Model folders): pre-LayerNorm decoder blocks, learned
// positions, Conv1D weights stored [in, out] (transposed once at load into packed GEMMs),
// tanh-approximate GELU, LM head tied to the token embeddings. Gpt2Model serves search
// through the StepModel interface with a KV cache planned once per generate call.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "layers/linear.h"
#include "generation/step_model.h"
#include "packformer/device.h"
#include "loader/json_file.h"
#include "ops/activation.h"

namespace packformer {

struct Gpt2Config {
  int64_t vocab_size = 0, n_embd = 0, n_layer = 0, n_head = 0, n_positions = 0, n_inner = 0;
  float layer_norm_epsilon = 1e-5f;
  Activation activation = Activation::GeluTanh;
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;
  std::vector<int32_t> eos_token_ids;  // from generation_config.json, else config.json; may be empty
  int32_t bos_token_id = -1;           // -1 = none
  int64_t head_dim() const { return n_embd / n_head; }
};

Gpt2Config parse_gpt2_config(const JsonFile& config_json);

class Gpt2Model final : public StepModel {
 public:
  // Reads config.json (already parsed) and the weights of `dir`; errors name the file/tensor.
  // dtype: the precision of every Linear, the LM head included (fp32, bf16 or int8).
  Gpt2Model(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype = Precision::F32);
  ~Gpt2Model() override;

  const Gpt2Config& config() const { return config_; }
  std::unique_ptr<StepModel> new_session() const override;

  int64_t vocab_size() const override { return config_.vocab_size; }
  int64_t max_positions() const override { return config_.n_positions; }
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

 private:
  struct Layer;
  struct Weights;
  struct Workspace;

  Gpt2Model(Gpt2Config config, std::shared_ptr<const Weights> weights);

  // Plans the workspace and the cache for the call, then runs every prompt token (packed,
  // causal) into cache row prompt * copies and copies it to the prompt's other rows.
  // Returns the number of token rows run (the prompts' total length).
  int64_t prefill(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens);
  // Runs the first `rows` entries of the workspace's ids / positions / cache_rows through the
  // blocks; each token's keys and values are written to its cache row first.
  void run_rows(int64_t rows);
  // logits[j] = ln_f(x[rows[j]]) * wte^T.
  void lm_head(const int64_t* rows, int64_t n, float* logits);
  void plan(int64_t token_rows, int64_t cache_rows, int64_t cache_positions, int64_t copies);

  Gpt2Config config_;
  std::shared_ptr<const Weights> weights_;  // immutable, shared by sessions
  std::unique_ptr<Workspace> ws_;
};

}  // namespace packformer
