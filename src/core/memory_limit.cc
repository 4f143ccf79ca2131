#include "core/memory_limit.h"

#include <unistd.h>

#include <limits>

namespace packformer {
namespace {
constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();
}  // namespace

uint64_t saturating_add(uint64_t a, uint64_t b) { return b > kSaturated - a ? kSaturated : a + b; }
uint64_t saturating_mul(uint64_t a, uint64_t b) { return a != 0 && b > kSaturated / a ? kSaturated : a * b; }

uint64_t default_memory_limit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return kSaturated;
  return saturating_mul(static_cast<uint64_t>(pages), static_cast<uint64_t>(page_size)) / 2;
}

std::string describe_bytes(uint64_t bytes) {
  return std::to_string(bytes) + " bytes (" + std::to_string(bytes / (1024 * 1024)) + " MiB)";
}

}  // namespace packformer
