// An encoder model behind the server: admission (at most --max-concurrent-requests sequences
// in flight, else 429), tokenization with the length checks, and the runtime's Batcher, which
// forms batches from every request's sequences. Routes call run() from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "admission.h"
#include "metrics.h"
#include "request_fields.h"
#include "serve_options.h"
#include "packformer/encoder.h"
#include "packformer/runtime.h"

namespace packformer {
class Tokenizer;
}

namespace packformer::serve {

class EncoderService {
 public:
  // Embedding: sentence embeddings (/embed, /v1/embeddings). Classifier: logits (/predict).
  enum class Kind { Embedding, Classifier };

  // Throws InvalidInput for options the model cannot serve (its maximum input longer than
  // --max-batch-tokens without --auto-truncate).
  EncoderService(std::unique_ptr<Encoder> encoder, const ServeOptions& options, Metrics& metrics);
  ~EncoderService();

  Kind kind() const { return kind_; }
  // A classifier with a single label: what TEI calls a re-ranker, the only kind /rerank serves.
  bool is_reranker() const { return kind_ == Kind::Classifier && encoder_->info().num_labels == 1; }
  const ModelInfo& info() const { return encoder_->info(); }
  const Tokenizer* tokenizer() const { return encoder_->tokenizer(); }
  // Longest input in tokens: the model's, or --max-batch-tokens when that is smaller.
  int64_t max_input_length() const { return max_input_length_; }
  const std::string& pooling() const { return pooling_; }
  // The sentence-transformers prompt named `name` ("" = the folder's default_prompt_name, or
  // none); InvalidInput (422) naming the folder's prompts when it has no such prompt.
  std::string prompt_text(const std::string& name) const { return encoder_->prompt_text(name); }

  // At most --max-concurrent-requests sequences in flight, else 429.
  AdmissionGate::Admission admit(int64_t sequences) { return gate_.admit(sequences); }

  struct Output {
    std::vector<RequestResult> results;  // one per input, in order
    int64_t prompt_tokens = 0;           // tokens computed (after truncation)
  };
  // Tokenizes the texts and pairs (or checks the ids), truncating to max_input_length() when `truncate`,
  // else refusing a longer input (422); runs them through the Batcher and waits. Errors:
  // 422 for bad input, 424 (Backend) when a batch failed, 503 after close().
  Output run(const std::vector<TextOrIds>& inputs, bool truncate);

  int64_t queue_size() const { return batcher_->queued_requests(); }
  int64_t in_flight() const { return gate_.in_flight(); }
  // No more requests: what is queued still runs.
  void close() { batcher_->close(); }

 private:
  struct Sequence {
    std::vector<int32_t> ids, type_ids;  // type_ids empty = all zeros (single texts, ids)
  };
  std::vector<Sequence> prepare(const std::vector<TextOrIds>& inputs, bool truncate) const;
  std::vector<int32_t> checked_ids(const TextOrIds& input, const std::string& name, bool truncate) const;
  Sequence tokenized_pair(const TextOrIds& input, const std::string& name, bool truncate) const;

  std::unique_ptr<Encoder> encoder_;
  Metrics& metrics_;
  Kind kind_;
  int64_t max_input_length_;
  std::string pooling_;
  AdmissionGate gate_;
  std::unique_ptr<Batcher> batcher_;
};

}  // namespace packformer::serve
