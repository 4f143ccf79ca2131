#include "generator_service.h"

#include <algorithm>
#include <chrono>

#include "packformer/error.h"

namespace packformer::serve {

GeneratorService::GeneratorService(std::unique_ptr<Generator> generator, const ServeOptions& options, Metrics& metrics)
    : generator_(std::move(generator)), metrics_(metrics), gate_(options.max_concurrent_requests) {
  const int sessions = static_cast<int>(options.sessions);
  const int per_session = options.threads > 0 ? std::max(1, static_cast<int>(options.threads) / sessions) : 0;
  for (int i = 0; i < sessions; ++i) idle_.push_back(generator_->new_session({.threads = per_session}));
}

const Tokenizer* GeneratorService::tokenizer() const {
  try {
    return &generator_->tokenizer();
  } catch (const Error&) {
    return nullptr;
  }
}

int64_t GeneratorService::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

std::vector<int32_t> GeneratorService::generate(const std::vector<int32_t>& prompt, const GenerationOptions& options,
                                                const std::function<void(int32_t)>& on_token) {
  std::unique_ptr<GeneratorSession> session;
  {
    std::unique_lock lock(mutex_);
    ++waiting_;
    free_.wait(lock, [&] { return !idle_.empty(); });
    --waiting_;
    session = std::move(idle_.back());
    idle_.pop_back();
  }
  // The session goes back to the pool however the call ends.
  struct Return {
    GeneratorService& service;
    std::unique_ptr<GeneratorSession>& session;
    ~Return() {
      {
        std::lock_guard lock(service.mutex_);
        service.idle_.push_back(std::move(session));
      }
      service.free_.notify_one();
    }
  } give_back{*this, session};

  const auto start = std::chrono::steady_clock::now();
  TokenCallback callback;
  if (on_token) callback = [&](size_t, size_t, int32_t token) { on_token(token); };
  GeneratedIds ids = session->generate({prompt}, options, callback);
  std::vector<int32_t> tokens = std::move(ids.at(0).at(0));
  metrics_.observe_generation(static_cast<int64_t>(tokens.size()),
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return tokens;
}

}  // namespace packformer::serve
