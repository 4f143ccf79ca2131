// httplib's task queue for the server's connections: a thread per connection being served,
// created when none is idle, up to a cap; idle threads wait for the next connection. The cap
// bounds threads; connections above it wait for a thread (then their requests are answered,
// never dropped). shutdown() runs what was queued, then joins every thread.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace packformer::serve {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max_threads) : max_threads_(max_threads) {}
  ~ConnectionThreads() override { shutdown(); }

  void enqueue(std::function<void()> job) override {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
      // A thread is idle from its start until it takes a job, so a burst of connections
      // starts one thread each, not one per enqueue.
      if (jobs_.size() > idle_ && threads_.size() < max_threads_) {
        ++idle_;
        threads_.emplace_back([this] { work(); });
      }
    }
    ready_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      if (shut_) return;
      shut_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [&] { return shut_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // shut down and drained
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      --idle_;
      lock.unlock();
      job();
      lock.lock();
      ++idle_;
    }
  }

  const size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool shut_ = false;
};

}  // namespace packformer::serve
