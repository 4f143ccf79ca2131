// Element-wise kernels: bias + activation (for activations cuBLASLt cannot fuse, e.g. the
// exact erf GELU of BERT) and the gather of real rows into fp32 for the copy to the host.
#include <algorithm>

#include "backends/cuda/check.h"
#include "backends/cuda/device_math.cuh"
#include "backends/cuda/kernels.h"

namespace packformer::cuda {
namespace {

// The same formulas as ops/activation.h, in fp32.
__device__ __forceinline__ float activate(int activation, float x) {
  switch (static_cast<Activation>(activation)) {
    case Activation::Gelu: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case Activation::GeluTanh: return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case Activation::Relu: return x > 0.0f ? x : 0.0f;
    case Activation::Silu: return x / (1.0f + expf(-x));
    case Activation::QuickGelu: return x / (1.0f + expf(-1.702f * x));
    case Activation::Tanh: return tanhf(x);
  }
  return x;
}

template <typename T>
__global__ void bias_activation_kernel(T* y, const T* bias, int64_t total, int64_t cols, int activation) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float v = to_float(y[i]) + (bias ? to_float(bias[i % cols]) : 0.0f);
    y[i] = from_float<T>(activate(activation, v));
  }
}

template <typename T>
__global__ void gather_rows_kernel(const T* x, int64_t hidden, const int32_t* source_rows, float* out) {
  const int64_t row = blockIdx.x;
  const T* src = x + static_cast<int64_t>(source_rows[row]) * hidden;
  for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) out[row * hidden + i] = to_float(src[i]);
}

}  // namespace

void launch_bias_activation(Precision dtype, void* y, const void* bias, int64_t rows, int64_t cols, Activation activation,
                            cudaStream_t stream) {
  const int64_t total = rows * cols;
  if (total == 0) return;
  const int threads = 256;
  const int64_t blocks = std::min<int64_t>((total + threads - 1) / threads, 65536);
  PF_DISPATCH_DTYPE(dtype, T,
                    bias_activation_kernel<T><<<static_cast<unsigned>(blocks), threads, 0, stream>>>(
                        static_cast<T*>(y), static_cast<const T*>(bias), total, cols, static_cast<int>(activation)));
  PF_CUDA_CHECK_LAUNCH("bias_activation");
}

void launch_gather_rows_to_float(Precision dtype, const void* x, int64_t hidden, const int32_t* source_rows, int64_t rows,
                                 float* out, cudaStream_t stream) {
  if (rows == 0) return;
  PF_DISPATCH_DTYPE(dtype, T,
                    gather_rows_kernel<T><<<static_cast<unsigned>(rows), 256, 0, stream>>>(
                        static_cast<const T*>(x), hidden, source_rows, out));
  PF_CUDA_CHECK_LAUNCH("gather_rows_to_float");
}

}  // namespace packformer::cuda
