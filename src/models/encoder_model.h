// The architecture-independent description of a BERT-family encoder: its geometry and its
// weights in fp32, laid out as Hugging Face stores them (Linear weights are [out, in]); F32
// files are not copied: the tensors are views into the mapped file (loader/float_tensor.h).
// Architecture files (bert.cc, ...) fill it from a model folder; the execution paths read it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "layers/encoder_layer.h"
#include "layers/weights.h"
#include "loader/float_tensor.h"
#include "ops/activation.h"

namespace packformer {

enum class ClassifierHead {
  None,
  Pooler,        // BertForSequenceClassification: classifier(pooler_output)
  DenseTanhOut,  // RobertaForSequenceClassification: out_proj(tanh(dense(h[CLS])))
  DenseReluOut,  // DistilBertForSequenceClassification: classifier(relu(pre_classifier(h[CLS])))
};

enum class PoolingMode { Cls, Mean, Max, MeanSqrtLen };

struct SentencePooling {
  bool present = false;  // a sentence-transformers folder (modules.json)
  PoolingMode mode = PoolingMode::Mean;
  bool normalize = false;
  int64_t max_seq_length = 0;  // 0 = not set
  // config_sentence_transformers.json: prompt name -> text prepended to each input, and the
  // prompt used when the caller names none ("" = none).
  std::map<std::string, std::string> prompts;
  std::string default_prompt_name;
  bool include_prompt = true;  // 1_Pooling's include_prompt: false = pool without the prompt's tokens
};

struct EncoderConfig {
  std::string model_type;  // "bert", "roberta", "xlm-roberta", "distilbert", "mpnet"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 0;
  int64_t type_vocab_size = 0;
  int64_t pad_token_id = 0;
  float layer_norm_eps = 1e-12f;
  Activation activation = Activation::Gelu;
  // RoBERTa-style models number real tokens from pad_token_id + 1; BERT from 0.
  bool positions_after_padding = false;
  // MPNet: a learned bias by bucketed relative position (T5's bidirectional buckets) added to
  // every layer's scaled attention scores; 0 buckets = none.
  int64_t relative_attention_buckets = 0;
  int64_t relative_attention_max_distance = 0;
  ClassifierHead classifier = ClassifierHead::None;
  std::map<int64_t, std::string> id2label;
  int64_t num_labels = 0;
  SentencePooling sentence;

  int64_t head_size() const { return hidden_size / num_heads; }
  // Position id of token t: BERT counts from 0, RoBERTa-style models from pad_token_id + 1
  // (transformers' create_position_ids_from_input_ids).
  int64_t first_position() const { return positions_after_padding ? pad_token_id + 1 : 0; }
  int64_t position_id(int64_t t) const { return first_position() + t; }
  EncoderLayerSpec layer_spec() const {
    return {hidden_size, num_heads, intermediate_size, layer_norm_eps, activation};
  }
  // Longest sequence the position table allows.
  int64_t max_sequence_length() const {
    return positions_after_padding ? max_position_embeddings - pad_token_id - 1 : max_position_embeddings;
  }
};

struct EncoderWeights {
  FloatTensor word_embeddings;        // [vocab, hidden]
  FloatTensor position_embeddings;    // [max_positions, hidden]
  FloatTensor token_type_embeddings;  // [type_vocab, hidden]
  LayerNormWeights embedding_norm;
  std::vector<EncoderLayerWeights> layers;
  bool has_pooler = false;
  LinearWeights pooler;
  LinearWeights classifier_dense;  // RoBERTa's dense, DistilBERT's pre_classifier
  LinearWeights classifier;        // classifier or out_proj
  FloatTensor relative_attention_bias;  // [buckets, heads] when the config has buckets (MPNet)
};

struct EncoderModel {
  std::filesystem::path dir;
  EncoderConfig config;
  EncoderWeights weights;
};

}  // namespace packformer
