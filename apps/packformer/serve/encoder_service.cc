#include "encoder_service.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>

#include <nlohmann/json.hpp>

#include "api.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"

namespace packformer::serve {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The pooling /info reports: the sentence-transformers Pooling module's mode, else "mean"
// (what the engine pools a plain folder with). Unreadable files fall back quietly: the model
// itself was loaded and checked already, this is a label.
std::string pooling_name(const std::filesystem::path& dir) {
  try {
    std::ifstream modules_file(dir / "modules.json");
    if (!modules_file) return "mean";
    const auto modules = nlohmann::json::parse(modules_file);
    for (const auto& module : modules) {
      if (module.value("type", "").find("Pooling") == std::string::npos) continue;
      std::ifstream config_file(dir / module.value("path", "") / "config.json");
      const auto config = nlohmann::json::parse(config_file);
      if (config.value("pooling_mode_cls_token", false)) return "cls";
      if (config.value("pooling_mode_max_tokens", false)) return "max";
      if (config.value("pooling_mode_mean_sqrt_len_tokens", false)) return "mean_sqrt_len";
      return "mean";
    }
  } catch (const std::exception&) {
  }
  return "mean";
}

std::string input_name(size_t i, size_t count) {
  return count == 1 ? "the input" : "input " + std::to_string(i);
}

}  // namespace

EncoderService::EncoderService(std::unique_ptr<Encoder> encoder, const ServeOptions& options, Metrics& metrics)
    : encoder_(std::move(encoder)), metrics_(metrics), gate_(options.max_concurrent_requests) {
  const ModelInfo& info = encoder_->info();
  kind_ = info.num_labels > 0 && !info.has_sentence_pooling ? Kind::Classifier : Kind::Embedding;
  pooling_ = pooling_name(options.model);
  // As TEI: an input the model accepts must fit in one batch, or be cut to the budget.
  max_input_length_ = info.max_length;
  if (info.max_length > options.max_batch_tokens) {
    if (!options.auto_truncate)
      fail(ErrorKind::InvalidInput,
           "the model's maximum input (" + std::to_string(info.max_length) + " tokens) exceeds --max-batch-tokens (" +
               std::to_string(options.max_batch_tokens) + "): raise --max-batch-tokens to at least " +
               std::to_string(info.max_length) + ", or allow --auto-truncate to cut inputs to " +
               std::to_string(options.max_batch_tokens) + " tokens");
    max_input_length_ = options.max_batch_tokens;
  }

  BatcherOptions batching;
  batching.max_batch_tokens = options.max_batch_tokens;
  batching.max_batch_requests =
      options.max_batch_requests > 0 ? options.max_batch_requests : options.max_concurrent_requests;
  // Every queued sequence holds an admission, so the queue never fills: submit() never blocks.
  batching.max_queued_requests = options.max_concurrent_requests;
  batching.sessions = static_cast<int>(options.sessions);
  batching.threads = static_cast<int>(options.threads);
  // No waiting for company: while a batch runs, the next requests queue up and go together,
  // so a lone request is never held back and a loaded server still batches.
  batching.max_wait = std::chrono::microseconds(0);
  batching.outputs = kind_ == Kind::Classifier ? kLogits : kSentenceEmbedding;
  batching.on_batch_done = [this](const BatchStats& stats) { metrics_.observe_batch(stats); };
  batcher_ = std::make_unique<Batcher>(*encoder_, batching);
}

EncoderService::~EncoderService() = default;

std::vector<std::vector<int32_t>> EncoderService::prepare(const std::vector<TextOrIds>& inputs, bool truncate) const {
  const ModelInfo& info = encoder_->info();
  const Tokenizer* tokenizer = encoder_->tokenizer();
  std::vector<std::vector<int32_t>> sequences;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TextOrIds& input = inputs[i];
    const std::string name = input_name(i, inputs.size());
    std::vector<int32_t> ids;
    if (input.is_ids) {
      ids = input.ids;
      if (ids.empty()) validation_error(name + " has no token ids");
      for (int32_t id : ids)
        if (id >= info.vocab_size)
          validation_error(name + " holds the token id " + std::to_string(id) + ", outside the vocabulary [0, " +
                           std::to_string(info.vocab_size) + ")");
      if (static_cast<int64_t>(ids.size()) > max_input_length_) {
        if (!truncate)
          validation_error(name + " has " + std::to_string(ids.size()) + " tokens, more than the maximum input (" +
                           std::to_string(max_input_length_) + " tokens); send `truncate: true` to cut it");
        ids.resize(static_cast<size_t>(max_input_length_));
      }
    } else {
      if (input.text.empty()) validation_error(name + " is an empty string");
      if (!tokenizer)
        validation_error("the model folder has no tokenizer: send token ids (lists of integers) instead of text");
      // As Encoder::tokenize (what the CLI runs): special tokens added, cut to the maximum.
      EncodeOptions encode;
      encode.max_length = static_cast<size_t>(max_input_length_);
      Encoding encoding = tokenizer->encode(input.text, encode);
      if (encoding.truncated && !truncate)
        validation_error(name + " is longer than the maximum input (" + std::to_string(max_input_length_) +
                         " tokens); send `truncate: true` to cut it");
      ids = std::move(encoding.ids);
    }
    sequences.push_back(std::move(ids));
  }
  return sequences;
}

EncoderService::Output EncoderService::run(const std::vector<TextOrIds>& inputs, bool truncate) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<int32_t>> sequences = prepare(inputs, truncate);
  metrics_.observe_tokenization(seconds_since(start));

  Output output;
  std::vector<std::future<RequestResult>> futures;
  // Every submitted sequence is waited for, even when a later submit fails: its admission is
  // released only when the batcher is done with it.
  const auto wait_all = [&] {
    for (auto& f : futures)
      if (f.valid()) f.wait();
  };
  try {
    for (auto& ids : sequences) {
      output.prompt_tokens += static_cast<int64_t>(ids.size());
      futures.push_back(batcher_->submit(std::move(ids)));
    }
  } catch (const Error& e) {
    wait_all();
    // Inputs were checked above, so only a closed batcher refuses them here.
    throw ApiError(503, "Unhealthy", std::string("the server is shutting down: ") + e.what());
  }
  for (size_t i = 0; i < futures.size(); ++i) {
    try {
      output.results.push_back(futures[i].get());
    } catch (const std::exception& e) {
      wait_all();
      throw ApiError(424, "Backend", "inference failed: " + std::string(e.what()));
    }
  }
  return output;
}

}  // namespace packformer::serve
