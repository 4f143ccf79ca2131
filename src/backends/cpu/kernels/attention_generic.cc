// Baseline x86-64 build of the attention kernel.
#include "backends/cpu/kernels/attention_prelude.h"

namespace packformer::generic {
constexpr int64_t kVecFloats = 8;
#include "backends/cpu/kernels/attention_impl.h"
}  // namespace packformer::generic
