// --max-memory's argument (embed, classify, hidden, similarity, generate, translate).
#pragma once

#include <cstdint>
#include <string>

namespace packformer::cli {

// The largest --max-memory: 1024T = 2^50 bytes, a thousand times the RAM of the largest
// machines. The value is a limit, not an allocation; the bound keeps it, and sums of byte
// counts compared with it, far from uint64 overflow.
constexpr uint64_t kMaxMemoryBytes = uint64_t{1} << 50;

// "4G", "512M", "1.5GiB", "1000000" -> bytes (K, M, G, T are powers of 1024), in
// [1, kMaxMemoryBytes]. 0 for "" (the library's default: half of physical RAM).
uint64_t parse_memory_size(const std::string& text);

}  // namespace packformer::cli
