// Peak bytes held through operator new while some work runs, above what was held before it:
// what a call really allocates, to compare with the figures checked against --max-memory.
// Replaces the global operator new and delete: include it in exactly one file of a test
// program. Works under AddressSanitizer too (the replacements call malloc and free).
#pragma once

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <new>

namespace packformer::test {
inline std::atomic<bool> tracking_memory{false};
inline std::atomic<long long> live_bytes{0}, peak_bytes{0};

inline void* tracked_new(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  if (tracking_memory.load(std::memory_order_relaxed)) {
    const long long size = static_cast<long long>(malloc_usable_size(p));
    const long long now = live_bytes.fetch_add(size) + size;
    long long seen = peak_bytes.load();
    while (now > seen && !peak_bytes.compare_exchange_weak(seen, now)) {
    }
  }
  return p;
}

inline void tracked_delete(void* p) {
  if (p == nullptr) return;
  if (tracking_memory.load(std::memory_order_relaxed)) live_bytes.fetch_sub(static_cast<long long>(malloc_usable_size(p)));
  std::free(p);
}

inline long long peak_bytes_during(const std::function<void()>& work) {
  live_bytes = 0;
  peak_bytes = 0;
  tracking_memory = true;
  work();
  tracking_memory = false;
  return peak_bytes.load();
}
}  // namespace packformer::test

void* operator new(size_t n) { return packformer::test::tracked_new(n); }
void* operator new[](size_t n) { return packformer::test::tracked_new(n); }
void operator delete(void* p) noexcept { packformer::test::tracked_delete(p); }
void operator delete[](void* p) noexcept { packformer::test::tracked_delete(p); }
void operator delete(void* p, size_t) noexcept { packformer::test::tracked_delete(p); }
void operator delete[](void* p, size_t) noexcept { packformer::test::tracked_delete(p); }
