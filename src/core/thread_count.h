// Thread counts. The bound every entry point that takes a count checks first, and per-call
// counts: OpenMP's thread count (nthreads-var) belongs to the calling thread's data
// environment, so setting it inside a call and restoring it after changes nothing for other
// threads: each Session runs with its own count, and nothing sets a process-wide one.
#pragma once

#include <omp.h>

#include <string>

#include "packformer/error.h"
#include "packformer/limits.h"

namespace packformer {

// 0 (all cores) .. kMaxThreads; anything else is InvalidInput, before a thread is created.
inline void check_thread_count(int threads) {
  if (threads < 0 || threads > kMaxThreads)
    fail(ErrorKind::InvalidInput, "threads must be in [0, " + std::to_string(kMaxThreads) + "] (0 = all cores; got " +
                                      std::to_string(threads) + ")");
}

// 0 = what OpenMP would use for the caller: OMP_NUM_THREADS if set, else the CPUs this process
// may run on (its affinity mask).
inline int resolve_threads(int requested) { return requested > 0 ? requested : omp_get_max_threads(); }

// Sets the calling thread's OpenMP thread count for the scope's lifetime.
class ScopedThreadCount {
 public:
  explicit ScopedThreadCount(int threads) : previous_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~ScopedThreadCount() { omp_set_num_threads(previous_); }
  ScopedThreadCount(const ScopedThreadCount&) = delete;
  ScopedThreadCount& operator=(const ScopedThreadCount&) = delete;

 private:
  int previous_;
};

}  // namespace packformer
