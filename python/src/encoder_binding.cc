// packformer._packformer._Encoder: an Encoder, its pool of sessions, and the batched runs
// behind packformer.Encoder.encode / predict (python/packformer/encoder.py holds the
// sentence-transformers-style argument handling).
#include <nanobind/nanobind.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <omp.h>
#include <packformer/encoder.h>
#include <packformer/error.h>
#include <packformer/limits.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arrays.h"
#include "errors.h"
#include "session_pool.h"

namespace nb = nanobind;

namespace packformer::python {
namespace {

struct EncoderSlot {
  std::unique_ptr<EncoderSession> session;
  EncoderOutput output;  // reused: once warm, a batch allocates nothing in the session
};

enum class Output { SentenceEmbedding, TokenEmbeddings, Logits, PoolerOutput };

Output parse_output(const std::string& name) {
  if (name == "sentence_embedding") return Output::SentenceEmbedding;
  if (name == "token_embeddings") return Output::TokenEmbeddings;
  if (name == "logits") return Output::Logits;
  if (name == "pooler_output") return Output::PoolerOutput;
  invalid_input("output_value: expected \"sentence_embedding\", \"token_embeddings\" or \"pooler_output\", got \"" +
                name + "\"");
}

unsigned flag_of(Output output) {
  switch (output) {
    case Output::SentenceEmbedding: return kSentenceEmbedding;
    case Output::TokenEmbeddings: return kHiddenStates;
    case Output::Logits: return kLogits;
    case Output::PoolerOutput: return kPoolerOutput;
  }
  return 0;
}

// torch.nn.functional.normalize(p=2): x / max(||x||, 1e-12), as sentence-transformers does.
void normalize_rows(float* data, size_t rows, size_t width) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = data + r * width;
    double sum = 0;
    for (size_t i = 0; i < width; ++i) sum += static_cast<double>(row[i]) * row[i];
    const float scale = 1.0f / std::max(static_cast<float>(std::sqrt(sum)), 1e-12f);
    for (size_t i = 0; i < width; ++i) row[i] *= scale;
  }
}

void check_range(const char* name, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi)
    invalid_input(std::string(name) + ": expected " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                  std::to_string(value));
}

struct RunRequest {
  Output output;
  int64_t batch_size;
  int64_t max_batch_tokens;  // 0 = no token budget
  bool normalize;
  Progress progress;
};

class PyEncoder {
 public:
  PyEncoder(const std::string& path, const std::string& device, const std::string& dtype, std::optional<int> threads,
            int sessions, const std::string& execution_path, bool sparsity, std::optional<uint64_t> max_memory) {
    check_range("threads", threads.value_or(0), threads ? 1 : 0, kMaxThreads);
    check_range("sessions", sessions, 1, kMaxThreads);
    if (execution_path != "fast" && execution_path != "slow")
      invalid_input("path: expected \"fast\" or \"slow\", got \"" + execution_path + "\"");
    run_options_.path = execution_path == "slow" ? ExecutionPath::Slow : ExecutionPath::Fast;
    run_options_.sparsity = sparsity;
    EncoderOptions options;
    options.device = device;
    options.dtype = dtype;
    // As the runtime's Batcher: 0 = what OpenMP would use, split evenly among the sessions.
    const int total = threads.value_or(0) > 0 ? *threads : omp_get_max_threads();
    threads_per_session_ = std::max(1, total / sessions);
    options.threads = total;
    options.max_memory_bytes = max_memory.value_or(0);
    std::vector<std::unique_ptr<EncoderSlot>> slots;
    {
      nb::gil_scoped_release release;
      encoder_ = Encoder::load(path, options);
      for (int i = 0; i < sessions; ++i) {
        auto slot = std::make_unique<EncoderSlot>();
        slot->session = encoder_->new_session({.threads = threads_per_session_});
        slots.push_back(std::move(slot));
      }
    }
    pool_ = std::make_unique<SessionPool<EncoderSlot>>(std::move(slots));
  }

  nb::dict info() const {
    const ModelInfo& i = encoder_->info();
    nb::dict d;
    d["model_type"] = i.model_type;
    d["vocab_size"] = i.vocab_size;
    d["hidden_size"] = i.hidden_size;
    d["num_layers"] = i.num_layers;
    d["num_heads"] = i.num_heads;
    d["intermediate_size"] = i.intermediate_size;
    d["max_length"] = i.max_length;
    d["pad_token_id"] = i.pad_token_id;
    d["type_vocab_size"] = i.type_vocab_size;
    d["has_pooler"] = i.has_pooler;
    d["has_sentence_pooling"] = i.has_sentence_pooling;
    d["num_labels"] = i.num_labels;
    nb::dict labels;
    for (const auto& [id, label] : i.id2label) labels[nb::int_(id)] = label;
    d["id2label"] = labels;
    nb::dict prompts;
    for (const auto& [name, text] : i.prompts) prompts[nb::str(name.c_str())] = text;
    d["prompts"] = prompts;
    d["default_prompt_name"] = i.default_prompt_name.empty() ? nb::none() : nb::object(nb::str(i.default_prompt_name.c_str()));
    d["has_tokenizer"] = encoder_->tokenizer() != nullptr;
    d["device"] = encoder_->device_description();
    d["sessions"] = pool_->size();
    d["threads_per_session"] = threads_per_session_;
    return d;
  }

  // Token ids of each text, special tokens added, truncated to max_length (0 = the model's).
  std::string prompt_text(const std::string& prompt_name, const std::string& prompt) const {
    return encoder_->prompt_text(prompt_name, prompt);
  }

  std::vector<std::vector<int32_t>> tokenize(const std::vector<std::string>& texts, int64_t max_length) {
    return tokenize_all(texts, max_length).ids;
  }

  nb::object run_texts(const std::vector<std::string>& texts, const std::string& output, int64_t batch_size,
                       int64_t max_batch_tokens, bool normalize, int64_t max_length, const Progress& progress) {
    EncoderInput input = tokenize_all(texts, max_length);
    return run(std::move(input), {parse_output(output), batch_size, max_batch_tokens, normalize, progress});
  }

  using Pairs = std::vector<std::pair<std::string, std::string>>;

  // Ids and token type ids of each pair as the tokenizer's pair template makes them.
  std::pair<std::vector<std::vector<int32_t>>, std::vector<std::vector<int32_t>>> tokenize_pairs(const Pairs& pairs,
                                                                                                   int64_t max_length) {
    EncoderInput input = tokenize_all_pairs(pairs, max_length);
    return {std::move(input.ids), std::move(input.type_ids)};
  }

  nb::object run_pairs(const Pairs& pairs, const std::string& output, int64_t batch_size, int64_t max_batch_tokens,
                       bool normalize, int64_t max_length, const Progress& progress) {
    EncoderInput input = tokenize_all_pairs(pairs, max_length);
    return run(std::move(input), {parse_output(output), batch_size, max_batch_tokens, normalize, progress});
  }

  nb::object run_ids(std::vector<std::vector<int32_t>> ids, std::optional<std::vector<std::vector<int32_t>>> type_ids,
                     const std::string& output, int64_t batch_size, int64_t max_batch_tokens, bool normalize,
                     const Progress& progress) {
    EncoderInput input;
    input.ids = std::move(ids);
    if (type_ids) input.type_ids = std::move(*type_ids);
    check_ids(input);
    return run(std::move(input), {parse_output(output), batch_size, max_batch_tokens, normalize, progress});
  }

 private:
  // Tokenizes in chunks with the GIL released, checking signals between chunks.
  EncoderInput tokenize_all(const std::vector<std::string>& texts, int64_t max_length) {
    if (encoder_->tokenizer() == nullptr)
      invalid_input("the model folder has no tokenizer (tokenizer.json, vocab.txt or a sentencepiece model): "
                    "pass token ids instead of texts");
    check_range("max_length", max_length, 0, std::numeric_limits<int32_t>::max());
    max_length = std::min(max_length, encoder_->info().max_length);  // never past the positions
    constexpr size_t kChunk = 256;
    EncoderInput all;
    all.ids.reserve(texts.size());
    for (size_t start = 0; start < texts.size(); start += kChunk) {
      const size_t end = std::min(texts.size(), start + kChunk);
      {
        nb::gil_scoped_release release;
        EncoderInput part = encoder_->tokenize({texts.begin() + start, texts.begin() + end}, max_length);
        for (auto& ids : part.ids) all.ids.push_back(std::move(ids));
      }
      check_signals();
    }
    return all;
  }

  // The tokenizer's pair form (cross-encoders: [CLS] a [SEP] b [SEP]) with its type ids. One
  // call, so that the engine's messages count pairs from the caller's first (1-based).
  EncoderInput tokenize_all_pairs(const Pairs& pairs, int64_t max_length) {
    if (encoder_->tokenizer() == nullptr)
      invalid_input("the model folder has no tokenizer (tokenizer.json, vocab.txt or a sentencepiece model): "
                    "pass token ids and token_type_ids instead of text pairs");
    check_range("max_length", max_length, 0, std::numeric_limits<int32_t>::max());
    max_length = std::min(max_length, encoder_->info().max_length);
    nb::gil_scoped_release release;
    return encoder_->tokenize_pairs(pairs, max_length);
  }

  // The engine checks a batch too, but its messages count within the batch; these name the
  // caller's own index.
  void check_ids(const EncoderInput& input) const {
    const ModelInfo& info = encoder_->info();
    if (!input.type_ids.empty() && input.type_ids.size() != input.ids.size())
      invalid_input("token_type_ids: " + std::to_string(input.type_ids.size()) + " sequences for " +
                    std::to_string(input.ids.size()) + " inputs");
    const int64_t types = std::max<int64_t>(info.type_vocab_size, 1);
    for (size_t i = 0; i < input.ids.size(); ++i) {
      const auto& ids = input.ids[i];
      const std::string where = "input " + std::to_string(i) + ": ";
      if (ids.empty() || static_cast<int64_t>(ids.size()) > info.max_length)
        invalid_input(where + "expected 1.." + std::to_string(info.max_length) + " token ids, got " +
                      std::to_string(ids.size()));
      for (int32_t id : ids)
        if (id < 0 || id >= info.vocab_size)
          invalid_input(where + "token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                        std::to_string(info.vocab_size - 1) + ")");
      if (input.type_ids.empty()) continue;
      if (input.type_ids[i].size() != ids.size())
        invalid_input(where + std::to_string(input.type_ids[i].size()) + " token type ids for " +
                      std::to_string(ids.size()) + " tokens");
      for (int32_t t : input.type_ids[i])
        if (t < 0 || t >= types)
          invalid_input(where + "token type id " + std::to_string(t) + " is outside 0.." + std::to_string(types - 1));
    }
  }

  size_t width_of(Output output) const {
    const ModelInfo& info = encoder_->info();
    switch (output) {
      case Output::Logits:
        if (info.num_labels == 0)
          invalid_input("the model has no sequence-classification head (classifier.weight or "
                        "classifier.out_proj.weight): predict needs a classifier or cross-encoder");
        return static_cast<size_t>(info.num_labels);
      case Output::PoolerOutput:
        if (!info.has_pooler) invalid_input("the model has no pooler (pooler.dense.weight)");
        return static_cast<size_t>(info.hidden_size);
      default: return static_cast<size_t>(info.hidden_size);
    }
  }

  bool packed() const { return run_options_.path == ExecutionPath::Fast && run_options_.sparsity; }

  // Batches of input indices: at most batch_size sequences and max_batch_tokens of cost each
  // (real tokens when packed, sequences x longest when padded). Longest first, as
  // sentence-transformers sorts, so padded batches hold similar lengths; in input order when
  // everything fits in one batch.
  std::vector<std::vector<size_t>> form_batches(const EncoderInput& input, const RunRequest& r) const {
    const size_t n = input.ids.size();
    const int64_t budget = r.max_batch_tokens > 0 ? r.max_batch_tokens : std::numeric_limits<int64_t>::max();
    const auto length = [&](size_t i) { return static_cast<int64_t>(input.ids[i].size()); };
    const auto cost = [&](int64_t count, int64_t tokens, int64_t longest) {
      return packed() ? tokens : count * longest;
    };
    int64_t tokens = 0, longest = 0;
    for (size_t i = 0; i < n; ++i) {
      if (length(i) > budget)
        invalid_input("input " + std::to_string(i) + " has " + std::to_string(length(i)) +
                      " tokens, more than max_batch_tokens (" + std::to_string(r.max_batch_tokens) +
                      ") allows in one batch: raise max_batch_tokens or lower max_length");
      tokens += length(i);
      longest = std::max(longest, length(i));
    }
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    if (static_cast<int64_t>(n) > r.batch_size || cost(static_cast<int64_t>(n), tokens, longest) > budget)
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return length(a) > length(b); });
    std::vector<std::vector<size_t>> batches;
    tokens = longest = 0;
    for (size_t i : order) {
      if (!batches.empty()) {
        auto& last = batches.back();
        const auto count = static_cast<int64_t>(last.size()) + 1;
        if (count <= r.batch_size && cost(count, tokens + length(i), std::max(longest, length(i))) <= budget) {
          last.push_back(i);
          tokens += length(i);
          longest = std::max(longest, length(i));
          continue;
        }
      }
      batches.push_back({i});
      tokens = longest = length(i);
    }
    return batches;
  }

  nb::object run(EncoderInput input, const RunRequest& r) {
    check_range("batch_size", r.batch_size, 1, int64_t{1} << 20);
    check_range("max_batch_tokens", r.max_batch_tokens, 0, int64_t{1} << 40);
    const size_t width = width_of(r.output);
    const size_t n = input.ids.size();
    const auto batches = form_batches(input, r);
    const bool single = batches.size() == 1;
    const unsigned flags = flag_of(r.output);

    std::vector<float> matrix;  // [n, width] for the pooled outputs
    if (r.output != Output::TokenEmbeddings && !single) matrix.resize(n * width);
    std::vector<std::shared_ptr<EncoderOutput>> kept(batches.size());  // token embeddings

    const auto job = [&](EncoderSlot& slot, size_t b) {
      const std::vector<size_t>& batch = batches[b];
      EncoderInput part;
      for (size_t i : batch) {
        part.ids.push_back(std::move(input.ids[i]));  // each index is in one batch only
        if (!input.type_ids.empty()) part.type_ids.push_back(std::move(input.type_ids[i]));
      }
      slot.session->run(part, flags, run_options_, slot.output);
      if (r.output == Output::TokenEmbeddings) {
        kept[b] = std::make_shared<EncoderOutput>(std::move(slot.output));
        return;
      }
      std::vector<float>& rows = r.output == Output::Logits         ? slot.output.logits
                                 : r.output == Output::PoolerOutput ? slot.output.pooler_output
                                                                    : slot.output.sentence_embeddings;
      if (rows.size() != batch.size() * width)
        fail(ErrorKind::Internal, "the engine returned " + std::to_string(rows.size()) + " values for " +
                                      std::to_string(batch.size()) + " rows of " + std::to_string(width));
      if (single) {
        matrix = std::move(rows);  // the NumPy array takes the engine's buffer over: no copy
        if (r.normalize) normalize_rows(matrix.data(), batch.size(), width);
        return;
      }
      for (size_t k = 0; k < batch.size(); ++k) {
        float* dest = matrix.data() + batch[k] * width;
        std::memcpy(dest, rows.data() + k * width, width * sizeof(float));
        if (r.normalize) normalize_rows(dest, 1, width);
      }
    };
    run_jobs<EncoderSlot>(*pool_, batches.size(), job, r.progress);

    if (r.output != Output::TokenEmbeddings) {
      if (matrix.empty()) matrix.resize(n * width);  // no input: a [0, width] array
      return nb::cast(to_numpy(std::move(matrix), {n, width}));
    }
    // One [tokens, hidden] view per input into its batch's hidden states (no copy).
    nb::list arrays;
    std::vector<std::pair<size_t, size_t>> where(n);
    for (size_t b = 0; b < batches.size(); ++b)
      for (size_t k = 0; k < batches[b].size(); ++k) where[batches[b][k]] = {b, k};
    for (size_t i = 0; i < n; ++i) {
      const auto& out = kept[where[i].first];
      const size_t k = where[i].second;
      const auto h = static_cast<size_t>(out->hidden_size);
      const auto first = static_cast<size_t>(out->offsets[k]), last = static_cast<size_t>(out->offsets[k + 1]);
      arrays.append(nb::cast(view_of(out, out->hidden_states.data() + first * h, last - first, h)));
    }
    return arrays;
  }

  std::unique_ptr<Encoder> encoder_;
  std::unique_ptr<SessionPool<EncoderSlot>> pool_;
  RunOptions run_options_;
  int threads_per_session_ = 1;
};

}  // namespace

void bind_encoder(nb::module_& m) {
  nb::class_<PyEncoder>(m, "_Encoder")
      .def(nb::init<const std::string&, const std::string&, const std::string&, std::optional<int>, int,
                    const std::string&, bool, std::optional<uint64_t>>(),
           nb::arg("path"), nb::arg("device"), nb::arg("dtype"), nb::arg("threads").none(), nb::arg("sessions"),
           nb::arg("execution_path"), nb::arg("sparsity"), nb::arg("max_memory").none())
      .def_prop_ro("info", &PyEncoder::info)
      .def("tokenize", &PyEncoder::tokenize, nb::arg("texts"), nb::arg("max_length"))
      .def("prompt_text", &PyEncoder::prompt_text, nb::arg("prompt_name"), nb::arg("prompt"))
      .def("run_texts", &PyEncoder::run_texts, nb::arg("texts"), nb::arg("output"), nb::arg("batch_size"),
           nb::arg("max_batch_tokens"), nb::arg("normalize"), nb::arg("max_length"), nb::arg("progress").none())
      .def("tokenize_pairs", &PyEncoder::tokenize_pairs, nb::arg("pairs"), nb::arg("max_length"))
      .def("run_pairs", &PyEncoder::run_pairs, nb::arg("pairs"), nb::arg("output"), nb::arg("batch_size"),
           nb::arg("max_batch_tokens"), nb::arg("normalize"), nb::arg("max_length"), nb::arg("progress").none())
      .def("run_ids", &PyEncoder::run_ids, nb::arg("ids"), nb::arg("type_ids").none(), nb::arg("output"),
           nb::arg("batch_size"), nb::arg("max_batch_tokens"), nb::arg("normalize"), nb::arg("progress").none());
}

}  // namespace packformer::python
