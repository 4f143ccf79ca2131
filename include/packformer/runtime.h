// The batching runtime: many single-sequence requests in, batches out to N sessions of one
// Encoder, each request's result back through its own future. Shared by the CLI's streaming
// commands and (later) the server and the Python package, hence a public header.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "packformer/encoder.h"

namespace packformer {

// What one formed batch was: handed to BatcherOptions::on_batch before the batch runs.
struct BatchStats {
  int64_t requests = 0;
  int64_t tokens = 0;  // real tokens
  int64_t cost = 0;    // what counted against max_batch_tokens: real tokens (packed) or requests x longest (padded)
  int64_t longest = 0;
  // Each request's time in the queue, from submit() until this batch was formed (queue order).
  std::vector<std::chrono::nanoseconds> waits;
  // How long the batch ran; set only for on_batch_done.
  std::chrono::nanoseconds run_time{0};
  bool failed = false;  // on_batch_done only: the run threw (its requests got the exception)
};

struct BatcherOptions {
  // Most tokens one batch may cost: real tokens on the packed path (fast, sparsity on), batch
  // size x longest sequence on the padded paths, where padding is computed too.
  int64_t max_batch_tokens = 16384;
  int64_t max_batch_requests = 32;  // most sequences per batch
  // Requests waiting to be batched; submit() blocks while the queue is full (backpressure).
  int64_t max_queued_requests = 1024;
  // Sessions (worker threads) pulling batches from the one queue; threads are split among
  // them: each session gets max(1, threads / sessions), threads 0 = all cores.
  int sessions = 1;
  int threads = 0;
  // How long the oldest queued request may wait for company before a batch is formed
  // anyway, so a lone request is not held back. A batch also forms at once when the queue
  // already holds a full batch, or after close().
  std::chrono::microseconds max_wait{2000};
  // Padded paths only (where padding costs compute): a batch takes the oldest request and
  // then the requests among the next `sort_window` closest to its length, instead of the
  // next ones in order. 0 = first in, first out. The packed path always takes them in order:
  // there, mixing lengths costs nothing.
  int64_t sort_window = 256;
  // A sequence longer than max_batch_tokens can never fit in a batch: submit() refuses it
  // (InvalidInput) unless truncate is set, then it is cut to max_batch_tokens tokens.
  bool truncate = false;
  unsigned outputs = kSentenceEmbedding;  // OutputFlag bits every batch computes
  RunOptions run_options;
  // Called by the worker with each batch it formed, before running it; for metrics and tests.
  // An exception it throws fails that batch's requests like a failing run.
  std::function<void(const BatchStats&)> on_batch;
  // Called by the worker after each batch ran (or failed), before its futures are fulfilled;
  // for metrics. Must not throw.
  std::function<void(const BatchStats&)> on_batch_done;
};

// One sequence's share of a batch's EncoderOutput: batch size 1 (offsets {0, length}).
using RequestResult = EncoderOutput;

class Batcher {
 public:
  // Starts options.sessions worker threads over `encoder`, which must outlive the Batcher.
  // Throws InvalidInput for an option out of range.
  Batcher(const Encoder& encoder, const BatcherOptions& options);
  // close() and join: requests already submitted are run first.
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues one sequence (type_ids empty = all zeros); blocks while the queue is full. The
  // sequence is checked here (1..max_length tokens, ids in the vocabulary, fits
  // max_batch_tokens): a bad one throws InvalidInput at once and is never queued, so it cannot
  // fail a batch of others. The future holds the result, or the exception of its batch.
  // Throws InvalidInput after close().
  std::future<RequestResult> submit(std::vector<int32_t> ids, std::vector<int32_t> type_ids = {});

  // No more submissions: the workers run what is queued without waiting for company, then
  // stop. Returns at once; the destructor joins.
  void close();

  const BatcherOptions& options() const { return options_; }
  // Requests waiting to be batched now (not those running); for metrics.
  int64_t queued_requests() const;

 private:
  struct Request {
    std::vector<int32_t> ids, type_ids;
    std::promise<RequestResult> promise;
    std::chrono::steady_clock::time_point queued_at;
  };

  bool padded() const;
  int64_t cost(int64_t count, int64_t tokens, int64_t longest) const;
  bool full_batch_queued() const;
  std::vector<Request> take_batch();
  void work(EncoderSession& session);
  void run_batch(EncoderSession& session, std::vector<Request>& batch, EncoderOutput& output);
  void finish_batch(BatchStats& stats, std::chrono::steady_clock::time_point started) const;

  const Encoder& encoder_;
  BatcherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Request> queue_;
  int64_t queued_tokens_ = 0;
  bool closed_ = false;
  std::vector<std::unique_ptr<EncoderSession>> sessions_;
  std::vector<std::thread> workers_;
};

}  // namespace packformer
