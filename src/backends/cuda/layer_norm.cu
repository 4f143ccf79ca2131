// LayerNorm kernels: embeddings + LayerNorm, and bias + residual + LayerNorm, one block per
// row. Row values are recomputed from their inputs in each of the three passes (mean,
// variance of the centred values, output) instead of being held: any hidden size works, and
// the re-reads hit L1/L2. Two-pass statistics avoid the cancellation of sum-of-squares.
#include "backends/cuda/check.h"
#include "backends/cuda/device_math.cuh"
#include "backends/cuda/kernels.h"

namespace packformer::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T, typename Load>
__device__ void normalize_row(const Load& load, int64_t hidden, const float* gamma, const float* beta, float eps,
                              T* out) {
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) sum += load(i);
  const float mean = block_sum(sum) / static_cast<float>(hidden);
  float squares = 0.0f;
  for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) {
    const float d = load(i) - mean;
    squares += d * d;
  }
  const float inv_std = 1.0f / sqrtf(block_sum(squares) / static_cast<float>(hidden) + eps);
  for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x)
    out[i] = from_float<T>((load(i) - mean) * inv_std * gamma[i] + beta[i]);
}

template <typename T>
__global__ void embed_layer_norm_kernel(const int32_t* ids, const int32_t* positions, const int32_t* type_ids,
                                        int64_t hidden, const T* word, const T* position, const T* type,
                                        const float* gamma, const float* beta, float eps, T* out) {
  const int64_t row = blockIdx.x;
  T* dst = out + row * hidden;
  const int32_t id = ids[row];
  if (id < 0) {  // a padding row: zeros, as the CPU fast path feeds it
    for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) dst[i] = from_float<T>(0.0f);
    return;
  }
  const T* w = word + static_cast<int64_t>(id) * hidden;
  const T* p = position + static_cast<int64_t>(positions[row]) * hidden;
  const T* t = type ? type + static_cast<int64_t>(type_ids[row]) * hidden : nullptr;
  const auto load = [&](int64_t i) { return to_float(w[i]) + to_float(p[i]) + (t ? to_float(t[i]) : 0.0f); };
  normalize_row(load, hidden, gamma, beta, eps, dst);
}

template <typename T>
__global__ void bias_residual_layer_norm_kernel(const T* y, const T* bias, const T* residual, const float* gamma,
                                                const float* beta, float eps, int64_t hidden, T* out) {
  const int64_t offset = static_cast<int64_t>(blockIdx.x) * hidden;
  const T* yr = y + offset;
  const T* rr = residual + offset;
  const auto load = [&](int64_t i) { return to_float(yr[i]) + to_float(bias[i]) + to_float(rr[i]); };
  normalize_row(load, hidden, gamma, beta, eps, out + offset);
}

}  // namespace

void launch_embed_layer_norm(Precision dtype, const int32_t* ids, const int32_t* positions, const int32_t* type_ids,
                             int64_t rows, int64_t hidden, const void* word_table, const void* position_table,
                             const void* type_table, const float* gamma, const float* beta, float eps, void* out,
                             cudaStream_t stream) {
  if (rows == 0) return;
  PF_DISPATCH_DTYPE(dtype, T,
                    embed_layer_norm_kernel<T><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
                        ids, positions, type_ids, hidden, static_cast<const T*>(word_table),
                        static_cast<const T*>(position_table), static_cast<const T*>(type_table), gamma, beta, eps,
                        static_cast<T*>(out)));
  PF_CUDA_CHECK_LAUNCH("embed_layer_norm");
}

void launch_bias_residual_layer_norm(Precision dtype, const void* y, const void* bias, const void* residual,
                                     const float* gamma, const float* beta, float eps, int64_t rows, int64_t hidden,
                                     void* out, cudaStream_t stream) {
  if (rows == 0) return;
  PF_DISPATCH_DTYPE(dtype, T,
                    bias_residual_layer_norm_kernel<T><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
                        static_cast<const T*>(y), static_cast<const T*>(bias), static_cast<const T*>(residual), gamma,
                        beta, eps, hidden, static_cast<T*>(out)));
  PF_CUDA_CHECK_LAUNCH("bias_residual_layer_norm");
}

}  // namespace packformer::cuda
