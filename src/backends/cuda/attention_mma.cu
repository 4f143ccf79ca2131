// Variable-length attention on the tensor cores (fp16 / bf16, head sizes 32, 64, 128): the
// same tiling and online softmax as attention.cu, with Q K^T and P V as 16x16x16 wmma
// products accumulated in fp32. A block of 4 warps owns 64 queries of one (sequence, head),
// 16 per warp; each 64-key tile of K and V is staged once in shared memory for all four.
// Scores are scaled and exponentiated in fp32; P is rounded to the storage type for P V, as
// FlashAttention does. The running output lives in shared memory (fp32) so that each row can
// be rescaled when its running max moves.
#include <mma.h>

#include "backends/cuda/check.h"
#include "backends/cuda/device_math.cuh"
#include "backends/cuda/kernels.h"

namespace packformer::cuda {
namespace {

using namespace nvcuda;

constexpr int kWarps = 4, kBlockQ = 64, kBlockK = 64, kThreads = kWarps * 32;
// Row pitches, padded against bank conflicts while keeping wmma's 32-byte alignment.
constexpr int kScorePitch = kBlockK + 4, kProbPitch = kBlockK + 8;

template <int D>
struct Pitches {
  static constexpr int kT = D + 8;  // Q, K, V (storage type)
  static constexpr int kO = D + 4;  // running output (fp32)
};

template <int D>
size_t shared_bytes() {
  return 3 * kBlockQ * Pitches<D>::kT * 2 + kBlockQ * kScorePitch * 4 + kBlockQ * kProbPitch * 2 +
         kBlockQ * Pitches<D>::kO * 4 + 3 * kBlockQ * 4;
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads) attention_mma_kernel(AttentionLaunch a, int tiles_per_sequence) {
  extern __shared__ __align__(128) unsigned char shared[];
  constexpr int PT = Pitches<D>::kT, PO = Pitches<D>::kO;
  const int hidden = a.heads * D;
  const int b = blockIdx.x / tiles_per_sequence, q0 = (blockIdx.x % tiles_per_sequence) * kBlockQ, head = blockIdx.y;
  const int query_count = min(kBlockQ, a.query_rows[b] - q0);
  if (query_count <= 0) return;
  const int keys = a.key_rows[b];
  const int64_t base = a.row_start[b];
  const T* qkv = static_cast<const T*>(a.qkv);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;

  T* q = reinterpret_cast<T*>(shared);
  T* k = q + kBlockQ * PT;
  T* v = k + kBlockK * PT;
  float* s = reinterpret_cast<float*>(v + kBlockK * PT);
  T* p = reinterpret_cast<T*>(s + kBlockQ * kScorePitch);
  float* o = reinterpret_cast<float*>(p + kBlockQ * kProbPitch);
  float* row_max = o + kBlockQ * PO;
  float* row_sum = row_max + kBlockQ;
  float* rescale = row_sum + kBlockQ;

  for (int e = threadIdx.x; e < kBlockQ * D; e += kThreads) {
    const int r = e / D, j = e % D;
    q[r * PT + j] = r < query_count ? qkv[(base + q0 + r) * a.qkv_stride + head * D + j] : from_float<T>(0.0f);
    o[r * PO + j] = 0.0f;
  }
  if (threadIdx.x < kBlockQ) {
    row_max[threadIdx.x] = -INFINITY;
    row_sum[threadIdx.x] = 0.0f;
  }

  const int r0 = warp * 16;  // this warp's 16 query rows
  for (int k0 = 0; k0 < keys; k0 += kBlockK) {
    const int key_count = min(kBlockK, keys - k0);
    __syncthreads();  // every warp is done with the previous K, V tile
    for (int e = threadIdx.x; e < kBlockK * D; e += kThreads) {
      const int c = e / D, j = e % D;
      const bool real = c < key_count;
      const int64_t row = (base + k0 + c) * a.qkv_stride + head * D + j;
      k[c * PT + j] = real ? qkv[row + hidden] : from_float<T>(0.0f);
      v[c * PT + j] = real ? qkv[row + 2 * hidden] : from_float<T>(0.0f);
    }
    __syncthreads();

    // S[16 x 64] = Q[16 x D] K^T for this warp's rows.
    for (int n = 0; n < kBlockK / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.0f);
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> qa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> kb;  // K^T: element (j, c) at k[c * PT + j]
        wmma::load_matrix_sync(qa, q + r0 * PT + kk * 16, PT);
        wmma::load_matrix_sync(kb, k + n * 16 * PT + kk * 16, PT);
        wmma::mma_sync(acc, qa, kb, acc);
      }
      wmma::store_matrix_sync(s + r0 * kScorePitch + n * 16, acc, kScorePitch, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax: two lanes per row, 32 columns each.
    {
      const int r = r0 + lane / 2, c0 = (lane % 2) * 32;
      const float* sr = s + r * kScorePitch;
      float tile_max = -INFINITY;
      for (int c = c0; c < c0 + 32; ++c)
        if (c < key_count) tile_max = fmaxf(tile_max, sr[c] * a.scale);
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
      const float new_max = fmaxf(row_max[r], tile_max);  // finite: key 0 of every tile is real
      float sum = 0.0f;
      T* pr = p + r * kProbPitch;
      for (int c = c0; c < c0 + 32; ++c) {
        const float e = c < key_count ? expf(sr[c] * a.scale - new_max) : 0.0f;
        pr[c] = from_float<T>(e);
        sum += e;
      }
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      __syncwarp();  // both lanes of the row have read row_max before it moves
      if (lane % 2 == 0) {
        const float factor = expf(row_max[r] - new_max);
        row_sum[r] = row_sum[r] * factor + sum;
        row_max[r] = new_max;
        rescale[r] = factor;
      }
    }
    __syncwarp();
    for (int e = lane; e < 16 * D; e += 32) o[(r0 + e / D) * PO + e % D] *= rescale[r0 + e / D];
    __syncwarp();

    // O[16 x D] += P[16 x 64] V[64 x D].
#pragma unroll
    for (int n = 0; n < D / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::load_matrix_sync(acc, o + r0 * PO + n * 16, PO, wmma::mem_row_major);
#pragma unroll
      for (int kk = 0; kk < kBlockK / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> pa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> vb;
        wmma::load_matrix_sync(pa, p + r0 * kProbPitch + kk * 16, kProbPitch);
        wmma::load_matrix_sync(vb, v + kk * 16 * PT + n * 16, PT);
        wmma::mma_sync(acc, pa, vb, acc);
      }
      wmma::store_matrix_sync(o + r0 * PO + n * 16, acc, PO, wmma::mem_row_major);
    }
    __syncwarp();
  }
  __syncthreads();
  T* out = static_cast<T*>(a.out);
  for (int e = threadIdx.x; e < query_count * D; e += kThreads) {
    const int r = e / D, j = e % D;
    out[(base + q0 + r) * a.out_stride + head * D + j] = from_float<T>(o[r * PO + j] / row_sum[r]);
  }
}

template <typename T, int D>
bool launch(const AttentionLaunch& a, cudaStream_t stream) {
  const size_t bytes = shared_bytes<D>();
  if (bytes > a.max_shared_bytes) return false;  // the CUDA-core kernel takes it
  // The device's whole limit, as in attention.cu: the same value for every caller.
  PF_CUDA_CHECK(cudaFuncSetAttribute(attention_mma_kernel<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     static_cast<int>(a.max_shared_bytes)));
  const int tiles = (a.max_query_rows + kBlockQ - 1) / kBlockQ;
  const dim3 grid(static_cast<unsigned>(a.batch * tiles), static_cast<unsigned>(a.heads));
  attention_mma_kernel<T, D><<<grid, kThreads, bytes, stream>>>(a, tiles);
  return true;
}

template <typename T>
bool launch_for_head_dim(const AttentionLaunch& a, cudaStream_t stream) {
  switch (a.head_dim) {
    case 32: return launch<T, 32>(a, stream);
    case 64: return launch<T, 64>(a, stream);
    case 128: return launch<T, 128>(a, stream);
    default: return false;
  }
}

}  // namespace

bool launch_attention_varlen_mma(Precision dtype, const AttentionLaunch& args, cudaStream_t stream) {
  bool launched = false;
  if (dtype == Precision::F16) launched = launch_for_head_dim<__half>(args, stream);
  else if (dtype == Precision::BF16) launched = launch_for_head_dim<__nv_bfloat16>(args, stream);
  if (launched) PF_CUDA_CHECK_LAUNCH("attention_varlen_mma");
  return launched;
}

}  // namespace packformer::cuda
