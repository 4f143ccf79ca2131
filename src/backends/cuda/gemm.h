// y[rows, out] = x[rows, in] * W^T (+ bias) (then GELU / ReLU) through cuBLASLt, with W as
// Hugging Face stores it ([out, in], row-major). fp32 runs in true fp32 (no TF32), so the
// fp32 path stays within 1e-4 of the CPU reference; fp16 / bf16 accumulate in fp32 on the
// tensor cores. Matmul descriptors and the chosen algorithm are cached per shape.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include "backends/cuda/context.h"
#include "packformer/device.h"

namespace packformer::cuda {

enum class GemmEpilogue {
  None,      // y = x W^T
  Bias,      // y = x W^T + b
  BiasGelu,  // y = gelu_tanh(x W^T + b): cuBLASLt's GELU is the tanh approximation
  BiasRelu,  // y = relu(x W^T + b)
};

class GemmRunner {
 public:
  GemmRunner(const Context& context, Precision dtype);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  // All pointers are device pointers in `dtype` (bias too), aligned to 256 bytes.
  void linear(const void* x, int64_t rows, const void* weight, const void* bias, int64_t in, int64_t out, void* y,
              GemmEpilogue epilogue);

 private:
  struct Plan;
  const Context& context_;
  Precision dtype_;
  std::map<std::tuple<int64_t, int64_t, int64_t, int>, std::unique_ptr<Plan>> plans_;
};

}  // namespace packformer::cuda
