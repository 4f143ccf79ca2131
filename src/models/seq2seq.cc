// Marian and BART: config.json fields, generation defaults and weights. The forward pass and
// the caches live in seq2seq_forward.cc.
#include "models/seq2seq.h"

#include <cmath>

#include "core/parallel_build.h"
#include "loader/weight_store.h"
#include "models/generation_defaults.h"
#include "models/input_checks.h"
#include "models/registry.h"
#include "models/seq2seq_internal.h"
#include "packformer/error.h"

namespace packformer {
namespace {

constexpr int64_t kMaxDim = 1 << 16;
constexpr int64_t kMaxVocab = 1 << 22;
constexpr int64_t kMaxPositions = 1 << 16;
constexpr int64_t kMaxLayers = 256;

// MarianSinusoidalPositionalEmbedding: position p, column j < ceil(n/2) holds
// sin(p / 10000^(2j/n)), column ceil(n/2) + j holds cos(p / 10000^(2j/n)); computed in double
// and rounded once to float, as transformers does with numpy.
std::vector<float> sinusoidal_positions(int64_t positions, int64_t n) {
  std::vector<float> table(static_cast<size_t>(positions * n));
  const int64_t sin_columns = (n + 1) / 2;
  for (int64_t p = 0; p < positions; ++p) {
    float* row = table.data() + p * n;
    for (int64_t j = 0; j < sin_columns; ++j)
      row[j] = static_cast<float>(std::sin(static_cast<double>(p) / std::pow(10000.0, 2.0 * j / static_cast<double>(n))));
    for (int64_t j = 0; j < n / 2; ++j)
      row[sin_columns + j] =
          static_cast<float>(std::cos(static_cast<double>(p) / std::pow(10000.0, 2.0 * j / static_cast<double>(n))));
  }
  return table;
}

class Seq2SeqWeights {
 public:
  Seq2SeqWeights(const std::filesystem::path& dir, int64_t n, float eps, Precision dtype)
      : store_(dir), n_(n), eps_(eps), dtype_(dtype) {}

  std::vector<float> get(const std::string& name, const std::vector<int64_t>& shape) const {
    return store_.get(name, shape);
  }
  FloatTensor tensor(const std::string& name, const std::vector<int64_t>& shape) const {
    return store_.tensor(name, shape);
  }
  bool contains(const std::string& name) const { return store_.contains(name); }
  LayerNorm norm(const std::string& prefix) const {
    return LayerNorm(store_.tensor(prefix + ".weight", {n_}), store_.tensor(prefix + ".bias", {n_}), eps_);
  }
  LinearWeights linear_weights(const std::string& prefix, int64_t in, int64_t out) const {
    return {store_.tensor(prefix + ".weight", {out, in}), store_.tensor(prefix + ".bias", {out}), in, out};
  }
  // An encoder layer as transformers' BartEncoderLayer / MarianEncoderLayer: post-LayerNorm,
  // BERT's block under other names.
  EncoderLayerWeights encoder_layer(const std::string& p, int64_t ffn) const {
    return {linear_weights(p + "self_attn.q_proj", n_, n_),
            linear_weights(p + "self_attn.k_proj", n_, n_),
            linear_weights(p + "self_attn.v_proj", n_, n_),
            linear_weights(p + "self_attn.out_proj", n_, n_),
            {store_.tensor(p + "self_attn_layer_norm.weight", {n_}), store_.tensor(p + "self_attn_layer_norm.bias", {n_})},
            linear_weights(p + "fc1", n_, ffn),
            linear_weights(p + "fc2", ffn, n_),
            {store_.tensor(p + "final_layer_norm.weight", {n_}), store_.tensor(p + "final_layer_norm.bias", {n_})}};
  }
  // Linear(LinearWeights) packs the views and releases their pages: the weights are held once.
  Linear linear(const std::string& prefix, int64_t in, int64_t out, Epilogue epilogue,
                Activation activation = Activation::Gelu) const {
    return Linear(linear_weights(prefix, in, out), epilogue, activation, dtype_);
  }
  // Several projections of the same input stacked into one GEMM ([k | v] or [q | k | v]).
  Linear stacked(const std::string& prefix, const std::vector<std::string>& names) const {
    std::vector<LinearWeights> parts;
    std::vector<float> weight, bias;
    for (const std::string& name : names) {
      parts.push_back(linear_weights(prefix + name, n_, n_));
      weight.insert(weight.end(), parts.back().weight.begin(), parts.back().weight.end());
      bias.insert(bias.end(), parts.back().bias.begin(), parts.back().bias.end());
    }
    const int64_t out = n_ * static_cast<int64_t>(names.size());
    Linear linear(weight, bias, n_, out, Epilogue::Bias, Activation::Gelu, dtype_);
    for (const LinearWeights& part : parts) part.weight.release_pages();
    return linear;
  }

 private:
  WeightStore store_;
  int64_t n_;
  float eps_;
  Precision dtype_;  // of every Linear
};

}  // namespace

bool is_seq2seq(const std::string& model_type) { return model_type == "marian" || model_type == "bart"; }

Seq2SeqConfig parse_seq2seq_config(const JsonFile& json) {
  Seq2SeqConfig c;
  c.model_type = json.get_string("model_type");
  if (!is_seq2seq(c.model_type)) json.invalid("model_type", "expected 'marian' or 'bart'");
  const bool marian = c.model_type == "marian";
  c.d_model = json.get_int("d_model", 1, kMaxDim);
  c.encoder_layers = json.get_int("encoder_layers", 1, kMaxLayers);
  c.decoder_layers = json.get_int("decoder_layers", 1, kMaxLayers);
  c.encoder_heads = json.get_int("encoder_attention_heads", 1, kMaxDim);
  c.decoder_heads = json.get_int("decoder_attention_heads", 1, kMaxDim);
  c.encoder_ffn = json.get_int("encoder_ffn_dim", 1, 4 * kMaxDim);
  c.decoder_ffn = json.get_int("decoder_ffn_dim", 1, 4 * kMaxDim);
  c.max_positions = json.get_int("max_position_embeddings", 1, kMaxPositions);
  c.vocab_size = json.get_int("vocab_size", 1, kMaxVocab);
  for (const auto& [heads, field] : {std::pair{c.encoder_heads, "encoder_attention_heads"},
                                     std::pair{c.decoder_heads, "decoder_attention_heads"}})
    if (c.d_model % heads != 0) json.invalid(field, "must divide d_model (" + std::to_string(c.d_model) + ")");
  // Marian may give the decoder its own vocabulary; BART always shares one.
  c.shared_embeddings = marian ? json.get_bool("share_encoder_decoder_embeddings", true) : true;
  c.decoder_vocab_size = marian && json.has("decoder_vocab_size") ? json.get_int("decoder_vocab_size", 1, kMaxVocab)
                                                                   : c.vocab_size;
  if (c.shared_embeddings && c.decoder_vocab_size != c.vocab_size)
    json.invalid("decoder_vocab_size", "must equal vocab_size when share_encoder_decoder_embeddings is true");
  c.activation = activation_from_name(json.get_string("activation_function", "gelu"),
                                      json.path().string() + ": field 'activation_function'");
  c.embed_scale = json.get_bool("scale_embedding", false) ? std::sqrt(static_cast<float>(c.d_model)) : 1.0f;
  // fairseq-era fields some BART configs carry (normalize_before, add_final_layer_norm,
  // normalize_embedding, static_position_embeddings) are ignored by transformers' BART, which
  // is always post-LayerNorm with learned positions: packformer ignores them too.
  c.sinusoidal_positions = marian;
  c.position_offset = marian ? 0 : 2;
  c.layernorm_embedding = !marian;

  const GenerationDefaults g = read_generation_defaults(json, c.decoder_vocab_size);
  // transformers falls back to bos_token_id when no decoder start is given.
  const std::optional<int32_t> start = g.decoder_start_token_id ? g.decoder_start_token_id : g.bos_token_id;
  if (!start)
    fail(ErrorKind::InvalidModel, json.path().string() + ": field 'decoder_start_token_id': missing (and no "
                                                         "bos_token_id to use instead)");
  c.decoder_start_token_id = *start;
  c.pad_token_id = g.pad_token_id.value_or(-1);
  c.eos_token_ids = g.eos_token_ids;
  c.forced_bos_token_id = g.forced_bos_token_id;
  c.forced_eos_token_id = g.forced_eos_token_id;
  c.bad_token_ids = g.bad_token_ids;
  return c;
}

Seq2SeqModel::Seq2SeqModel(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype)
    : config_(parse_seq2seq_config(config_json)) {
  const Seq2SeqConfig& c = config_;
  const int64_t n = c.d_model;
  const Seq2SeqWeights w(dir, n, c.layer_norm_eps, dtype);
  EncoderLayerSpec encoder_spec = c.encoder_layer_spec();
  encoder_spec.dtype = dtype;
  auto weights = std::make_shared<Weights>();
  Weights& m = *weights;
  // Embeddings: shared ones are model.shared (encoder/decoder.embed_tokens are tied to it and
  // often not stored); Marian without share_encoder_decoder_embeddings has one table per side.
  const bool own_encoder_table = !c.shared_embeddings || !w.contains("model.shared.weight");
  m.encoder_tokens =
      w.tensor(own_encoder_table ? "model.encoder.embed_tokens.weight" : "model.shared.weight", {c.vocab_size, n});
  if (!c.shared_embeddings) m.decoder_tokens = w.tensor("model.decoder.embed_tokens.weight", {c.decoder_vocab_size, n});
  if (c.sinusoidal_positions) {
    m.encoder_positions = FloatTensor(sinusoidal_positions(c.max_positions, n));
  } else {
    m.encoder_positions = w.tensor("model.encoder.embed_positions.weight", {c.max_positions + c.position_offset, n});
    m.decoder_positions = w.tensor("model.decoder.embed_positions.weight", {c.max_positions + c.position_offset, n});
  }
  if (c.layernorm_embedding) {
    m.encoder_embedding_norm = w.norm("model.encoder.layernorm_embedding");
    m.decoder_embedding_norm = w.norm("model.decoder.layernorm_embedding");
  }
  m.encoder = parallel_build<EncoderLayer>(c.encoder_layers, [&](int64_t i) {
    return EncoderLayer(encoder_spec, w.encoder_layer("model.encoder.layers." + std::to_string(i) + ".", c.encoder_ffn));
  });
  m.decoder = parallel_build<DecoderLayer>(c.decoder_layers, [&](int64_t i) {
    const std::string p = "model.decoder.layers." + std::to_string(i) + ".";
    return DecoderLayer{
        w.stacked(p + "self_attn.", {"q_proj", "k_proj", "v_proj"}),
        w.linear(p + "self_attn.out_proj", n, n, Epilogue::BiasResidual),
        w.norm(p + "self_attn_layer_norm"),
        w.linear(p + "encoder_attn.q_proj", n, n, Epilogue::Bias),
        w.stacked(p + "encoder_attn.", {"k_proj", "v_proj"}),
        w.linear(p + "encoder_attn.out_proj", n, n, Epilogue::BiasResidual),
        w.norm(p + "encoder_attn_layer_norm"),
        w.linear(p + "fc1", n, c.decoder_ffn, Epilogue::BiasActivation, c.activation),
        w.linear(p + "fc2", c.decoder_ffn, n, Epilogue::BiasResidual),
        w.norm(p + "final_layer_norm"),
    };
  });
  // The LM head is tied to the decoder's embeddings unless the config unties it.
  const bool tied = config_json.get_bool("tie_word_embeddings", true);
  if (!tied && !w.contains("lm_head.weight"))
    fail(ErrorKind::InvalidModel, dir.string() + ": config.json sets tie_word_embeddings false but the checkpoint "
                                                 "has no 'lm_head.weight'");
  const int64_t v = c.decoder_vocab_size;
  const FloatTensor head = !tied ? w.tensor("lm_head.weight", {v, n})
                                 : m.decoder_tokens.empty() ? m.encoder_tokens : m.decoder_tokens;
  // final_logits_bias is a buffer transformers zero-fills when a checkpoint lacks it.
  std::vector<float> bias = w.contains("final_logits_bias") ? w.get("final_logits_bias", {1, v})
                                                            : std::vector<float>(static_cast<size_t>(v), 0.0f);
  m.lm_head = std::make_unique<Linear>(head, bias, n, v, Epilogue::Bias, Activation::Gelu, dtype);
  // The packed head is what runs: the table's pages leave resident memory, and embedding
  // lookups page in only the rows of the tokens seen.
  head.release_pages();
  weights_ = std::move(weights);
  ws_ = std::make_unique<Workspace>();
}

Seq2SeqModel::Seq2SeqModel(Seq2SeqConfig config, std::shared_ptr<const Weights> weights)
    : config_(std::move(config)), weights_(std::move(weights)), ws_(std::make_unique<Workspace>()) {}

std::unique_ptr<StepModel> Seq2SeqModel::new_session() const {
  return std::unique_ptr<StepModel>(new Seq2SeqModel(config_, weights_));
}

Seq2SeqModel::~Seq2SeqModel() = default;

void Seq2SeqModel::check_prompt(const std::vector<int32_t>& source, int64_t max_new_tokens, size_t index) const {
  const auto where = [index] { return "source " + std::to_string(index) + ": "; };
  if (source.empty())
    fail(ErrorKind::InvalidInput, where() + "has no tokens (an encoder-decoder model needs at least one, usually "
                                            "the EOS the tokenizer appends)");
  const int64_t len = static_cast<int64_t>(source.size());
  if (len > config_.max_positions)
    fail(ErrorKind::InvalidInput, where() + "has " + std::to_string(len) + " tokens but max_position_embeddings is " +
                                      std::to_string(config_.max_positions));
  // The decoder holds the start token and every new token but the last.
  if (max_new_tokens > config_.max_positions)
    fail(ErrorKind::InvalidInput, "max_new_tokens " + std::to_string(max_new_tokens) +
                                      " needs more decoder positions than max_position_embeddings (" +
                                      std::to_string(config_.max_positions) + ")");
  check_ids_in_vocabulary(source, config_.vocab_size, where);
}

GenerationModel load_seq2seq_generator(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype) {
  auto model = std::make_unique<Seq2SeqModel>(dir, config_json, dtype);
  const Seq2SeqConfig& c = model->config();
  GenerationModel loaded;
  loaded.encoder_decoder = true;
  loaded.input_vocab_size = c.vocab_size;
  loaded.eos_token_ids = c.eos_token_ids;
  loaded.forced_bos_token_id = c.forced_bos_token_id.value_or(-1);
  loaded.forced_eos_token_id = c.forced_eos_token_id.value_or(-1);
  loaded.bad_token_ids = c.bad_token_ids;
  loaded.model = std::move(model);
  return loaded;
}

}  // namespace packformer
