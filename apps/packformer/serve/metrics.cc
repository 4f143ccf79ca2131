#include "metrics.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace packformer::serve {
namespace {

// Durations from 10 us to ~50 s, x2 a bucket; counts 1..2^20, x2 a bucket.
std::vector<double> geometric(double first, double factor, int count) {
  std::vector<double> bounds;
  for (double b = first; count-- > 0; b *= factor) bounds.push_back(b);
  return bounds;
}
std::vector<double> duration_buckets() { return geometric(1e-5, 2, 23); }
std::vector<double> count_buckets() { return geometric(1, 2, 21); }

std::string number(double value) {
  if (std::isinf(value)) return "+Inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const double le = i < bounds_.size() ? bounds_[i] : INFINITY;
    out += name + "_bucket{" + labels + sep + "le=\"" + number(le) + "\"} " + std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : tokenization_(duration_buckets()),
      queue_(duration_buckets()),
      inference_(duration_buckets()),
      batch_size_(count_buckets()),
      batch_tokens_(count_buckets()),
      generated_tokens_(count_buckets()),
      generation_(duration_buckets()) {}

void Metrics::count_request(const std::string& route, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
}

void Metrics::observe_request(const std::string& route, double s) {
  std::lock_guard lock(mutex_);
  request_duration_.try_emplace(route, duration_buckets()).first->second.observe(s);
}

void Metrics::observe_tokenization(double s) {
  std::lock_guard lock(mutex_);
  tokenization_.observe(s);
}

void Metrics::observe_batch(const BatchStats& stats) {
  std::lock_guard lock(mutex_);
  batch_size_.observe(static_cast<double>(stats.requests));
  batch_tokens_.observe(static_cast<double>(stats.tokens));
  inference_.observe(seconds(stats.run_time));
  for (const auto wait : stats.waits) queue_.observe(seconds(wait));
  if (stats.failed) ++failed_batches_;
}

void Metrics::observe_generation(int64_t new_tokens, double s) {
  std::lock_guard lock(mutex_);
  generated_tokens_.observe(static_cast<double>(new_tokens));
  generation_.observe(s);
}

std::string Metrics::render(int64_t queue_size, int64_t sequences_in_flight) const {
  std::lock_guard lock(mutex_);
  std::string out;
  header(out, "packformer_requests_total", "counter", "HTTP requests answered, by route and status");
  for (const auto& [key, count] : requests_)
    out += "packformer_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(count) + "\n";
  header(out, "packformer_request_duration_seconds", "histogram", "time from request to response, by route");
  for (const auto& [route, histogram] : request_duration_)
    histogram.render(out, "packformer_request_duration_seconds", "route=\"" + route + "\"");
  header(out, "packformer_queue_size", "gauge", "sequences waiting to be batched");
  out += "packformer_queue_size " + std::to_string(queue_size) + "\n";
  header(out, "packformer_sequences_in_flight", "gauge",
         "sequences admitted and not yet answered (429 above --max-concurrent-requests)");
  out += "packformer_sequences_in_flight " + std::to_string(sequences_in_flight) + "\n";
  header(out, "packformer_tokenization_duration_seconds", "histogram", "tokenization time per request");
  tokenization_.render(out, "packformer_tokenization_duration_seconds");
  header(out, "packformer_queue_duration_seconds", "histogram", "time a sequence waited in the queue for its batch");
  queue_.render(out, "packformer_queue_duration_seconds");
  header(out, "packformer_inference_duration_seconds", "histogram", "time a batch ran");
  inference_.render(out, "packformer_inference_duration_seconds");
  header(out, "packformer_batch_size", "histogram", "sequences per batch");
  batch_size_.render(out, "packformer_batch_size");
  header(out, "packformer_batch_tokens", "histogram", "real tokens per batch");
  batch_tokens_.render(out, "packformer_batch_tokens");
  header(out, "packformer_batch_failures_total", "counter", "batches whose run failed (their requests got 424)");
  out += "packformer_batch_failures_total " + std::to_string(failed_batches_) + "\n";
  header(out, "packformer_generated_tokens", "histogram", "new tokens per generation request");
  generated_tokens_.render(out, "packformer_generated_tokens");
  header(out, "packformer_generation_duration_seconds", "histogram", "time a generation request ran");
  generation_.render(out, "packformer_generation_duration_seconds");
  return out;
}

}  // namespace packformer::serve
