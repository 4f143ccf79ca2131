#include "layers/gated_feed_forward.h"

#include <vector>

#include "backends/cpu/kernel_table.h"
#include "packformer/error.h"

namespace packformer {
namespace {

// [a; b] stacked row-wise (weights [out, in] or biases [out]).
std::vector<float> stacked(const FloatTensor& a, const FloatTensor& b) {
  std::vector<float> out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Linear stacked_gate_up(const LinearWeights& gate, const LinearWeights& up, Precision dtype) {
  if (gate.in != up.in || gate.out != up.out || gate.bias.empty() != up.bias.empty())
    fail(ErrorKind::Internal, "GatedFeedForward: gate and up projections differ in shape or bias");
  Linear linear(stacked(gate.weight, up.weight), stacked(gate.bias, up.bias), gate.in, 2 * gate.out, Epilogue::Bias,
                Activation::Gelu, dtype);
  gate.weight.release_pages();  // packed: the mapped copies need not stay resident
  up.weight.release_pages();
  return linear;
}

}  // namespace

GatedFeedForward::GatedFeedForward(const LinearWeights& gate, const LinearWeights& up, const LinearWeights& down,
                                   Activation activation, Precision dtype)
    : gate_up_(stacked_gate_up(gate, up, dtype)),
      down_(down, Epilogue::BiasResidual, Activation::Gelu, dtype),
      activation_(activation),
      inner_(gate.out) {}

std::array<RowBuffer, GatedFeedForward::kBufferCount> GatedFeedForward::buffers(int64_t inner) {
  return {RowBuffer{"ffn_gate_up", 2 * inner}, RowBuffer{"ffn_inner", inner}};
}

void GatedFeedForward::forward(const float* x, int64_t rows, float* const* scratch, float* y,
                               const float* residual) const {
  float* gate_up = scratch[kGateUp];
  float* inner = scratch[kInner];
  gate_up_.forward(x, rows, gate_up);
  const auto activate = cpu_kernels().gemm.activate;
  const auto code = static_cast<ActivationCode>(activation_);
  const auto one_row = [&](int64_t r) {
    float* gate = gate_up + r * 2 * inner_;
    const float* up = gate + inner_;
    activate(code, gate, inner_);  // the ISA variant's vectorized activation, in place
    float* h = inner + r * inner_;
    for (int64_t i = 0; i < inner_; ++i) h[i] = gate[i] * up[i];
  };
  // Plain branch, not an if() clause: a one-thread parallel region allocates in libgomp.
  if (rows * inner_ <= 16384) {
    for (int64_t r = 0; r < rows; ++r) one_row(r);
  } else {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) one_row(r);
  }
  down_.forward(inner, rows, y, residual);
}

}  // namespace packformer
