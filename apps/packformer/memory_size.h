// --max-memory's argument (embed, classify, hidden, similarity, generate, translate).
#pragma once

#include <cstdint>
#include <string>

namespace packformer::cli {

// "4G", "512M", "1.5GiB", "1000000" -> bytes (K, M, G, T are powers of 1024). 0 for "".
uint64_t parse_memory_size(const std::string& text);

}  // namespace packformer::cli
