// Synthetic models: Hugging Face-format folders with seeded random weights for benchmark
// geometries (the Better Transformer tutorial's XLM-R large, BERT base, MiniLM...).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace packformer {

struct SynthSpec {
  std::string model_type = "bert";  // bert, roberta, xlm-roberta
  int64_t layers = 2, hidden = 64, heads = 4, intermediate = 256;
  int64_t vocab = 30522, max_positions = 512, type_vocab = 2;
  int64_t num_labels = 0;  // > 0 adds a sequence-classification head
  bool sentence_transformers = false;  // add mean pooling + Normalize modules
  std::string activation = "gelu";
  uint64_t seed = 0;
};

// Named geometries: xlmr-large, xlmr-base, bert-base, minilm-l6, tiny.
SynthSpec synth_preset(const std::string& name);
std::vector<std::string> synth_preset_names();

// What write_synthetic_model wrote besides the weights.
struct SynthResult {
  // The tokenizer in the folder ("" when none): the copied file's name or the built-in one's
  // description; `tokenizer_note` says why none was written.
  std::string tokenizer, tokenizer_note;
};

// Writes config.json, model.safetensors (F32) and, for sentence-transformers specs, the
// pooling modules. Each size must be within what the config loader accepts (layers <= 256,
// hidden and heads <= 65536, intermediate <= 262144, vocab <= 4194304, positions <= 65536,
// labels <= 65536) and the weights within 16 GiB, else InvalidInput before anything is
// written. `tokenizer` (optional) is copied in; without it a built-in tokenizer.json
// matching the geometry is written when its ids fit the vocabulary: WordPiece (30,522 ids:
// bert-base-uncased's) for bert, an XLM-R-style Unigram (3,002 ids) for roberta and
// xlm-roberta. Progress goes to the callback.
SynthResult write_synthetic_model(const SynthSpec& spec, const std::filesystem::path& dir,
                           const std::filesystem::path& tokenizer = {},
                           const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace packformer
