// GPT-2: config.json fields and weights (GPT2LMHeadModel's "transformer." names or GPT2Model's
// bare ones). The blocks and LM head live in gpt2_forward.cc.
#include "models/gpt2.h"

#include "core/parallel_build.h"
#include "loader/weight_store.h"
#include "models/generation_defaults.h"
#include "models/gpt2_internal.h"
#include "models/registry.h"
#include "packformer/error.h"

namespace packformer {
namespace {

constexpr int64_t kMaxDim = 1 << 16;
constexpr int64_t kMaxVocab = 1 << 22;
constexpr int64_t kMaxPositions = 1 << 16;
constexpr int64_t kMaxLayers = 256;

class Gpt2Weights {
 public:
  explicit Gpt2Weights(const std::filesystem::path& dir) : store_(dir) {}

  // GPT2LMHeadModel prefixes the base model's names with "transformer."; GPT2Model does not.
  std::string name(const std::string& base) const {
    const std::string prefixed = "transformer." + base;
    return store_.contains(prefixed) ? prefixed : base;
  }
  FloatTensor tensor(const std::string& base, const std::vector<int64_t>& shape) const {
    return store_.tensor(name(base), shape);
  }
  // A Conv1D layer (weight stored [in, out], transposed here to [out, in] for the packed GEMM).
  // The packed copy is what runs: the stored weight's pages leave resident memory, as
  // Linear(LinearWeights) does for other families.
  Linear conv1d(const std::string& base, int64_t in, int64_t out, Epilogue epilogue, Activation activation,
                Precision dtype) const {
    const FloatTensor stored = tensor(base + ".weight", {in, out});
    std::vector<float> transposed(stored.size());
    for (int64_t i = 0; i < in; ++i)
      for (int64_t o = 0; o < out; ++o) transposed[o * in + i] = stored[i * out + o];
    Linear linear(transposed, tensor(base + ".bias", {out}), in, out, epilogue, activation, dtype);
    stored.release_pages();
    return linear;
  }
  LayerNorm norm(const std::string& base, int64_t n, float eps) const {
    return LayerNorm(store_.tensor(name(base + ".weight"), {n}), store_.tensor(name(base + ".bias"), {n}), eps);
  }
  const WeightStore& store() const { return store_; }

 private:
  WeightStore store_;
};

// The prompt check's wording and the cache geometry, for DecoderOnlyModel.
DecoderShape decoder_shape(const Gpt2Config& c) {
  return {"Gpt2Model", "GPT-2", "n_positions", c.vocab_size, c.n_positions, c.n_layer, c.n_embd};
}

}  // namespace

Gpt2Config parse_gpt2_config(const JsonFile& json) {
  Gpt2Config c;
  c.vocab_size = json.get_int("vocab_size", 1, kMaxVocab);
  c.n_embd = json.get_int("n_embd", 1, kMaxDim);
  c.n_layer = json.get_int("n_layer", 1, kMaxLayers);
  c.n_head = json.get_int("n_head", 1, kMaxDim);
  c.n_positions = json.get_int("n_positions", 1, kMaxPositions);
  c.n_inner = json.has("n_inner") ? json.get_int("n_inner", 1, 4 * kMaxDim) : 4 * c.n_embd;
  c.layer_norm_epsilon = static_cast<float>(json.get_number("layer_norm_epsilon", 1e-5));
  if (!(c.layer_norm_epsilon > 0.0f) || c.layer_norm_epsilon > 1.0f)
    json.invalid("layer_norm_epsilon", "expected a small positive number");
  c.activation = activation_from_name(json.get_string("activation_function", "gelu_new"),
                                      json.path().string() + ": field 'activation_function'");
  if (c.n_embd % c.n_head != 0)
    json.invalid("n_embd", "must be a multiple of n_head (" + std::to_string(c.n_head) + ")");
  c.scale_attn_weights = json.get_bool("scale_attn_weights", true);
  c.scale_attn_by_inverse_layer_idx = json.get_bool("scale_attn_by_inverse_layer_idx", false);
  if (json.get_bool("add_cross_attention", false))
    fail(ErrorKind::Unsupported, json.path().string() + ": field 'add_cross_attention': GPT-2 with cross-attention "
                                                         "is not supported");
  c.eos_token_ids = read_token_ids(json, "eos_token_id", c.vocab_size);
  c.bos_token_id = static_cast<int32_t>(json.get_int("bos_token_id", 0, c.vocab_size - 1, -1));
  // generation_config.json, when present, is what transformers' generate() uses.
  const auto generation_path = json.path().parent_path() / "generation_config.json";
  if (std::filesystem::exists(generation_path)) {
    const JsonFile generation(generation_path);
    if (generation.has("eos_token_id")) c.eos_token_ids = read_token_ids(generation, "eos_token_id", c.vocab_size);
  }
  return c;
}

Gpt2Model::Gpt2Model(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype)
    : Gpt2Model(parse_gpt2_config(config_json), nullptr) {
  const Gpt2Config& c = config_;
  const Gpt2Weights w(dir);
  auto weights = std::make_shared<Weights>();
  const int64_t n = c.n_embd;
  weights->wte = w.tensor("wte.weight", {c.vocab_size, n});
  weights->wpe = w.tensor("wpe.weight", {c.n_positions, n});
  weights->layers = parallel_build<Layer>(c.n_layer, [&](int64_t i) {
    const std::string p = "h." + std::to_string(i) + ".";
    return Layer{
        w.norm(p + "ln_1", n, c.layer_norm_epsilon),
        w.conv1d(p + "attn.c_attn", n, 3 * n, Epilogue::Bias, Activation::Gelu, dtype),
        w.conv1d(p + "attn.c_proj", n, n, Epilogue::BiasResidual, Activation::Gelu, dtype),
        w.norm(p + "ln_2", n, c.layer_norm_epsilon),
        w.conv1d(p + "mlp.c_fc", n, c.n_inner, Epilogue::BiasActivation, c.activation, dtype),
        w.conv1d(p + "mlp.c_proj", c.n_inner, n, Epilogue::BiasResidual, Activation::Gelu, dtype),
    };
  });
  weights->ln_f = w.norm("ln_f", n, c.layer_norm_epsilon);
  // The LM head is tied to wte unless the config unties it and the checkpoint has its own.
  const bool tied = config_json.get_bool("tie_word_embeddings", true);
  const bool own_head = !tied && w.store().contains("lm_head.weight");
  if (!tied && !own_head)
    fail(ErrorKind::InvalidModel, dir.string() + ": config.json sets tie_word_embeddings false but the checkpoint "
                                                 "has no 'lm_head.weight'");
  const FloatTensor head = own_head ? w.store().tensor("lm_head.weight", {c.vocab_size, n}) : weights->wte;
  weights->lm_head =
      std::make_unique<Linear>(head, std::span<const float>(), n, c.vocab_size, Epilogue::Bias, Activation::Gelu, dtype);
  // The packed head is what runs: the table's pages leave resident memory, and embedding
  // lookups page in only the rows of the tokens seen.
  head.release_pages();
  weights_ = std::move(weights);
}

Gpt2Model::Gpt2Model(Gpt2Config config, std::shared_ptr<const Weights> weights)
    : DecoderOnlyModel(decoder_shape(config)),
      config_(std::move(config)),
      weights_(std::move(weights)),
      ws_(std::make_unique<Workspace>()) {}

std::unique_ptr<StepModel> Gpt2Model::new_session() const {
  return std::unique_ptr<StepModel>(new Gpt2Model(config_, weights_));
}

Gpt2Model::~Gpt2Model() = default;

GenerationModel load_gpt2_generator(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype) {
  auto model = std::make_unique<Gpt2Model>(dir, config_json, dtype);
  GenerationModel loaded;
  loaded.eos_token_ids = model->config().eos_token_ids;
  loaded.input_vocab_size = model->config().vocab_size;
  loaded.model = std::move(model);
  return loaded;
}

}  // namespace packformer
