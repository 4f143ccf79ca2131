// The hand-written CUDA kernels, as host functions that launch them on a stream. Activations
// are in the encoder's dtype (fp32, fp16 or bf16); every kernel computes in fp32 (LayerNorm
// statistics, softmax, activation) and rounds once when it stores. Each launcher checks the
// launch and throws packformer::Error on failure.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "ops/activation.h"
#include "packformer/device.h"

namespace packformer::cuda {

// out[r] = LayerNorm(word[ids[r]] + position[positions[r]] + type[type_ids[r]]) for each row;
// rows whose id is -1 (padding rows of a padded batch) are written as zeros. `type_table` may
// be null (a model without token types). gamma and beta are fp32.
void launch_embed_layer_norm(Precision dtype, const int32_t* ids, const int32_t* positions, const int32_t* type_ids,
                             int64_t rows, int64_t hidden, const void* word_table, const void* position_table,
                             const void* type_table, const float* gamma, const float* beta, float eps, void* out,
                             cudaStream_t stream);

// out = LayerNorm(y + bias + residual), row by row; out may alias residual.
void launch_bias_residual_layer_norm(Precision dtype, const void* y, const void* bias, const void* residual,
                                     const float* gamma, const float* beta, float eps, int64_t rows, int64_t hidden,
                                     void* out, cudaStream_t stream);

// y = activation(y + bias) in place (bias may be null: activation only).
void launch_bias_activation(Precision dtype, void* y, const void* bias, int64_t rows, int64_t cols, Activation activation,
                            cudaStream_t stream);

// Multi-head self-attention over sequences laid out as rows of qkv = [q | k | v] (each
// heads * head_dim wide). Sequence b starts at row row_start[b]; its first query_rows[b] rows
// get an output (padded batches: all of them) and attend to its first key_rows[b] rows (the
// real tokens). Key tiles are folded in with an online softmax: no [T, T] matrix exists.
struct AttentionLaunch {
  const void* qkv = nullptr;
  int64_t qkv_stride = 0;  // elements between rows of qkv
  void* out = nullptr;
  int64_t out_stride = 0;
  int heads = 0, head_dim = 0;
  float scale = 1.0f;
  int batch = 0;
  int max_query_rows = 0;  // largest query_rows[b]: sizes the grid
  const int32_t* row_start = nullptr;
  const int32_t* query_rows = nullptr;
  const int32_t* key_rows = nullptr;
  // The device's opt-in shared-memory limit per block (Context::max_shared_bytes_per_block).
  size_t max_shared_bytes = 0;
};
constexpr int kCudaMaxHeadDim = 256;
// Shared memory the CUDA-core attention needs per block for `head_dim` (checked at load).
size_t attention_varlen_shared_bytes(int head_dim);
// fp16 / bf16 with head size 32, 64 or 128 run on the tensor cores (attention_mma.cu), the
// rest on the CUDA cores (attention.cu). PACKFORMER_CUDA_ATTENTION=simt forces the latter, so
// tests can compare the two.
void launch_attention_varlen(Precision dtype, const AttentionLaunch& args, cudaStream_t stream);
// The tensor-core kernel; returns false (launching nothing) where it does not apply: fp32,
// other head sizes, or a device with too little shared memory per block (sm_86/89 at 128).
bool launch_attention_varlen_mma(Precision dtype, const AttentionLaunch& args, cudaStream_t stream);

// out[i] = float(x[source_rows[i]]) for i < rows: gathers the real rows, packed, in fp32.
void launch_gather_rows_to_float(Precision dtype, const void* x, int64_t hidden, const int32_t* source_rows, int64_t rows,
                                 float* out, cudaStream_t stream);

}  // namespace packformer::cuda
