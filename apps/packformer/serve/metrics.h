// Prometheus metrics of the server (GET /metrics, text exposition format 0.0.4): requests by
// route and status, request/tokenization/queue/inference durations, batch sizes and tokens,
// queue size and sequences in flight. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "packformer/runtime.h"

namespace packformer::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // The _bucket, _sum and _count lines of `name` (with `labels`, e.g. route="/embed").
  void render(std::string& out, const std::string& name, const std::string& labels = "") const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative); the last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void count_request(const std::string& route, int status);
  void observe_request(const std::string& route, double seconds);
  void observe_tokenization(double seconds);
  // From the Batcher's on_batch_done: batch size and tokens, inference time, each request's wait.
  void observe_batch(const BatchStats& stats);
  // Generation: one call's new tokens and duration.
  void observe_generation(int64_t new_tokens, double seconds);
  // The exposition text; gauges are read by the caller (the batcher's queue, permits held).
  std::string render(int64_t queue_size, int64_t sequences_in_flight) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> request_duration_;
  Histogram tokenization_, queue_, inference_, batch_size_, batch_tokens_, generated_tokens_, generation_;
  uint64_t failed_batches_ = 0;
};

}  // namespace packformer::serve
