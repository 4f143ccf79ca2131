// Once warm, a fast-path forward pass allocates nothing: every malloc-family call in this
// process (C++ new, oneDNN, OpenMP, libc) is counted while the pass runs.
#include <malloc.h>

#include <atomic>
#include <cstdlib>

#include "test_util.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
void count() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

// Interpose the allocator for the whole process (the executable's definitions win).
extern "C" {
void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void* memalign(size_t alignment, size_t n) {
  count();
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(size_t alignment, size_t n) {
  count();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
  count();
  *out = __libc_memalign(alignment, n);
  return *out == nullptr && n != 0 ? 12 /* ENOMEM */ : 0;
}
void free(void* p) { __libc_free(p); }
}

namespace packformer::test {
namespace {

long allocations_during(const std::function<void()>& work) {
  allocations = 0;
  counting = true;
  work();
  counting = false;
  return allocations.load();
}

TEST(NoAllocation, WarmFastPathAllocatesNothing) {
  // The counter must see allocations at all, or a zero below would prove nothing.
  ASSERT_GT(allocations_during([] { std::vector<int> v(100); (void)v; }), 0);

  const auto encoder = Encoder::load(tiny_model("tiny-xlmr"), {.threads = 2, .load_tokenizer = false});
  EncoderInput input;
  for (int len : {9, 1, 16, 4}) {
    std::vector<int32_t> ids(static_cast<size_t>(len), 5);
    ids.front() = 0;
    input.ids.push_back(ids);
  }
  for (const bool sparsity : {true, false}) {
    const RunOptions options{ExecutionPath::Fast, sparsity};
    EncoderOutput output;
    encoder->run(input, kHiddenStates, options, output);  // warm-up: plans buffers and primitives
    const long count = allocations_during([&] {
      for (int i = 0; i < 3; ++i) encoder->run(input, kHiddenStates, options, output);
    });
    EXPECT_EQ(count, 0) << "sparsity " << sparsity;
  }
}

TEST(NoAllocation, SmallerBatchAfterLargerReusesTheWorkspace) {
  const auto encoder = Encoder::load(tiny_model("tiny-bert"), {.threads = 2, .load_tokenizer = false});
  EncoderInput big, small;
  big.ids.assign(4, std::vector<int32_t>(30, 7));
  small.ids.assign(2, std::vector<int32_t>(12, 7));
  EncoderOutput output;
  encoder->run(big, kHiddenStates, {}, output);
  encoder->run(small, kHiddenStates, {}, output);  // first use of this row bucket
  EXPECT_EQ(allocations_during([&] { encoder->run(small, kHiddenStates, {}, output); }), 0);
}

}  // namespace
}  // namespace packformer::test
