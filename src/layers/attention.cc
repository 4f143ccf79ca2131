#include "layers/attention.h"

#include <cmath>
#include <vector>

#include "backends/cpu/attention.h"
#include "packformer/profiler.h"

namespace packformer {
namespace {

// Q, K and V stacked as one [3 * hidden, hidden] matrix, so one GEMM computes them.
std::vector<float> stacked(const FloatTensor& q, const FloatTensor& k, const FloatTensor& v) {
  std::vector<float> out;
  out.reserve(q.size() + k.size() + v.size());
  for (const FloatTensor* t : {&q, &k, &v}) out.insert(out.end(), t->begin(), t->end());
  return out;
}

Linear stacked_qkv(const LinearWeights& q, const LinearWeights& k, const LinearWeights& v, Precision dtype) {
  Linear linear(stacked(q.weight, k.weight, v.weight), stacked(q.bias, k.bias, v.bias), q.in, q.out + k.out + v.out,
                Epilogue::Bias, Activation::Gelu, dtype);
  for (const LinearWeights* w : {&q, &k, &v}) w->weight.release_pages();  // as Linear(LinearWeights) does
  return linear;
}

}  // namespace

SelfAttention::SelfAttention(const LinearWeights& query, const LinearWeights& key, const LinearWeights& value,
                             const LinearWeights& output, int64_t heads, Precision dtype)
    : qkv_(stacked_qkv(query, key, value, dtype)),
      output_(output, Epilogue::BiasResidual, Activation::Gelu, dtype),
      heads_(heads),
      head_dim_(query.out / heads) {}

std::array<RowBuffer, SelfAttention::kBufferCount> SelfAttention::buffers(int64_t hidden) {
  return {RowBuffer{"attention_qkv", 3 * hidden}, RowBuffer{"attention_context", hidden}};
}

void SelfAttention::forward(const float* x, const BatchRows& rows, float* const* scratch, float* y,
                            Profiler* profiler, const PositionBias& bias) const {
  const int64_t hidden = heads_ * head_dim_;
  float* qkv = scratch[kQkv];
  float* context = scratch[kContext];
  {
    ScopedOp op(profiler, "gemm_qkv", qkv_.flops(rows.real_rows));
    qkv_.forward(x, rows.rows, qkv);
  }
  AttentionArgs args;
  args.qkv = qkv;
  args.qkv_stride = 3 * hidden;
  args.out = context;
  args.out_stride = hidden;
  args.heads = heads_;
  args.head_dim = head_dim_;
  args.scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));
  args.batch = rows.batch;
  args.row_start = rows.row_start;
  args.query_rows = rows.query_rows;
  args.key_rows = rows.key_rows;
  args.position_bias = bias.table;
  args.position_bias_stride = bias.stride;
  args.position_bias_center = bias.center;
  double flops = 0.0;
  for (int64_t b = 0; b < rows.batch; ++b) flops += 4.0 * rows.query_rows[b] * rows.key_rows[b] * hidden;
  {
    ScopedOp op(profiler, "attention", flops);
    attention_varlen(args);
  }
  ScopedOp op(profiler, "gemm_out+bias+residual", output_.flops(rows.real_rows));
  output_.forward(context, rows.rows, y, x);
}

}  // namespace packformer
