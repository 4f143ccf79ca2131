// The Batcher: one bounded queue of single-sequence requests, N worker threads each owning an
// EncoderSession. A worker waits for the queue to hold a full batch (token budget or request
// cap) or for the oldest request's deadline, takes a batch, runs it outside the lock and
// fulfils the batch's promises. Every wait is on a condition variable: nothing spins.
#include "packformer/runtime.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/thread_count.h"
#include "models/input_checks.h"
#include "packformer/error.h"
#include "packformer/limits.h"

namespace packformer {
namespace {

void check_option(const char* name, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi)
    fail(ErrorKind::InvalidInput, std::string("batcher option ") + name + " must be in [" + std::to_string(lo) + ", " +
                                      std::to_string(hi) + "] (got " + std::to_string(value) + ")");
}

int64_t length(const std::vector<int32_t>& ids) { return static_cast<int64_t>(ids.size()); }

// Bounds that keep counts and products of counts far from int64 overflow; no real batch
// comes near them (a batch of 2^30 tokens of a 384-wide model is 1.6 TB of activations).
constexpr int64_t kMaxBatchTokens = int64_t{1} << 30;
constexpr int64_t kMaxBatchRequests = int64_t{1} << 20;
constexpr int64_t kMaxQueuedRequests = int64_t{1} << 24;

}  // namespace

Batcher::Batcher(const Encoder& encoder, const BatcherOptions& options) : encoder_(encoder), options_(options) {
  check_option("max_batch_tokens", options.max_batch_tokens, 1, kMaxBatchTokens);
  check_option("max_batch_requests", options.max_batch_requests, 1, kMaxBatchRequests);
  check_option("max_queued_requests", options.max_queued_requests, 1, kMaxQueuedRequests);
  check_option("sessions", options.sessions, 1, kMaxThreads);
  check_option("threads", options.threads, 0, kMaxThreads);
  check_option("max_wait (microseconds)", options.max_wait.count(), 0, int64_t{3600} * 1000 * 1000);
  check_option("sort_window", options.sort_window, 0, kMaxQueuedRequests);
  // 0 = what OpenMP would use (OMP_NUM_THREADS, else the CPUs this process may run on).
  const int total = resolve_threads(options.threads);
  const int per_session = std::max(1, total / options.sessions);
  for (int i = 0; i < options.sessions; ++i) sessions_.push_back(encoder.new_session({.threads = per_session}));
  for (auto& session : sessions_) workers_.emplace_back([this, s = session.get()] { work(*s); });
}

Batcher::~Batcher() {
  close();
  for (std::thread& worker : workers_) worker.join();
}

int64_t Batcher::queued_requests() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(queue_.size());
}

void Batcher::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

std::future<RequestResult> Batcher::submit(std::vector<int32_t> ids, std::vector<int32_t> type_ids) {
  const ModelInfo& info = encoder_.info();
  if (ids.empty()) fail(ErrorKind::InvalidInput, "a sequence needs at least one token");
  if (!type_ids.empty() && type_ids.size() != ids.size())
    fail(ErrorKind::InvalidInput, "type_ids has " + std::to_string(type_ids.size()) + " entries for " +
                                      std::to_string(ids.size()) + " tokens");
  const int64_t limit = std::min(info.max_length, options_.max_batch_tokens);
  if (length(ids) > limit) {
    if (!options_.truncate) {
      const bool model_limit = length(ids) > info.max_length;
      fail(ErrorKind::InvalidInput,
           "a sequence of " + std::to_string(ids.size()) + " tokens is longer than " +
               (model_limit ? "the model's maximum input (" + std::to_string(info.max_length) + " tokens)"
                            : "max_batch_tokens (" + std::to_string(options_.max_batch_tokens) +
                                  "), so it can never fit in a batch: raise max_batch_tokens") +
               ", or ask for truncation");
    }
    ids.resize(static_cast<size_t>(limit));
    if (!type_ids.empty()) type_ids.resize(static_cast<size_t>(limit));
  }
  check_ids_in_vocabulary(ids, info.vocab_size, [] { return std::string(); });
  // Type ids are checked here too: a bad one would otherwise fail its whole batch.
  const int64_t types = std::max<int64_t>(info.type_vocab_size, 1);
  for (int32_t type : type_ids)
    if (type < 0 || type >= types)
      fail(ErrorKind::InvalidInput, "token type id " + std::to_string(type) + " is outside [0, " +
                                        std::to_string(types) + ")");

  Request request{std::move(ids), std::move(type_ids), {}, {}};
  std::future<RequestResult> future = request.promise.get_future();
  {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || static_cast<int64_t>(queue_.size()) < options_.max_queued_requests; });
    if (closed_) fail(ErrorKind::InvalidInput, "the batcher is closed: no more requests are accepted");
    request.queued_at = std::chrono::steady_clock::now();
    queued_tokens_ += length(request.ids);
    queue_.push_back(std::move(request));
  }
  not_empty_.notify_all();
  return future;
}

bool Batcher::padded() const {
  return options_.run_options.path == ExecutionPath::Slow || !options_.run_options.sparsity;
}

int64_t Batcher::cost(int64_t count, int64_t tokens, int64_t longest) const {
  return padded() ? count * longest : tokens;
}

// Real tokens never exceed the padded cost, so a queue holding a budget of real tokens holds
// at least a full batch on either path.
bool Batcher::full_batch_queued() const {
  const auto size = static_cast<int64_t>(queue_.size());
  return size >= options_.max_batch_requests || size >= options_.max_queued_requests ||
         queued_tokens_ >= options_.max_batch_tokens;
}

// Called with the lock held and the queue non-empty. The oldest request always goes first, so
// none waits forever behind shorter or longer ones. On padded paths the rest are picked from
// the window by closeness of length to it (less padding); otherwise in queue order, stopping
// at the first that does not fit.
std::vector<Batcher::Request> Batcher::take_batch() {
  const int64_t window = std::min<int64_t>(static_cast<int64_t>(queue_.size()), 1 + options_.sort_window);
  std::vector<size_t> order;
  if (padded() && options_.sort_window > 0) {
    const int64_t anchor = length(queue_.front().ids);
    for (int64_t i = 1; i < window; ++i) order.push_back(static_cast<size_t>(i));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::abs(length(queue_[a].ids) - anchor) < std::abs(length(queue_[b].ids) - anchor);
    });
    order.insert(order.begin(), 0);
  } else {
    for (size_t i = 0; i < queue_.size() && static_cast<int64_t>(i) < options_.max_batch_requests; ++i)
      order.push_back(i);
  }

  std::vector<size_t> taken;
  int64_t tokens = 0, longest = 0;
  for (size_t i : order) {
    if (static_cast<int64_t>(taken.size()) >= options_.max_batch_requests) break;
    const int64_t n = length(queue_[i].ids);
    const int64_t count = static_cast<int64_t>(taken.size()) + 1;
    // The first request always fits: submit() refused any longer than the budget.
    if (!taken.empty() && cost(count, tokens + n, std::max(longest, n)) > options_.max_batch_tokens) {
      if (padded() && options_.sort_window > 0) continue;  // a shorter one further on may fit
      break;
    }
    taken.push_back(i);
    tokens += n;
    longest = std::max(longest, n);
  }

  // Move the taken requests out in queue order (input order within the batch), then erase
  // them from the back so the indices stay valid.
  std::sort(taken.begin(), taken.end());
  std::vector<Request> batch;
  batch.reserve(taken.size());
  for (size_t i : taken) batch.push_back(std::move(queue_[i]));
  for (auto it = taken.rbegin(); it != taken.rend(); ++it) queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(*it));
  queued_tokens_ -= tokens;
  return batch;
}

void Batcher::work(EncoderSession& session) {
  EncoderOutput output;  // reused: once warm, the session's fast path allocates nothing for it
  for (;;) {
    std::vector<Request> batch;
    {
      std::unique_lock lock(mutex_);
      not_empty_.wait(lock, [&] { return closed_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closed and drained
      // Wait for company, but no longer than the oldest request's deadline.
      const auto deadline = queue_.front().queued_at + options_.max_wait;
      not_empty_.wait_until(lock, deadline, [&] { return closed_ || queue_.empty() || full_batch_queued(); });
      if (queue_.empty()) continue;  // another worker took them
      batch = take_batch();
    }
    not_full_.notify_all();
    run_batch(session, batch, output);
  }
}

void Batcher::finish_batch(BatchStats& stats, std::chrono::steady_clock::time_point started) const {
  if (!options_.on_batch_done) return;
  stats.run_time = std::chrono::steady_clock::now() - started;
  options_.on_batch_done(stats);
}

void Batcher::run_batch(EncoderSession& session, std::vector<Request>& batch, EncoderOutput& output) {
  std::vector<RequestResult> results;
  BatchStats stats;
  const auto started = std::chrono::steady_clock::now();
  try {
    EncoderInput input;
    stats.requests = static_cast<int64_t>(batch.size());
    bool any_types = false;
    for (const Request& r : batch) {
      stats.waits.push_back(started - r.queued_at);
      stats.tokens += length(r.ids);
      stats.longest = std::max(stats.longest, length(r.ids));
      any_types = any_types || !r.type_ids.empty();
    }
    stats.cost = cost(stats.requests, stats.tokens, stats.longest);
    for (Request& r : batch) {
      if (any_types) input.type_ids.push_back(r.type_ids.empty() ? std::vector<int32_t>(r.ids.size(), 0) : r.type_ids);
      input.ids.push_back(std::move(r.ids));
    }
    if (options_.on_batch) options_.on_batch(stats);
    session.run(input, options_.outputs, options_.run_options, output);

    // Split the batch's output into one result per request.
    const int64_t h = output.hidden_size, labels = output.num_labels;
    const auto slice = [](const std::vector<float>& all, int64_t row, int64_t width) {
      return all.empty() ? std::vector<float>() : std::vector<float>(all.begin() + row * width, all.begin() + (row + 1) * width);
    };
    for (int64_t b = 0; b < output.batch_size(); ++b) {
      RequestResult r;
      r.hidden_size = h;
      r.num_labels = labels;
      const int64_t first = output.offsets[b], last = output.offsets[b + 1];
      r.offsets = {0, last - first};
      if (!output.hidden_states.empty())
        r.hidden_states.assign(output.hidden_states.begin() + first * h, output.hidden_states.begin() + last * h);
      r.pooler_output = slice(output.pooler_output, b, h);
      r.sentence_embeddings = slice(output.sentence_embeddings, b, h);
      r.logits = slice(output.logits, b, labels);
      results.push_back(std::move(r));
    }
  } catch (...) {
    // This batch fails alone: its requests get the exception, the worker goes on.
    stats.failed = true;
    finish_batch(stats, started);
    for (Request& r : batch) r.promise.set_exception(std::current_exception());
    return;
  }
  finish_batch(stats, started);
  for (size_t i = 0; i < batch.size(); ++i) batch[i].promise.set_value(std::move(results[i]));
}

}  // namespace packformer
