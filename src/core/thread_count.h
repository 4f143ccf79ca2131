// Per-call thread counts. OpenMP's thread count (nthreads-var) belongs to the calling thread's
// data environment, so setting it inside a call and restoring it after changes nothing for
// other threads: each Session runs with its own count, and nothing sets a process-wide one.
#pragma once

#include <omp.h>

namespace packformer {

// 0 = one thread per core (what OpenMP can use in this process).
inline int resolve_threads(int requested) { return requested > 0 ? requested : omp_get_num_procs(); }

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
