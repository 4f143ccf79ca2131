// Seeded random-weight models in Hugging Face layout. Values are a pure function of (seed,
// tensor name, element index), so a folder is identical whatever the chunking or threads.
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/memory_limit.h"
#include "loader/safetensors_writer.h"
#include "models/encoder_loading.h"
#include "models/synth_tokenizers.h"
#include "ops/activation.h"
#include "packformer/error.h"
#include "packformer/synth.h"

namespace packformer {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t hash_name(const std::string& name, uint64_t seed) {
  uint64_t h = splitmix64(seed);
  for (unsigned char ch : name) h = splitmix64(h ^ ch);
  return h;
}

// Normal(mean, std) values via Box-Muller on counter-based uniforms.
SafetensorsWriter::Fill normal(const std::string& name, uint64_t seed, float mean, float std) {
  const uint64_t key = hash_name(name, seed);
  return [key, mean, std](float* values, int64_t offset, int64_t count) {
#pragma omp parallel for schedule(static) if (count > 65536)
    for (int64_t i = 0; i < count; ++i) {
      const uint64_t index = static_cast<uint64_t>(offset + i);
      const double u1 = (static_cast<double>(splitmix64(key + 2 * index) >> 11) + 1.0) * 0x1.0p-53;
      const double u2 = static_cast<double>(splitmix64(key + 2 * index + 1) >> 11) * 0x1.0p-53;
      values[i] = mean + std * static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    }
  };
}

bool roberta_like(const SynthSpec& s) { return s.model_type == "roberta" || s.model_type == "xlm-roberta"; }

nlohmann::ordered_json config_json(const SynthSpec& s) {
  const bool roberta = roberta_like(s);
  std::string architecture = s.model_type == "bert" ? "Bert" : s.model_type == "roberta" ? "Roberta" : "XLMRoberta";
  architecture += s.num_labels > 0 ? "ForSequenceClassification" : "Model";
  nlohmann::ordered_json c;
  c["architectures"] = {architecture};
  c["model_type"] = s.model_type;
  c["vocab_size"] = s.vocab;
  c["hidden_size"] = s.hidden;
  c["num_hidden_layers"] = s.layers;
  c["num_attention_heads"] = s.heads;
  c["intermediate_size"] = s.intermediate;
  c["hidden_act"] = s.activation;
  c["max_position_embeddings"] = s.max_positions;
  c["type_vocab_size"] = s.type_vocab;
  c["layer_norm_eps"] = roberta ? 1e-5 : 1e-12;
  c["pad_token_id"] = roberta ? 1 : 0;
  if (roberta) {
    c["bos_token_id"] = 0;
    c["eos_token_id"] = 2;
  }
  c["hidden_dropout_prob"] = 0.1;
  c["attention_probs_dropout_prob"] = 0.1;
  c["initializer_range"] = 0.02;
  c["position_embedding_type"] = "absolute";
  if (s.num_labels > 0) {
    // Appended to the ordered map's vector: its operator[] searches the keys linearly, which
    // made 65536 labels take 10 s. The keys are distinct by construction.
    nlohmann::ordered_json::object_t id2label, label2id;
    id2label.reserve(static_cast<size_t>(s.num_labels));
    label2id.reserve(static_cast<size_t>(s.num_labels));
    for (int64_t i = 0; i < s.num_labels; ++i) {
      id2label.emplace_back(std::to_string(i), "LABEL_" + std::to_string(i));
      label2id.emplace_back("LABEL_" + std::to_string(i), i);
    }
    c["id2label"] = std::move(id2label);
    c["label2id"] = std::move(label2id);
  }
  return c;
}

void write_json(const std::filesystem::path& path, const nlohmann::ordered_json& value) {
  std::ofstream out(path);
  out << value.dump(2) << "\n";
  if (!out) fail(ErrorKind::Io, path.string() + ": write failed");
}

void add_weights(const SynthSpec& s, SafetensorsWriter& w) {
  // Task models prefix the base model's names, as transformers saves them.
  const std::string p = s.num_labels > 0 ? (s.model_type == "bert" ? "bert." : "roberta.") : "";
  const uint64_t seed = s.seed;
  const auto linear = [&](const std::string& name, int64_t in, int64_t out) {
    w.add(name + ".weight", {out, in}, normal(name + ".weight", seed, 0.0f, 0.02f));
    w.add(name + ".bias", {out}, normal(name + ".bias", seed, 0.0f, 0.02f));
  };
  const auto norm = [&](const std::string& name, int64_t n) {
    w.add(name + ".weight", {n}, normal(name + ".weight", seed, 1.0f, 0.02f));
    w.add(name + ".bias", {n}, normal(name + ".bias", seed, 0.0f, 0.02f));
  };
  w.add(p + "embeddings.word_embeddings.weight", {s.vocab, s.hidden}, normal("word", seed, 0.0f, 0.02f));
  w.add(p + "embeddings.position_embeddings.weight", {s.max_positions, s.hidden}, normal("position", seed, 0.0f, 0.02f));
  w.add(p + "embeddings.token_type_embeddings.weight", {s.type_vocab, s.hidden}, normal("type", seed, 0.0f, 0.02f));
  norm(p + "embeddings.LayerNorm", s.hidden);
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string l = p + "encoder.layer." + std::to_string(i) + ".";
    linear(l + "attention.self.query", s.hidden, s.hidden);
    linear(l + "attention.self.key", s.hidden, s.hidden);
    linear(l + "attention.self.value", s.hidden, s.hidden);
    linear(l + "attention.output.dense", s.hidden, s.hidden);
    norm(l + "attention.output.LayerNorm", s.hidden);
    linear(l + "intermediate.dense", s.hidden, s.intermediate);
    linear(l + "output.dense", s.intermediate, s.hidden);
    norm(l + "output.LayerNorm", s.hidden);
  }
  if (s.num_labels > 0 && roberta_like(s)) {
    linear("classifier.dense", s.hidden, s.hidden);
    linear("classifier.out_proj", s.hidden, s.num_labels);
  } else {
    linear(p + "pooler.dense", s.hidden, s.hidden);
    if (s.num_labels > 0) linear("classifier", s.hidden, s.num_labels);
  }
}

void write_sentence_modules(const SynthSpec& s, const std::filesystem::path& dir) {
  write_json(dir / "modules.json",
             nlohmann::ordered_json::array(
                 {{{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", "sentence_transformers.models.Transformer"}},
                  {{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"}, {"type", "sentence_transformers.models.Pooling"}},
                  {{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"}, {"type", "sentence_transformers.models.Normalize"}}}));
  std::filesystem::create_directories(dir / "1_Pooling");
  std::filesystem::create_directories(dir / "2_Normalize");
  write_json(dir / "1_Pooling" / "config.json", {{"word_embedding_dimension", s.hidden},
                                                  {"pooling_mode_cls_token", false},
                                                  {"pooling_mode_mean_tokens", true},
                                                  {"pooling_mode_max_tokens", false},
                                                  {"pooling_mode_mean_sqrt_len_tokens", false}});
  write_json(dir / "sentence_bert_config.json", {{"max_seq_length", std::min<int64_t>(256, s.max_positions)},
                                                 {"do_lower_case", false}});
}

// F32 bytes of the weights add_weights() writes.
uint64_t weight_bytes(const SynthSpec& s) {
  const int64_t h = s.hidden, i = s.intermediate, labels = s.num_labels;
  const int64_t layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * 2 * h;
  int64_t head = h * h + h;  // pooler.dense or classifier.dense
  if (labels > 0) head += h * labels + labels;
  const int64_t params = (s.vocab + s.max_positions + s.type_vocab) * h + 2 * h + s.layers * layer + head;
  return static_cast<uint64_t>(params) * sizeof(float);
}

// Largest synthesized weights file: 7 times xlmr-large (the largest preset, 2.2 GB), yet a
// mistyped size is refused at once instead of filling the disk for minutes.
constexpr uint64_t kMaxSynthBytes = uint64_t{16} << 30;

void check(const SynthSpec& s) {
  const auto in_range = [](const char* what, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi)
      fail(ErrorKind::InvalidInput, std::string("synth: ") + what + " must be in [" + std::to_string(lo) + ", " +
                                        std::to_string(hi) + "] (got " + std::to_string(v) + ")");
  };
  // The limits of the config loader (models/encoder_loading.h), so that the folder written
  // loads; the products below cannot overflow within them.
  using namespace encoder_loading;  // NOLINT: the loader's bounds
  in_range("layers", s.layers, 1, kMaxLayers);
  in_range("hidden", s.hidden, 1, kMaxDim);
  in_range("heads", s.heads, 1, kMaxDim);
  in_range("intermediate", s.intermediate, 1, 4 * kMaxDim);
  in_range("vocab", s.vocab, 1, kMaxVocab);
  in_range("max_positions", s.max_positions, 1, kMaxPositions);
  in_range("type_vocab", s.type_vocab, 1, 1024);
  in_range("num_labels", s.num_labels, 0, 1 << 16);
  if (s.hidden % s.heads != 0)
    fail(ErrorKind::InvalidInput, "synth: hidden (" + std::to_string(s.hidden) + ") must be a multiple of heads (" +
                                      std::to_string(s.heads) + ")");
  if (s.model_type != "bert" && !roberta_like(s))
    fail(ErrorKind::InvalidInput, "synth: model_type '" + s.model_type + "' is not bert, roberta or xlm-roberta");
  // A name the loader would refuse would make a folder that cannot be loaded.
  activation_from_name(s.activation, "synth: hidden_act");
  const uint64_t bytes = weight_bytes(s);
  if (bytes > kMaxSynthBytes)
    fail(ErrorKind::InvalidInput, "synth: the weights would take " + describe_bytes(bytes) + ", more than the " +
                                      describe_bytes(kMaxSynthBytes) +
                                      " synth writes at most: lower layers, hidden, intermediate or vocab");
}

}  // namespace

SynthSpec synth_preset(const std::string& name) {
  SynthSpec s;
  if (name == "xlmr-large" || name == "xlmr-base") {
    const bool large = name == "xlmr-large";
    s.model_type = "xlm-roberta";
    s.layers = large ? 24 : 12;
    s.hidden = large ? 1024 : 768;
    s.heads = large ? 16 : 12;
    s.intermediate = large ? 4096 : 3072;
    s.vocab = 250002;
    s.max_positions = 514;
    s.type_vocab = 1;
    s.num_labels = 2;  // the tutorial's XLMR_LARGE_ENCODER + 2-class head
  } else if (name == "bert-base") {
    s.layers = 12, s.hidden = 768, s.heads = 12, s.intermediate = 3072;
  } else if (name == "minilm-l6") {
    s.layers = 6, s.hidden = 384, s.heads = 12, s.intermediate = 1536;
    s.sentence_transformers = true;
  } else if (name == "tiny") {
    s.layers = 2, s.hidden = 64, s.heads = 4, s.intermediate = 128, s.vocab = 1000, s.max_positions = 128;
  } else {
    std::string known;
    for (const auto& n : synth_preset_names()) known += (known.empty() ? "" : ", ") + n;
    fail(ErrorKind::InvalidInput, "synth: unknown --arch '" + name + "' (known: " + known + ")");
  }
  return s;
}

std::vector<std::string> synth_preset_names() { return {"xlmr-large", "xlmr-base", "bert-base", "minilm-l6", "tiny"}; }

namespace {

// Copies the user's tokenizer file, or writes the built-in one matching the geometry.
SynthResult write_tokenizer(const SynthSpec& spec, const std::filesystem::path& dir,
                            const std::filesystem::path& tokenizer) {
  if (!tokenizer.empty()) {
    if (!std::filesystem::is_regular_file(tokenizer))
      fail(ErrorKind::InvalidInput, tokenizer.string() + ": tokenizer file not found");
    std::filesystem::copy_file(tokenizer, dir / tokenizer.filename(), std::filesystem::copy_options::overwrite_existing);
    return {tokenizer.filename().string(), ""};
  }
  const BuiltInTokenizer& builtin = roberta_like(spec) ? builtin_unigram_tokenizer() : builtin_wordpiece_tokenizer();
  if (spec.vocab < builtin.vocab_size)
    return {"", "no tokenizer written: the built-in " + std::string(builtin.description) + " needs a vocabulary of " +
                    std::to_string(builtin.vocab_size) + " (this one has " + std::to_string(spec.vocab) +
                    "); pass --tokenizer, or token ids with --ids"};
  std::ofstream out(dir / "tokenizer.json", std::ios::binary);
  out.write(builtin.json.data(), static_cast<std::streamsize>(builtin.json.size()));
  if (!out.flush()) fail(ErrorKind::Io, (dir / "tokenizer.json").string() + ": cannot write");
  return {builtin.description, ""};
}

}  // namespace

SynthResult write_synthetic_model(const SynthSpec& spec, const std::filesystem::path& dir,
                                  const std::filesystem::path& tokenizer,
                                  const std::function<void(int64_t, int64_t)>& progress) {
  check(spec);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(ErrorKind::Io, dir.string() + ": cannot create folder: " + ec.message());
  write_json(dir / "config.json", config_json(spec));
  if (spec.sentence_transformers) write_sentence_modules(spec, dir);
  SynthResult result = write_tokenizer(spec, dir, tokenizer);
  SafetensorsWriter writer;
  add_weights(spec, writer);
  writer.write(dir / "model.safetensors", progress);
  return result;
}

}  // namespace packformer
