// The BERT family: BERT (MiniLM included), RoBERTa and XLM-RoBERTa. They share one encoder;
// they differ in position numbering, the default token-type table and the classification head.
#include "models/bert.h"

#include "models/registry.h"

#include "loader/json_file.h"
#include "loader/weight_store.h"
#include "models/encoder_loading.h"
#include "models/sentence_config.h"
#include "packformer/error.h"

namespace packformer {
namespace {

using namespace encoder_loading;  // NOLINT: the shared bounds and weight-scope loaders

bool is_roberta_like(const std::string& model_type) {
  return model_type == "roberta" || model_type == "xlm-roberta";
}

// Which head the checkpoint carries decides what `classify` can do; its row count is the
// number of labels.
void detect_head(const WeightStore& store, const JsonFile& json, EncoderConfig& c) {
  std::string name;
  if (store.contains("classifier.out_proj.weight")) {
    c.classifier = ClassifierHead::DenseTanhOut;
    name = "classifier.out_proj.weight";
  } else if (store.contains("classifier.weight")) {
    c.classifier = ClassifierHead::Pooler;
    name = "classifier.weight";
  } else {
    return;
  }
  const std::vector<int64_t> shape = store.shape(name);
  if (shape.size() != 2 || shape[0] < 1)
    fail(ErrorKind::InvalidModel, json.path().parent_path().string() + ": weight '" + name + "' must be [labels, hidden]");
  c.num_labels = shape[0];
  if (!c.id2label.empty() && static_cast<int64_t>(c.id2label.size()) != c.num_labels)
    json.invalid("id2label", "names " + std::to_string(c.id2label.size()) + " labels but '" + name + "' has " +
                                 std::to_string(c.num_labels) + " rows");
}

EncoderWeights load_weights(const WeightStore& store, const JsonFile& json, EncoderConfig& c) {
  const int64_t h = c.hidden_size;
  EncoderWeights w;
  w.word_embeddings = store.tensor("embeddings.word_embeddings.weight", {c.vocab_size, h});
  w.position_embeddings = store.tensor("embeddings.position_embeddings.weight", {c.max_position_embeddings, h});
  if (c.type_vocab_size > 0)
    w.token_type_embeddings = store.tensor("embeddings.token_type_embeddings.weight", {c.type_vocab_size, h});
  w.embedding_norm = layer_norm(store, "embeddings.LayerNorm", h);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    EncoderLayerWeights layer;
    layer.query = linear(store, p + "attention.self.query", h, h);
    layer.key = linear(store, p + "attention.self.key", h, h);
    layer.value = linear(store, p + "attention.self.value", h, h);
    layer.attention_output = linear(store, p + "attention.output.dense", h, h);
    layer.attention_norm = layer_norm(store, p + "attention.output.LayerNorm", h);
    layer.intermediate = linear(store, p + "intermediate.dense", h, c.intermediate_size);
    layer.output = linear(store, p + "output.dense", c.intermediate_size, h);
    layer.output_norm = layer_norm(store, p + "output.LayerNorm", h);
    w.layers.push_back(std::move(layer));
  }
  w.has_pooler = store.contains("pooler.dense.weight");
  if (w.has_pooler) w.pooler = linear(store, "pooler.dense", h, h);

  detect_head(store, json, c);
  if (c.classifier == ClassifierHead::DenseTanhOut) {
    w.classifier_dense = linear(store, "classifier.dense", h, h);
    w.classifier = linear(store, "classifier.out_proj", h, c.num_labels);
  } else if (c.classifier == ClassifierHead::Pooler) {
    if (!w.has_pooler)
      fail(ErrorKind::InvalidModel, json.path().parent_path().string() +
                                        ": the checkpoint has 'classifier.weight' but no pooler ('pooler.dense.weight')");
    w.classifier = linear(store, "classifier", h, c.num_labels);
  }
  return w;
}

}  // namespace

EncoderConfig parse_bert_config(const JsonFile& json, const std::string& model_type) {
  EncoderConfig c;
  c.model_type = model_type;
  read_bert_style_sizes(json, c);
  c.type_vocab_size = json.get_int("type_vocab_size", 0, 1024, 2);
  c.pad_token_id = json.get_int("pad_token_id", 0, c.vocab_size - 1, is_roberta_like(model_type) ? 1 : 0);
  const std::string position_type = json.get_string("position_embedding_type", "absolute");
  if (position_type != "absolute")
    fail(ErrorKind::Unsupported, json.path().string() + ": field 'position_embedding_type': '" + position_type +
                                     "' is not supported (only 'absolute')");
  c.positions_after_padding = is_roberta_like(model_type);
  if (c.positions_after_padding && c.max_position_embeddings <= c.pad_token_id + 1)
    json.invalid("max_position_embeddings", "must exceed pad_token_id + 1 for RoBERTa-style positions");
  c.id2label = json.get_int_keyed_strings("id2label");
  return c;
}

bool is_bert_family(const std::string& model_type) {
  return model_type == "bert" || is_roberta_like(model_type);
}

EncoderModel load_bert_model(const std::filesystem::path& dir, const JsonFile& config_json) {
  const std::string model_type = config_json.get_string("model_type");
  EncoderModel model;
  model.dir = dir;
  model.config = parse_bert_config(config_json, model_type);
  const WeightStore store(dir);
  model.weights = load_weights(store, config_json, model.config);
  model.config.sentence = load_sentence_config(dir, model.config.hidden_size);
  return model;
}

}  // namespace packformer
