// Llama-style decoders (model_type llama, mistral, qwen2, qwen3): pre-RMSNorm blocks, rotary
// positions, grouped-query attention (num_key_value_heads <= num_attention_heads, the KV cache
// holds key/value heads only), a gated SiLU feed-forward, no biases except where the family has
// them (qwen2's q/k/v, llama's attention_bias / mlp_bias), qwen3's per-head q/k RMSNorm, sliding
// windows (mistral; qwen2/qwen3 with use_sliding_window). LlamaModel serves search through the
// StepModel interface with a KV cache planned once per generate call, as Gpt2Model does.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "generation/step_model.h"
#include "packformer/device.h"
#include "layers/rotary.h"
#include "loader/json_file.h"
#include "models/generation_defaults.h"
#include "ops/activation.h"

namespace packformer {

struct LlamaConfig {
  std::string model_type;
  int64_t vocab_size = 0, hidden_size = 0, intermediate_size = 0, num_layers = 0;
  int64_t num_heads = 0, num_kv_heads = 0, head_dim = 0, max_position_embeddings = 0;
  float rms_norm_eps = 1e-6f;
  Activation activation = Activation::Silu;
  bool qkv_bias = false, o_bias = false, mlp_bias = false;
  bool qk_norm = false;  // qwen3: RMSNorm over each head's dims of q and k, before RoPE
  bool tie_word_embeddings = false;
  std::vector<int64_t> sliding_window;  // per layer: the keys a query sees at most; 0 = all
  RopeParameters rope;
  GenerationDefaults generation;  // generation_config.json, else config.json

  int64_t q_width() const { return num_heads * head_dim; }
  int64_t kv_width() const { return num_kv_heads * head_dim; }
};

// config.json's fields, range-checked; errors name the file and the field.
LlamaConfig parse_llama_config(const JsonFile& config_json);

class LlamaModel final : public StepModel {
 public:
  // Reads config.json (already parsed) and the weights of `dir`; errors name the file/tensor.
  // dtype: the precision of every Linear, the LM head included (fp32, bf16 or int8).
  LlamaModel(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype = Precision::F32);
  ~LlamaModel() override;

  const LlamaConfig& config() const { return config_; }
  std::unique_ptr<StepModel> new_session() const override;

  int64_t vocab_size() const override { return config_.vocab_size; }
  int64_t max_positions() const override { return config_.max_position_embeddings; }
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

  LlamaModel(LlamaConfig config, std::shared_ptr<const Weights> weights);

  // Plans the workspace and the cache, then runs every prompt token (packed, causal) into
  // cache row prompt * copies and copies it to the prompt's other rows. Returns the token rows run.
  int64_t prefill(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens);
  // Runs the first `rows` entries of the workspace's ids / positions / cache_rows through the
  // blocks; each token's keys and values are written to its cache row first.
  void run_rows(int64_t rows);
  // Projects, normalizes (qwen3), rotates and caches layer l's queries and keys of `rows` tokens.
  void project_qkv(const Layer& layer, int64_t l, int64_t rows);
  // logits[j] = norm(x[rows[j]]) * lm_head^T.
  void lm_head(const int64_t* rows, int64_t n, float* logits);
  void plan(int64_t token_rows, int64_t cache_rows, int64_t cache_positions, int64_t copies);

  LlamaConfig config_;
  std::shared_ptr<const Weights> weights_;  // immutable, shared by sessions
  std::unique_ptr<Workspace> ws_;
};

}  // namespace packformer
