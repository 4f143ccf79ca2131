// Device-side helpers shared by the kernels: fp32 <-> storage-type conversions, a block-wide
// sum, and the dispatch from a runtime Precision to the storage type.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "packformer/device.h"
#include "packformer/error.h"

namespace packformer::cuda {

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ float from_float<float>(float x) { return x; }
template <>
__device__ __forceinline__ __half from_float<__half>(float x) { return __float2half_rn(x); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// Sum of `value` over the block (blockDim.x a multiple of 32, at most 1024); every thread
// gets the total. Ends with a barrier, so it can be called again right away.
__device__ __forceinline__ float block_sum(float value) {
  __shared__ float partial[32];
  __shared__ float total;
  for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) partial[warp] = value;
  __syncthreads();
  if (warp == 0) {
    float sum = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : 0.0f;
    for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
    if (lane == 0) total = sum;
  }
  __syncthreads();
  const float result = total;
  __syncthreads();
  return result;
}

}  // namespace packformer::cuda

// Runs BODY with T bound to the storage type of `dtype`.
#define PF_DISPATCH_DTYPE(dtype, T, ...)               \
  switch (dtype) {                                     \
    case ::packformer::Precision::F32: {                   \
      using T = float;                                 \
      __VA_ARGS__;                                     \
      break;                                           \
    }                                                  \
    case ::packformer::Precision::F16: {                   \
      using T = __half;                                \
      __VA_ARGS__;                                     \
      break;                                           \
    }                                                  \
    case ::packformer::Precision::BF16: {                  \
      using T = __nv_bfloat16;                         \
      __VA_ARGS__;                                     \
      break;                                           \
    }                                                  \
    case ::packformer::Precision::Int8:                \
      ::packformer::fail(::packformer::ErrorKind::Internal, "CUDA kernels have no int8 path"); \
  }
