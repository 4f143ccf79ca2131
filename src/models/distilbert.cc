// DistilBERT: BERT's post-LayerNorm encoder with other names, no token types and no pooler.
// Its config says dim / n_layers / n_heads / hidden_dim / activation; LayerNorm eps is fixed
// at 1e-12 in transformers' modeling code. DistilBertForSequenceClassification puts
// classifier(relu(pre_classifier(h[CLS]))) on top.
#include "loader/json_file.h"
#include "loader/weight_store.h"
#include "models/encoder_loading.h"
#include "models/registry.h"
#include "models/sentence_config.h"
#include "packformer/error.h"

namespace packformer {
namespace {

using namespace encoder_loading;  // NOLINT: the shared bounds and weight-scope loaders

EncoderConfig parse_config(const JsonFile& json) {
  EncoderConfig c;
  c.model_type = "distilbert";
  c.vocab_size = json.get_int("vocab_size", 1, kMaxVocab);
  c.hidden_size = json.get_int("dim", 1, kMaxDim);
  c.num_layers = json.get_int("n_layers", 1, kMaxLayers);
  c.num_heads = json.get_int("n_heads", 1, kMaxDim);
  c.intermediate_size = json.get_int("hidden_dim", 1, 4 * kMaxDim);
  c.max_position_embeddings = json.get_int("max_position_embeddings", 1, kMaxPositions);
  c.type_vocab_size = 0;  // no token-type embeddings
  c.pad_token_id = json.get_int("pad_token_id", 0, c.vocab_size - 1, 0);
  c.layer_norm_eps = 1e-12f;
  c.activation =
      activation_from_name(json.get_string("activation", "gelu"), json.path().string() + ": field 'activation'");
  if (c.hidden_size % c.num_heads != 0)
    json.invalid("dim", "must be a multiple of n_heads (" + std::to_string(c.num_heads) + ")");
  if (json.get_bool("sinusoidal_pos_embds", false))
    fail(ErrorKind::Unsupported, json.path().string() +
                                     ": field 'sinusoidal_pos_embds': true is not supported (only learned positions)");
  c.id2label = json.get_int_keyed_strings("id2label");
  return c;
}

// DistilBertForSequenceClassification's head, when the checkpoint has one; its rows are the
// labels. A `classifier` without `pre_classifier` belongs to another task (token
// classification) and is ignored, as other tasks' weights are.
void load_head(const WeightStore& store, const JsonFile& json, EncoderConfig& c, EncoderWeights& w) {
  if (!store.contains("pre_classifier.weight")) return;
  const std::vector<int64_t> shape = store.shape("classifier.weight");
  if (shape.size() != 2 || shape[0] < 1)
    fail(ErrorKind::InvalidModel, json.path().parent_path().string() +
                                      ": the checkpoint has 'pre_classifier.weight', so weight 'classifier.weight' "
                                      "must be there too, shaped [labels, dim]");
  c.classifier = ClassifierHead::DenseReluOut;
  c.num_labels = shape[0];
  if (!c.id2label.empty() && static_cast<int64_t>(c.id2label.size()) != c.num_labels)
    json.invalid("id2label", "names " + std::to_string(c.id2label.size()) + " labels but 'classifier.weight' has " +
                                 std::to_string(c.num_labels) + " rows");
  w.classifier_dense = linear(store, "pre_classifier", c.hidden_size, c.hidden_size);
  w.classifier = linear(store, "classifier", c.hidden_size, c.num_labels);
}

EncoderWeights load_weights(const WeightStore& store, const JsonFile& json, EncoderConfig& c) {
  // DistilBertModel saves bare names; the task models put them under "distilbert.".
  const std::string base = store.contains("distilbert.embeddings.word_embeddings.weight") ? "distilbert." : "";
  const int64_t h = c.hidden_size, ffn = c.intermediate_size;
  EncoderWeights w;
  w.word_embeddings = store.tensor(base + "embeddings.word_embeddings.weight", {c.vocab_size, h});
  w.position_embeddings = store.tensor(base + "embeddings.position_embeddings.weight", {c.max_position_embeddings, h});
  w.embedding_norm = layer_norm(store, base + "embeddings.LayerNorm", h);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = base + "transformer.layer." + std::to_string(i) + ".";
    EncoderLayerWeights layer;
    layer.query = linear(store, p + "attention.q_lin", h, h);
    layer.key = linear(store, p + "attention.k_lin", h, h);
    layer.value = linear(store, p + "attention.v_lin", h, h);
    layer.attention_output = linear(store, p + "attention.out_lin", h, h);
    layer.attention_norm = layer_norm(store, p + "sa_layer_norm", h);
    layer.intermediate = linear(store, p + "ffn.lin1", h, ffn);
    layer.output = linear(store, p + "ffn.lin2", ffn, h);
    layer.output_norm = layer_norm(store, p + "output_layer_norm", h);
    w.layers.push_back(std::move(layer));
  }
  load_head(store, json, c, w);
  return w;
}

}  // namespace

EncoderModel load_distilbert(const std::filesystem::path& dir, const JsonFile& config_json) {
  EncoderModel model;
  model.dir = dir;
  model.config = parse_config(config_json);
  const WeightStore store(dir);
  model.weights = load_weights(store, config_json, model.config);
  model.config.sentence = load_sentence_config(dir, model.config.hidden_size);
  return model;
}

}  // namespace packformer
