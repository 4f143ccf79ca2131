// Variable-length multi-head attention, FlashAttention-style: one block per (sequence, head,
// tile of 32 queries); key/value tiles of 32 rows are staged in shared memory, scored, and
// folded into the output with an online softmax (running max and sum per query), so no
// [T, T] score matrix is stored and only the sequence's real keys are read. Packed batches
// give no block to padding; padded batches (sparsity off) compute their padding queries too.
//
// This is the portable path for every dtype and head size: storage in T, arithmetic in fp32
// on the CUDA cores. fp16 / bf16 with head size 32, 64 or 128 go to attention_mma.cu.
#include <cstdlib>
#include <cstring>
#include <string>

#include "backends/cuda/check.h"
#include "backends/cuda/device_math.cuh"
#include "backends/cuda/kernels.h"
#include "packformer/error.h"

namespace packformer::cuda {
namespace {

constexpr int kTileQ = 32, kTileK = 32, kThreads = 128;

// Shared memory, in floats: Q, K, V and O tiles (rows padded by one float against bank
// conflicts), the score tile, and three per-query vectors (running max, running sum, rescale).
size_t shared_floats(int head_dim) {
  const size_t row = static_cast<size_t>(head_dim) + 1;
  return (2 * kTileQ + 2 * kTileK) * row + kTileQ * (kTileK + 1) + 3 * kTileQ;
}

template <typename T>
__global__ void __launch_bounds__(kThreads) attention_varlen_kernel(AttentionLaunch a, int tiles_per_sequence) {
  extern __shared__ float shared[];
  const int d = a.head_dim, ld = d + 1, hidden = a.heads * d;
  const int b = blockIdx.x / tiles_per_sequence, q0 = (blockIdx.x % tiles_per_sequence) * kTileQ, head = blockIdx.y;
  const int query_count = min(kTileQ, a.query_rows[b] - q0);
  if (query_count <= 0) return;  // the whole block leaves together
  const int keys = a.key_rows[b];
  const int64_t base = a.row_start[b];
  const T* qkv = static_cast<const T*>(a.qkv);

  float* q = shared;
  float* k = q + kTileQ * ld;
  float* v = k + kTileK * ld;
  float* o = v + kTileK * ld;
  float* s = o + kTileQ * ld;
  float* row_max = s + kTileQ * (kTileK + 1);
  float* row_sum = row_max + kTileQ;
  float* rescale = row_sum + kTileQ;

  for (int e = threadIdx.x; e < kTileQ * d; e += kThreads) {
    const int r = e / d, j = e % d;
    q[r * ld + j] = r < query_count ? to_float(qkv[(base + q0 + r) * a.qkv_stride + head * d + j]) * a.scale : 0.0f;
    o[r * ld + j] = 0.0f;
  }
  if (threadIdx.x < kTileQ) {
    row_max[threadIdx.x] = -INFINITY;
    row_sum[threadIdx.x] = 0.0f;
  }

  for (int k0 = 0; k0 < keys; k0 += kTileK) {
    const int key_count = min(kTileK, keys - k0);
    __syncthreads();  // the previous tile's K, V and scores are no longer read
    for (int e = threadIdx.x; e < kTileK * d; e += kThreads) {
      const int c = e / d, j = e % d;
      const bool real = c < key_count;
      const int64_t row = (base + k0 + c) * a.qkv_stride + head * d + j;
      k[c * ld + j] = real ? to_float(qkv[row + hidden]) : 0.0f;
      v[c * ld + j] = real ? to_float(qkv[row + 2 * hidden]) : 0.0f;
    }
    __syncthreads();
    for (int e = threadIdx.x; e < kTileQ * kTileK; e += kThreads) {
      const int r = e / kTileK, c = e % kTileK;
      float dot = -INFINITY;
      if (c < key_count) {
        dot = 0.0f;
        for (int j = 0; j < d; ++j) dot += q[r * ld + j] * k[c * ld + j];
      }
      s[r * (kTileK + 1) + c] = dot;
    }
    __syncthreads();
    if (threadIdx.x < kTileQ) {  // online softmax: fold this tile into the running max and sum
      const int r = threadIdx.x;
      float* sr = s + r * (kTileK + 1);
      float tile_max = -INFINITY;
      for (int c = 0; c < key_count; ++c) tile_max = fmaxf(tile_max, sr[c]);
      const float new_max = fmaxf(row_max[r], tile_max);  // finite: every tile has a real key
      const float factor = expf(row_max[r] - new_max);    // 0 on the first tile (-inf - finite)
      float tile_sum = 0.0f;
      for (int c = 0; c < kTileK; ++c) {
        const float p = c < key_count ? expf(sr[c] - new_max) : 0.0f;
        sr[c] = p;
        tile_sum += p;
      }
      row_sum[r] = row_sum[r] * factor + tile_sum;
      row_max[r] = new_max;
      rescale[r] = factor;
    }
    __syncthreads();
    for (int e = threadIdx.x; e < kTileQ * d; e += kThreads) {
      const int r = e / d, j = e % d;
      const float* pr = s + r * (kTileK + 1);
      float acc = o[r * ld + j] * rescale[r];
      for (int c = 0; c < key_count; ++c) acc += pr[c] * v[c * ld + j];
      o[r * ld + j] = acc;
    }
  }
  __syncthreads();
  T* out = static_cast<T*>(a.out);
  for (int e = threadIdx.x; e < query_count * d; e += kThreads) {
    const int r = e / d, j = e % d;
    out[(base + q0 + r) * a.out_stride + head * d + j] = from_float<T>(o[r * ld + j] / row_sum[r]);
  }
}

template <typename T>
void launch(const AttentionLaunch& a, cudaStream_t stream) {
  const size_t bytes = attention_varlen_shared_bytes(a.head_dim);
  if (bytes > a.max_shared_bytes)
    fail(ErrorKind::Unsupported, "CUDA attention with head size " + std::to_string(a.head_dim) + " needs " +
                                     std::to_string(bytes) + " bytes of shared memory per block; this device allows " +
                                     std::to_string(a.max_shared_bytes));
  // Above 48 KiB a kernel must opt in to more dynamic shared memory. The opt-in is the device's
  // whole limit, the same value for every encoder, so threads running different models never
  // lower it under each other's launches.
  PF_CUDA_CHECK(cudaFuncSetAttribute(attention_varlen_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     static_cast<int>(a.max_shared_bytes)));
  const int tiles = (a.max_query_rows + kTileQ - 1) / kTileQ;
  const dim3 grid(static_cast<unsigned>(a.batch * tiles), static_cast<unsigned>(a.heads));
  attention_varlen_kernel<T><<<grid, kThreads, bytes, stream>>>(a, tiles);
}

}  // namespace

size_t attention_varlen_shared_bytes(int head_dim) { return shared_floats(head_dim) * sizeof(float); }

void launch_attention_varlen(Precision dtype, const AttentionLaunch& args, cudaStream_t stream) {
  if (args.head_dim < 1 || args.head_dim > kCudaMaxHeadDim)
    fail(ErrorKind::Unsupported, "CUDA attention supports head sizes 1.." + std::to_string(kCudaMaxHeadDim) + ", not " +
                                     std::to_string(args.head_dim));
  if (args.batch == 0 || args.max_query_rows == 0) return;
  const char* variant = std::getenv("PACKFORMER_CUDA_ATTENTION");  // read per call: tests switch it
  const bool force_simt = variant != nullptr && std::strcmp(variant, "simt") == 0;
  if (!force_simt && launch_attention_varlen_mma(dtype, args, stream)) return;
  PF_DISPATCH_DTYPE(dtype, T, launch<T>(args, stream));
  PF_CUDA_CHECK_LAUNCH("attention_varlen");
}

}  // namespace packformer::cuda
