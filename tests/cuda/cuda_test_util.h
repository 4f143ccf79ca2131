// Helpers of the CUDA tests. Test binaries built on one machine can run on a GPU machine
// (scripts/gpu_check links the build-time repository path to the copy there); the real
// all-MiniLM-L6-v2 folder can be named with PACKFORMER_MINILM_DIR.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "packformer/device.h"
#include "test_util.h"

namespace packformer::test {

inline std::filesystem::path cuda_tiny_model(const std::string& name) { return tiny_model(name); }
inline std::filesystem::path cuda_minilm_dir() {
  const char* dir = std::getenv("PACKFORMER_MINILM_DIR");
  return dir && *dir ? std::filesystem::path(dir) : minilm_dir();
}

// Why GPU tests cannot run here, or "" when a CUDA device is usable.
inline std::string no_gpu_reason() {
  std::string reason;
  if (cuda_device_count(&reason) > 0) return "";
  return "no CUDA device, GPU test skipped: " + reason;
}

}  // namespace packformer::test

// At the top of a GPU test: skips it, saying why, when no CUDA device is usable.
#define PF_REQUIRE_GPU()                                                      \
  do {                                                                        \
    const std::string pf_reason_ = ::packformer::test::no_gpu_reason();      \
    if (!pf_reason_.empty()) GTEST_SKIP() << pf_reason_;                      \
  } while (0)
