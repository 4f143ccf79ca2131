// Llama-style decoders: config.json fields per model_type (llama, mistral, qwen2, qwen3) and
// the weights (LlamaForCausalLM's "model." names or the bare base model's). The blocks and
// the LM head live in llama_forward.cc.
#include "models/llama.h"

#include <algorithm>

#include "core/parallel_build.h"
#include "loader/weight_store.h"
#include "models/llama_internal.h"
#include "models/registry.h"
#include "packformer/error.h"

namespace packformer {
namespace {

constexpr int64_t kMaxDim = 1 << 17;
constexpr int64_t kMaxVocab = 1 << 22;
constexpr int64_t kMaxPositions = 1 << 20;  // the RoPE tables hold every position: keep them bounded
constexpr int64_t kMaxLayers = 512;

// What transformers' config class of each model_type assumes for a field config.json omits,
// and which options the family has.
struct Family {
  const char* model_type;
  int64_t num_key_value_heads;  // 0: num_attention_heads
  int64_t head_dim;             // 0: hidden_size / num_attention_heads
  int64_t max_position_embeddings;
  bool qkv_bias_always;    // qwen2
  bool attention_bias;     // reads attention_bias (q, k, v and o)
  bool mlp_bias;           // reads mlp_bias
  bool qk_norm;            // qwen3
  bool mistral_window;     // sliding_window on every layer (default 4096, null = none)
  bool qwen_window;        // use_sliding_window + max_window_layers / layer_types
};

constexpr Family kFamilies[] = {
    {"llama", 0, 0, 2048, false, true, true, false, false, false},
    {"mistral", 8, 0, 4096 * 32, false, false, false, false, true, false},
    {"qwen2", 32, 0, 32768, true, false, false, false, false, true},
    {"qwen3", 32, 128, 32768, false, true, false, true, false, true},
};

const Family& family_of(const JsonFile& json, const std::string& model_type) {
  for (const Family& f : kFamilies)
    if (model_type == f.model_type) return f;
  json.invalid("model_type", "'" + model_type + "' is not a Llama-style decoder (llama, mistral, qwen2, qwen3)");
}

std::vector<int64_t> sliding_windows(const JsonFile& json, const Family& family, int64_t layers) {
  std::vector<int64_t> windows(static_cast<size_t>(layers), 0);
  const auto window = [&] { return json.has("sliding_window") ? json.get_int("sliding_window", 1, kMaxPositions) : 0; };
  if (family.mistral_window) {
    const int64_t w = json.root().contains("sliding_window") ? window() : 4096;  // absent: the class default
    std::fill(windows.begin(), windows.end(), w);
  } else if (family.qwen_window && json.get_bool("use_sliding_window", false)) {
    const int64_t w = json.root().contains("sliding_window") ? window() : 4096;
    if (json.has("layer_types")) {
      const auto& types = json.root()["layer_types"];
      if (!types.is_array() || static_cast<int64_t>(types.size()) != layers)
        json.invalid("layer_types", "expected a list of " + std::to_string(layers) + " layer types");
      for (int64_t l = 0; l < layers; ++l) {
        const auto& t = types[static_cast<size_t>(l)];
        if (t == "sliding_attention") windows[static_cast<size_t>(l)] = w;
        else if (t != "full_attention")
          json.invalid("layer_types", "entry " + std::to_string(l) + ": expected \"full_attention\" or "
                                      "\"sliding_attention\", got " + t.dump());
      }
    } else {
      const int64_t first = json.get_int("max_window_layers", 0, kMaxLayers, 28);
      for (int64_t l = first; l < layers; ++l) windows[static_cast<size_t>(l)] = w;
    }
  }
  return windows;
}

class LlamaWeights {
 public:
  explicit LlamaWeights(const std::filesystem::path& dir) : store_(dir) {}

  // Names without the "model." of *ForCausalLM (the store accepts both).
  FloatTensor tensor(const std::string& name, const std::vector<int64_t>& shape) const {
    return store_.tensor(name, shape);
  }
  LinearWeights linear(const std::string& base, int64_t in, int64_t out, bool bias) const {
    LinearWeights w;
    w.weight = store_.tensor(base + ".weight", {out, in});
    if (bias) w.bias = store_.tensor(base + ".bias", {out});
    w.in = in;
    w.out = out;
    return w;
  }
  RMSNorm norm(const std::string& base, int64_t n, float eps) const { return RMSNorm(tensor(base + ".weight", {n}), eps); }
  const WeightStore& store() const { return store_; }

 private:
  WeightStore store_;
};

// q | k | v stacked into one Linear ([q_width + 2 kv_width, hidden]) so one GEMM projects all three.
Linear stacked_qkv(const LlamaWeights& w, const std::string& p, const LlamaConfig& c, Precision dtype) {
  const LinearWeights parts[] = {w.linear(p + "q_proj", c.hidden_size, c.q_width(), c.qkv_bias),
                                 w.linear(p + "k_proj", c.hidden_size, c.kv_width(), c.qkv_bias),
                                 w.linear(p + "v_proj", c.hidden_size, c.kv_width(), c.qkv_bias)};
  std::vector<float> weight, bias;
  for (const LinearWeights& part : parts) {
    weight.insert(weight.end(), part.weight.begin(), part.weight.end());
    bias.insert(bias.end(), part.bias.begin(), part.bias.end());
  }
  Linear qkv(weight, bias, c.hidden_size, c.q_width() + 2 * c.kv_width(), Epilogue::Bias, Activation::Gelu, dtype);
  for (const LinearWeights& part : parts) part.weight.release_pages();
  return qkv;
}

// The prompt check's wording and the cache geometry (key/value heads only), for DecoderOnlyModel.
DecoderShape decoder_shape(const LlamaConfig& c) {
  return {"LlamaModel", "a decoder", "max_position_embeddings", c.vocab_size, c.max_position_embeddings,
          c.num_layers, c.kv_width()};
}

}  // namespace

LlamaConfig parse_llama_config(const JsonFile& json) {
  LlamaConfig c;
  c.model_type = json.get_string("model_type");
  const Family& family = family_of(json, c.model_type);
  c.vocab_size = json.get_int("vocab_size", 1, kMaxVocab);
  c.hidden_size = json.get_int("hidden_size", 1, kMaxDim);
  c.intermediate_size = json.get_int("intermediate_size", 1, 8 * kMaxDim);
  c.num_layers = json.get_int("num_hidden_layers", 1, kMaxLayers);
  c.num_heads = json.get_int("num_attention_heads", 1, kMaxDim);
  c.num_kv_heads = json.get_int("num_key_value_heads", 1, c.num_heads,
                                family.num_key_value_heads > 0 ? family.num_key_value_heads : c.num_heads);
  if (c.num_heads % c.num_kv_heads != 0)
    json.invalid("num_key_value_heads", "must divide num_attention_heads (" + std::to_string(c.num_heads) + ")");
  if (json.has("head_dim")) {
    c.head_dim = json.get_int("head_dim", 2, kMaxDim);
  } else if (family.head_dim > 0) {
    c.head_dim = family.head_dim;
  } else {
    if (c.hidden_size % c.num_heads != 0)
      json.invalid("hidden_size", "must be a multiple of num_attention_heads (" + std::to_string(c.num_heads) + ")");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim % 2 != 0) json.invalid("head_dim", "rotary embeddings need an even head size");
  c.max_position_embeddings = json.get_int("max_position_embeddings", 1, kMaxPositions, family.max_position_embeddings);
  c.rms_norm_eps = static_cast<float>(json.get_number("rms_norm_eps", 1e-6));
  if (!(c.rms_norm_eps > 0.0f) || c.rms_norm_eps > 1.0f) json.invalid("rms_norm_eps", "expected a small positive number");
  c.activation = activation_from_name(json.get_string("hidden_act", "silu"), json.path().string() + ": field 'hidden_act'");
  const bool attention_bias = family.attention_bias && json.get_bool("attention_bias", false);
  c.qkv_bias = family.qkv_bias_always || attention_bias;
  c.o_bias = attention_bias;
  c.mlp_bias = family.mlp_bias && json.get_bool("mlp_bias", false);
  c.qk_norm = family.qk_norm;
  c.tie_word_embeddings = json.get_bool("tie_word_embeddings", false);
  c.sliding_window = sliding_windows(json, family, c.num_layers);
  c.rope = parse_rope_parameters(json);
  c.generation = read_generation_defaults(json, c.vocab_size);
  return c;
}

LlamaModel::LlamaModel(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype)
    : LlamaModel(parse_llama_config(config_json), nullptr) {
  const LlamaConfig& c = config_;
  const LlamaWeights w(dir);
  auto weights = std::make_shared<Weights>();
  const int64_t n = c.hidden_size;
  weights->embed_tokens = w.tensor("embed_tokens.weight", {c.vocab_size, n});
  weights->layers = parallel_build<Layer>(c.num_layers, [&](int64_t i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    const std::string mlp = p + "mlp.";
    return Layer{
        w.norm(p + "input_layernorm", n, c.rms_norm_eps),
        stacked_qkv(w, p + "self_attn.", c, dtype),
        c.qk_norm ? w.norm(p + "self_attn.q_norm", c.head_dim, c.rms_norm_eps) : RMSNorm(),
        c.qk_norm ? w.norm(p + "self_attn.k_norm", c.head_dim, c.rms_norm_eps) : RMSNorm(),
        Linear(w.linear(p + "self_attn.o_proj", c.q_width(), n, c.o_bias), Epilogue::BiasResidual, Activation::Gelu, dtype),
        w.norm(p + "post_attention_layernorm", n, c.rms_norm_eps),
        GatedFeedForward(w.linear(mlp + "gate_proj", n, c.intermediate_size, c.mlp_bias),
                         w.linear(mlp + "up_proj", n, c.intermediate_size, c.mlp_bias),
                         w.linear(mlp + "down_proj", c.intermediate_size, n, c.mlp_bias), c.activation, dtype),
    };
  });
  weights->norm = w.norm("norm", n, c.rms_norm_eps);
  if (c.tie_word_embeddings) {
    // The embedding stays a view that lookups read, so its pages are not released here.
    weights->lm_head = std::make_unique<Linear>(weights->embed_tokens, std::span<const float>(), n, c.vocab_size,
                                                Epilogue::Bias, Activation::Gelu, dtype);
  } else {
    if (!w.store().contains("lm_head.weight"))
      fail(ErrorKind::InvalidModel, dir.string() + ": config.json sets tie_word_embeddings false (or omits it) but "
                                                   "the checkpoint has no 'lm_head.weight'");
    weights->lm_head =
        std::make_unique<Linear>(w.linear("lm_head", n, c.vocab_size, false), Epilogue::Bias, Activation::Gelu, dtype);
  }
  weights->rotary = Rotary(c.rope, c.head_dim, c.max_position_embeddings, c.max_position_embeddings);
  weights_ = std::move(weights);
}

LlamaModel::LlamaModel(LlamaConfig config, std::shared_ptr<const Weights> weights)
    : DecoderOnlyModel(decoder_shape(config)),
      config_(std::move(config)),
      weights_(std::move(weights)),
      ws_(std::make_unique<Workspace>()) {}

std::unique_ptr<StepModel> LlamaModel::new_session() const {
  return std::unique_ptr<StepModel>(new LlamaModel(config_, weights_));
}

LlamaModel::~LlamaModel() = default;

GenerationModel load_llama_generator(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype) {
  auto model = std::make_unique<LlamaModel>(dir, config_json, dtype);
  const GenerationDefaults& d = model->config().generation;
  GenerationModel loaded;
  loaded.input_vocab_size = model->config().vocab_size;
  loaded.eos_token_ids = d.eos_token_ids;
  loaded.forced_bos_token_id = d.forced_bos_token_id.value_or(-1);
  loaded.forced_eos_token_id = d.forced_eos_token_id.value_or(-1);
  loaded.bad_token_ids = d.bad_token_ids;
  loaded.model = std::move(model);
  return loaded;
}

}  // namespace packformer
