#include "backends/cpu/attention.h"

#include "backends/cpu/kernel_table.h"
#include "packformer/error.h"

namespace packformer {

void attention_varlen(const AttentionArgs& args) {
  if (args.head_dim > kMaxHeadDim)
    fail(ErrorKind::Unsupported, "head size " + std::to_string(args.head_dim) + " exceeds the supported " +
                                     std::to_string(kMaxHeadDim));
  cpu_kernels().attention(args);
}

}  // namespace packformer
