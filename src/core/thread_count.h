// The check every entry point that takes a thread count runs before it sets OpenMP's team size.
#pragma once

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

}  // namespace packformer
