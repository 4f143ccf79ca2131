// Counts every malloc-family call of the process (C++ new, oneDNN, OpenMP, libc) by defining
// malloc, calloc, realloc, memalign, aligned_alloc, posix_memalign and free in the test
// program: the executable's definitions win over libc's. Include it in exactly one file of a
// test program (it defines those functions). Cannot run under AddressSanitizer, which owns
// the allocator: tests/CMakeLists.txt leaves *no_allocation_test.cc out of sanitized builds.
#pragma once

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <functional>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace packformer::test {
inline std::atomic<bool> counting_allocations{false};
inline std::atomic<long> allocation_count{0};
inline void count_allocation() {
  if (counting_allocations.load(std::memory_order_relaxed)) allocation_count.fetch_add(1, std::memory_order_relaxed);
}

// How many allocations `work` makes.
inline long allocations_during(const std::function<void()>& work) {
  allocation_count = 0;
  counting_allocations = true;
  work();
  counting_allocations = false;
  return allocation_count.load();
}
}  // namespace packformer::test

extern "C" {
void* malloc(size_t n) {
  packformer::test::count_allocation();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  packformer::test::count_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  packformer::test::count_allocation();
  return __libc_realloc(p, n);
}
void* memalign(size_t alignment, size_t n) {
  packformer::test::count_allocation();
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(size_t alignment, size_t n) {
  packformer::test::count_allocation();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
  packformer::test::count_allocation();
  *out = __libc_memalign(alignment, n);
  return *out == nullptr && n != 0 ? 12 /* ENOMEM */ : 0;
}
void free(void* p) { __libc_free(p); }
}
