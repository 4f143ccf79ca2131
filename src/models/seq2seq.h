// Encoder-decoder translation models: Marian (MarianMTModel) and BART
// (BartForConditionalGeneration). Both are post-LayerNorm Transformers with the same layer
// layout; they differ only in what Seq2SeqConfig records: positions (Marian: sinusoidal from
// 0; BART: learned, offset 2), a LayerNorm after the embeddings (BART), the embedding scale
// (scale_embedding), the activation and the vocabularies. Seq2SeqModel serves search through
// StepModel: begin() runs the encoder over all sources packed, computes every decoder
// layer's cross-attention keys/values once per source (shared by the source's beams) and
// plans the decoder's self-attention cache for the call.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "generation/step_model.h"
#include "packformer/device.h"
#include "loader/json_file.h"
#include "layers/encoder_layer.h"
#include "ops/activation.h"

namespace packformer {

struct Seq2SeqConfig {
  std::string model_type;  // "marian" or "bart"
  int64_t d_model = 0, encoder_layers = 0, decoder_layers = 0, encoder_heads = 0, decoder_heads = 0;
  int64_t encoder_ffn = 0, decoder_ffn = 0, max_positions = 0;
  int64_t vocab_size = 0;          // source (encoder) vocabulary
  int64_t decoder_vocab_size = 0;  // target vocabulary: decoder embeddings, logits
  bool shared_embeddings = true;   // Marian's share_encoder_decoder_embeddings
  Activation activation = Activation::Gelu;
  float embed_scale = 1.0f;        // sqrt(d_model) with scale_embedding
  bool sinusoidal_positions = false;
  int64_t position_offset = 0;     // BART's learned positions start at index 2
  bool layernorm_embedding = false;
  float layer_norm_eps = 1e-5f;    // nn.LayerNorm's default: the configs do not set it
  // Generation defaults: generation_config.json when the folder has one, else config.json
  // (as transformers 5 builds its GenerationConfig).
  int32_t decoder_start_token_id = 0;
  int32_t pad_token_id = -1;
  std::vector<int32_t> eos_token_ids;
  std::optional<int32_t> forced_bos_token_id, forced_eos_token_id;
  std::vector<int32_t> bad_token_ids;  // single-token bad_words_ids (Marian bans <pad>)

  EncoderLayerSpec encoder_layer_spec() const {
    return {d_model, encoder_heads, encoder_ffn, layer_norm_eps, activation};
  }
};

bool is_seq2seq(const std::string& model_type);
Seq2SeqConfig parse_seq2seq_config(const JsonFile& config_json);

class Seq2SeqModel final : public StepModel {
 public:
  // dtype: the precision of every Linear, the LM head included (fp32, bf16 or int8).
  Seq2SeqModel(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype = Precision::F32);
  ~Seq2SeqModel() override;

  const Seq2SeqConfig& config() const { return config_; }
  std::unique_ptr<StepModel> new_session() const override;

  int64_t vocab_size() const override { return config_.decoder_vocab_size; }
  int64_t max_positions() const override { return config_.max_positions; }
  std::vector<int32_t> decoder_prefix(const std::vector<int32_t>&) const override {
    return {config_.decoder_start_token_id};
  }
  // A source needs 1..max_positions ids of the source vocabulary; the decoder holds the start
  // token and all but the last new token, so max_new_tokens <= max_positions.
  void check_prompt(const std::vector<int32_t>& source, int64_t max_new_tokens, size_t index) const override;
  uint64_t planned_bytes(const std::vector<std::vector<int32_t>>& sources, int64_t copies,
                         int64_t max_new_tokens) const override;
  void begin(const std::vector<std::vector<int32_t>>& sources, int64_t copies, int64_t max_new_tokens,
             float* logits) override;
  void step(const int32_t* rows, const int32_t* tokens, int64_t n, float* logits) override;
  void copy_rows(const int32_t* dst, const int32_t* src, int64_t n) override;

  // For tests: the encoder's last hidden states ([sum of source lengths, d_model], packed in
  // source order), and the logits of teacher-forced decoder ids ([sum of decoder lengths,
  // vocab], packed), each source run packed with the others.
  std::vector<float> encode(const std::vector<std::vector<int32_t>>& sources);
  std::vector<float> forward(const std::vector<std::vector<int32_t>>& sources,
                             const std::vector<std::vector<int32_t>>& decoder_ids);

 private:
  struct DecoderLayer;
  struct Weights;
  struct Workspace;

  Seq2SeqModel(Seq2SeqConfig config, std::shared_ptr<const Weights> weights);

  // Checks the sources, runs the encoder and the cross-attention keys/values, and plans the
  // decoder's cache for `rows` rows of `positions` tokens and `token_rows` rows per decoder run.
  void start(const std::vector<std::vector<int32_t>>& sources, int64_t copies, int64_t positions,
             int64_t token_rows, int64_t max_new_tokens);
  void run_encoder(int64_t total);
  // Runs the first `rows` entries of the workspace's ids / positions / cache_rows through the
  // decoder; each token's self-attention keys/values go to its cache row first.
  void run_decoder(int64_t rows);
  void logits(int64_t rows, float* out);  // of the first `rows` decoder rows
  void embed(const float* table, int32_t id, int64_t position, const float* positions, float* out) const;

  Seq2SeqConfig config_;
  std::shared_ptr<const Weights> weights_;  // immutable, shared by sessions
  std::unique_ptr<Workspace> ws_;
};

}  // namespace packformer
