// Memory figures computed before anything is allocated, so that a request too large for the
// machine is refused with a clear error instead of a crash (or the kernel's OOM killer) midway.
#pragma once

#include <cstdint>
#include <string>

namespace packformer {

// Byte counts saturate at UINT64_MAX instead of overflowing: a hostile shape cannot wrap a
// huge figure around to a small one.
uint64_t saturating_add(uint64_t a, uint64_t b);
uint64_t saturating_mul(uint64_t a, uint64_t b);

// The limit used when the caller gives none (0): half of physical RAM (UINT64_MAX when the
// system does not say).
uint64_t default_memory_limit();

// "40960000 bytes (39 MiB)", for error messages.
std::string describe_bytes(uint64_t bytes);

}  // namespace packformer
