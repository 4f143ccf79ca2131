#include "backends/cpu/kernel_table.h"

#include <string>

#include "ops/activation.h"
#include "packformer/error.h"

namespace packformer {

namespace generic {
void attention_varlen(const AttentionArgs& args);
}
namespace avx2 {
void attention_varlen(const AttentionArgs& args);
}
namespace avx512 {
void attention_varlen(const AttentionArgs& args);
}

namespace {

static_assert(static_cast<int>(ActivationCode::Tanh) == static_cast<int>(Activation::Tanh) &&
                  static_cast<int>(ActivationCode::Gelu) == static_cast<int>(Activation::Gelu),
              "ActivationCode mirrors Activation");

void activate_scalar(ActivationCode code, float* data, int64_t n) {
  const auto activation = static_cast<Activation>(code);
  for (int64_t i = 0; i < n; ++i) data[i] = activate(activation, data[i]);
}

constexpr KernelTable kGeneric{
    Isa::Generic, {generic::gemm_micro_kernel, activate_scalar, generic::kGemmMR, generic::kGemmNR},
    generic::attention_varlen};
constexpr KernelTable kAvx2{
    Isa::Avx2, {avx2::gemm_micro_kernel, avx2::gemm_activate, avx2::kGemmMR, avx2::kGemmNR}, avx2::attention_varlen};
// The AVX-512 variant reuses the AVX2 activations (a row pass after the tile, a small part of
// the GEMM's time); every AVX-512 CPU runs AVX2 code.
constexpr KernelTable kAvx512{
    Isa::Avx512, {avx512::gemm_micro_kernel, avx2::gemm_activate, avx512::kGemmMR, avx512::kGemmNR},
    avx512::attention_varlen};

}  // namespace

const KernelTable& kernel_table(Isa isa) {
  if (const char* missing = isa_missing_flag(isa))
    fail(ErrorKind::Unsupported, std::string("the ") + isa_name(isa) + " kernels need the CPU flag " + missing +
                                     ", which this CPU lacks");
  switch (isa) {
    case Isa::Avx2: return kAvx2;
    case Isa::Avx512: return kAvx512;
    case Isa::Generic: break;
  }
  return kGeneric;
}

const KernelTable& cpu_kernels() {
  static const KernelTable& chosen = kernel_table(cpu_isa());
  return chosen;
}

}  // namespace packformer
