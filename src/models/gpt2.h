// GPT-2 (GPT2LMHeadModel / GPT2Model folders): pre-LayerNorm decoder blocks, learned
// positions, Conv1D weights stored [in, out] (transposed once at load into packed GEMMs),
// tanh-approximate GELU, LM head tied to the token embeddings. Gpt2Model serves search
// through DecoderOnlyModel's driver (StepModel, KV cache planned once per generate call).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "layers/linear.h"
#include "packformer/device.h"
#include "loader/json_file.h"
#include "models/decoder_only_model.h"
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

class Gpt2Model final : public DecoderOnlyModel {
 public:
  // Reads config.json (already parsed) and the weights of `dir`; errors name the file/tensor.
  // dtype: the precision of every Linear, the LM head included (fp32, bf16 or int8).
  Gpt2Model(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype = Precision::F32);
  ~Gpt2Model() override;

  const Gpt2Config& config() const { return config_; }
  std::unique_ptr<StepModel> new_session() const override;

 private:
  struct Layer;
  struct Weights;
  struct Workspace;

  // No weights yet when `weights` is null (the loading constructor fills them).
  Gpt2Model(Gpt2Config config, std::shared_ptr<const Weights> weights);

  uint64_t activation_bytes_per_row() const override;
  void plan_activations(int64_t token_rows) override;
  void run_rows(int64_t rows) override;
  // logits[j] = ln_f(x[rows[j]]) * wte^T.
  void lm_head(const int64_t* rows, int64_t n, float* logits) override;

  Gpt2Config config_;
  std::shared_ptr<const Weights> weights_;  // immutable, shared by sessions
  std::unique_ptr<Workspace> ws_;
};

}  // namespace packformer
