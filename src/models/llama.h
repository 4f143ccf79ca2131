// Llama-style decoders (model_type llama, mistral, qwen2, qwen3): pre-RMSNorm blocks, rotary
// positions, grouped-query attention (num_key_value_heads <= num_attention_heads, the KV cache
// holds key/value heads only), a gated SiLU feed-forward, no biases except where the family has
// them (qwen2's q/k/v, llama's attention_bias / mlp_bias), qwen3's per-head q/k RMSNorm, sliding
// windows (mistral; qwen2/qwen3 with use_sliding_window). LlamaModel serves search through
// DecoderOnlyModel's driver, as Gpt2Model does.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "packformer/device.h"
#include "layers/rotary.h"
#include "loader/json_file.h"
#include "models/decoder_only_model.h"
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

class LlamaModel final : public DecoderOnlyModel {
 public:
  // Reads config.json (already parsed) and the weights of `dir`; errors name the file/tensor.
  // dtype: the precision of every Linear, the LM head included (fp32, bf16 or int8).
  LlamaModel(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype = Precision::F32);
  ~LlamaModel() override;

  const LlamaConfig& config() const { return config_; }
  std::unique_ptr<StepModel> new_session() const override;

 private:
  struct Layer;
  struct Weights;
  struct Workspace;

  // No weights yet when `weights` is null (the loading constructor fills them).
  LlamaModel(LlamaConfig config, std::shared_ptr<const Weights> weights);

  uint64_t activation_bytes_per_row() const override;
  void plan_activations(int64_t token_rows) override;
  void run_rows(int64_t rows) override;
  // Projects, normalizes (qwen3), rotates and caches layer l's queries and keys of `rows` tokens.
  void project_qkv(const Layer& layer, int64_t l, int64_t rows);
  // logits[j] = norm(x[rows[j]]) * lm_head^T.
  void lm_head(const int64_t* rows, int64_t n, float* logits) override;

  LlamaConfig config_;
  std::shared_ptr<const Weights> weights_;  // immutable, shared by sessions
  std::unique_ptr<Workspace> ws_;
};

}  // namespace packformer
