// Sessions shared by the Python threads that call one model, and the loop that runs a call's
// batches on them with the GIL released while keeping Ctrl-C prompt.
#pragma once

#include <nanobind/nanobind.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace packformer::python {

// How long a thread holding the GIL-less wait goes without looking at Python's signals.
inline constexpr std::chrono::milliseconds kSignalCheckInterval{50};

// Re-raises a pending signal's exception (KeyboardInterrupt) in C++; needs the GIL.
inline void check_signals() {
  if (PyErr_CheckSignals() != 0) throw nanobind::python_error();
}

// A fixed set of slots (a session and its reusable buffers), each used by one call at a time.
template <class Slot>
class SessionPool {
 public:
  explicit SessionPool(std::vector<std::unique_ptr<Slot>> slots) : slots_(std::move(slots)) {
    for (auto& slot : slots_) free_.push_back(slot.get());
  }
  size_t size() const { return slots_.size(); }

  // A free slot, or null when none came free within `timeout`. Call without the GIL.
  Slot* try_acquire(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!available_.wait_for(lock, timeout, [&] { return !free_.empty(); })) return nullptr;
    Slot* slot = free_.back();
    free_.pop_back();
    return slot;
  }
  void release(Slot* slot) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(slot);
    }
    available_.notify_one();
  }

  // Waits for a slot with the GIL released, checking signals meanwhile. Call with the GIL.
  Slot* acquire_interruptibly() {
    for (;;) {
      Slot* slot;
      {
        nanobind::gil_scoped_release release;
        slot = try_acquire(kSignalCheckInterval);
      }
      if (slot) return slot;
      check_signals();
    }
  }

 private:
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_;
  std::mutex mutex_;
  std::condition_variable available_;
};

// Returns its slot to the pool when it goes out of scope.
template <class Slot>
class Lease {
 public:
  Lease(SessionPool<Slot>& pool, Slot* slot) : pool_(pool), slot_(slot) {}
  ~Lease() { pool_.release(slot_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Slot& operator*() const { return *slot_; }

 private:
  SessionPool<Slot>& pool_;
  Slot* slot_;
};

using Progress = std::function<void(size_t done, size_t total)>;

// Runs job(slot, i) for i = 0..count-1 on the pool's slots, without the GIL (a job must not
// touch Python unless it acquires the GIL itself). One session or one job: in the calling
// thread, job after job. Otherwise up to pool.size() worker threads run jobs at once, each
// leasing a slot per job, so calls from several Python threads share the sessions fairly.
// Called with the GIL. Between jobs, and every kSignalCheckInterval while waiting, the calling
// thread checks signals: on KeyboardInterrupt no further job starts, the running ones finish
// and the Python exception propagates. A job's exception stops the others the same way and is
// rethrown. `progress` (optional) runs in the calling thread with the GIL.
template <class Slot>
void run_jobs(SessionPool<Slot>& pool, size_t count, const std::function<void(Slot&, size_t)>& job,
              const Progress& progress = {}) {
  namespace nb = nanobind;
  const size_t workers = std::min(pool.size(), count);
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) {
      Lease<Slot> lease(pool, pool.acquire_interruptibly());
      {
        nb::gil_scoped_release release;
        job(*lease, i);
      }
      if (progress) progress(i + 1, count);
      check_signals();
    }
    return;
  }

  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    size_t next = 0, done = 0, running = 0;
    bool stop = false;
    std::exception_ptr error;
  } state;
  const auto work = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard lock(state.mutex);
        if (state.stop || state.next >= count) break;
        i = state.next++;
      }
      Slot* slot = nullptr;
      while (slot == nullptr) {
        {
          std::lock_guard lock(state.mutex);
          if (state.stop) break;
        }
        slot = pool.try_acquire(kSignalCheckInterval);
      }
      if (slot == nullptr) break;
      try {
        Lease<Slot> lease(pool, slot);
        job(*lease, i);
      } catch (...) {
        std::lock_guard lock(state.mutex);
        if (!state.error) state.error = std::current_exception();
        state.stop = true;
      }
      {
        std::lock_guard lock(state.mutex);
        ++state.done;
      }
      state.changed.notify_all();
    }
    {
      std::lock_guard lock(state.mutex);
      --state.running;
    }
    state.changed.notify_all();
  };

  std::vector<std::thread> threads;
  // Stops and joins the workers on every way out, the GIL released (they never take it).
  struct Joiner {
    State& state;
    std::vector<std::thread>& threads;
    ~Joiner() {
      {
        std::lock_guard lock(state.mutex);
        state.stop = true;
      }
      nanobind::gil_scoped_release release;
      for (std::thread& t : threads) t.join();
    }
  };
  state.running = workers;
  {
    Joiner joiner{state, threads};
    {
      nb::gil_scoped_release release;
      for (size_t w = 0; w < workers; ++w) threads.emplace_back(work);
    }
    size_t reported = 0;
    for (;;) {
      bool finished;
      size_t done;
      {
        nb::gil_scoped_release release;
        std::unique_lock lock(state.mutex);
        state.changed.wait_for(lock, kSignalCheckInterval, [&] { return state.running == 0 || state.done != reported; });
        finished = state.running == 0;
        done = state.done;
      }
      if (progress && done != reported) progress(done, count);
      reported = done;
      if (finished) break;
      check_signals();
    }
    // Normal exit: joiner's stop is a no-op, the threads have ended.
  }
  if (state.error) std::rethrow_exception(state.error);
}

}  // namespace packformer::python
