// MPNet (MPNetModel, MPNetForSequenceClassification; sentence-transformers folders such as
// all-mpnet-base-v2): BERT's post-LayerNorm encoder under other names, no token types,
// RoBERTa's positions (from padding_idx + 1), plus a relative position bias: a learned
// [buckets, heads] table, indexed by T5's bidirectional bucket of key - query, added to every
// layer's scaled attention scores. The classification head is RoBERTa's.
#include "loader/json_file.h"
#include "loader/weight_store.h"
#include "models/encoder_loading.h"
#include "models/registry.h"
#include "models/sentence_config.h"
#include "packformer/error.h"

namespace packformer {
namespace {

using namespace encoder_loading;  // NOLINT: the shared bounds and weight-scope loaders

// transformers' MPNetEncoder.compute_position_bias always buckets with its default of 32
// buckets and a max_distance of 128, whatever the config's relative_attention_num_buckets (the
// table's rows) says.
constexpr int64_t kBuckets = 32;
constexpr int64_t kMaxDistance = 128;
// MPNetEmbeddings numbers positions from its fixed padding_idx (1) + 1.
constexpr int64_t kPaddingIdx = 1;

EncoderConfig parse_config(const JsonFile& json, int64_t& table_rows) {
  EncoderConfig c;
  c.model_type = "mpnet";
  read_bert_style_sizes(json, c);
  c.type_vocab_size = 0;  // no token-type embeddings
  c.pad_token_id = json.get_int("pad_token_id", 0, c.vocab_size - 1, kPaddingIdx);
  if (c.pad_token_id != kPaddingIdx)
    json.invalid("pad_token_id", "must be 1: MPNet numbers positions from its padding index 1");
  c.positions_after_padding = true;
  if (c.max_position_embeddings <= kPaddingIdx + 1)
    json.invalid("max_position_embeddings", "must exceed 2 (MPNet's positions start at 2)");
  table_rows = json.get_int("relative_attention_num_buckets", 1, kMaxDim, kBuckets);
  if (table_rows < kBuckets)
    json.invalid("relative_attention_num_buckets", "must be at least 32: transformers' MPNet always uses 32 buckets");
  c.relative_attention_buckets = kBuckets;
  c.relative_attention_max_distance = kMaxDistance;
  c.id2label = json.get_int_keyed_strings("id2label");
  return c;
}

// MPNetForSequenceClassification's head (classifier.dense + tanh + classifier.out_proj), when
// the checkpoint has one; its rows are the labels. Other tasks' heads are ignored.
void load_head(const WeightStore& store, const JsonFile& json, EncoderConfig& c, EncoderWeights& w) {
  if (!store.contains("classifier.out_proj.weight")) return;
  const std::vector<int64_t> shape = store.shape("classifier.out_proj.weight");
  if (shape.size() != 2 || shape[0] < 1)
    fail(ErrorKind::InvalidModel, json.path().parent_path().string() +
                                      ": weight 'classifier.out_proj.weight' must be [labels, hidden]");
  c.classifier = ClassifierHead::DenseTanhOut;
  c.num_labels = shape[0];
  if (!c.id2label.empty() && static_cast<int64_t>(c.id2label.size()) != c.num_labels)
    json.invalid("id2label", "names " + std::to_string(c.id2label.size()) +
                                 " labels but 'classifier.out_proj.weight' has " + std::to_string(c.num_labels) + " rows");
  w.classifier_dense = linear(store, "classifier.dense", c.hidden_size, c.hidden_size);
  w.classifier = linear(store, "classifier.out_proj", c.hidden_size, c.num_labels);
}

EncoderWeights load_weights(const WeightStore& store, const JsonFile& json, EncoderConfig& c, int64_t table_rows) {
  // MPNetModel saves bare names; the task models put them under "mpnet.".
  const std::string base = store.contains("mpnet.embeddings.word_embeddings.weight") ? "mpnet." : "";
  const int64_t h = c.hidden_size, ffn = c.intermediate_size;
  EncoderWeights w;
  w.word_embeddings = store.tensor(base + "embeddings.word_embeddings.weight", {c.vocab_size, h});
  w.position_embeddings = store.tensor(base + "embeddings.position_embeddings.weight", {c.max_position_embeddings, h});
  w.embedding_norm = layer_norm(store, base + "embeddings.LayerNorm", h);
  w.relative_attention_bias = store.tensor(base + "encoder.relative_attention_bias.weight", {table_rows, c.num_heads});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = base + "encoder.layer." + std::to_string(i) + ".";
    EncoderLayerWeights layer;
    layer.query = linear(store, p + "attention.attn.q", h, h);
    layer.key = linear(store, p + "attention.attn.k", h, h);
    layer.value = linear(store, p + "attention.attn.v", h, h);
    layer.attention_output = linear(store, p + "attention.attn.o", h, h);
    layer.attention_norm = layer_norm(store, p + "attention.LayerNorm", h);
    layer.intermediate = linear(store, p + "intermediate.dense", h, ffn);
    layer.output = linear(store, p + "output.dense", ffn, h);
    layer.output_norm = layer_norm(store, p + "output.LayerNorm", h);
    w.layers.push_back(std::move(layer));
  }
  w.has_pooler = store.contains(base + "pooler.dense.weight");
  if (w.has_pooler) w.pooler = linear(store, base + "pooler.dense", h, h);
  load_head(store, json, c, w);
  return w;
}

}  // namespace

EncoderModel load_mpnet(const std::filesystem::path& dir, const JsonFile& config_json) {
  EncoderModel model;
  model.dir = dir;
  int64_t table_rows = 0;
  model.config = parse_config(config_json, table_rows);
  const WeightStore store(dir);
  model.weights = load_weights(store, config_json, model.config, table_rows);
  model.config.sentence = load_sentence_config(dir, model.config.hidden_size);
  return model;
}

}  // namespace packformer
