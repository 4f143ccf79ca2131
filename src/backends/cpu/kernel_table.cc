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

constexpr GemmKernel kAvx512Gemm{avx512::gemm_micro_kernel, avx2::gemm_activate, avx512::kGemmMR, avx512::kGemmNR};
constexpr GemmBf16Kernel kAvx512Bf16Widened{avx512::gemm_bf16_micro_kernel, avx512::kLowpMR, avx512::kLowpNR,
                                            Bf16AFormat::Floats};
constexpr GemmInt8Kernel kAvx512Int8Madd{avx512::gemm_int8_micro_kernel, avx512::kLowpMR, avx512::kLowpNR,
                                         Int8Layout::S16Pairs};
constexpr GemmInt8Kernel kAvx512Int8Vnni{avx512vnni::gemm_int8_micro_kernel, avx512vnni::kLowpMR,
                                         avx512vnni::kLowpNR, Int8Layout::U8S8Quads};

constexpr KernelTable kGeneric{
    Isa::Generic,
    {generic::gemm_micro_kernel, activate_scalar, generic::kGemmMR, generic::kGemmNR},
    generic::attention_varlen,
    generic::cached_attend,
    {generic::gemm_bf16_micro_kernel, generic::kLowpMR, generic::kLowpNR, Bf16AFormat::Floats},
    {generic::gemm_int8_micro_kernel, generic::kLowpMR, generic::kLowpNR, Int8Layout::S16Pairs}};
constexpr KernelTable kAvx2{
    Isa::Avx2,
    {avx2::gemm_micro_kernel, avx2::gemm_activate, avx2::kGemmMR, avx2::kGemmNR},
    avx2::attention_varlen,
    avx2::cached_attend,
    {avx2::gemm_bf16_micro_kernel, avx2::kLowpMR, avx2::kLowpNR, Bf16AFormat::Floats},
    {avx2::gemm_int8_micro_kernel, avx2::kLowpMR, avx2::kLowpNR, Int8Layout::S16Pairs}};
// The AVX-512 variants reuse the AVX2 activations (a row pass after the tile, a small part of
// the GEMM's time); every AVX-512 CPU runs AVX2 code. The VNNI and BF16 variants differ from
// plain AVX-512 in the int8 and bf16 GEMMs only.
constexpr KernelTable kAvx512{Isa::Avx512, kAvx512Gemm, avx512::attention_varlen, avx512::cached_attend, kAvx512Bf16Widened,
                              kAvx512Int8Madd};
constexpr KernelTable kAvx512Vnni{Isa::Avx512Vnni, kAvx512Gemm, avx512::attention_varlen, avx512::cached_attend, kAvx512Bf16Widened,
                                  kAvx512Int8Vnni};
constexpr KernelTable kAvx512Bf16{
    Isa::Avx512Bf16, kAvx512Gemm, avx512::attention_varlen, avx512::cached_attend,
    {avx512bf16::gemm_bf16_micro_kernel, avx512bf16::kLowpMR, avx512bf16::kLowpNR, Bf16AFormat::Pairs},
    kAvx512Int8Vnni};

}  // namespace

const KernelTable& kernel_table(Isa isa) {
  if (const char* missing = isa_missing_flag(isa))
    fail(ErrorKind::Unsupported, std::string("the ") + isa_name(isa) + " kernels need the CPU flag " + missing +
                                     ", which this CPU lacks");
  switch (isa) {
    case Isa::Avx2: return kAvx2;
    case Isa::Avx512: return kAvx512;
    case Isa::Avx512Vnni: return kAvx512Vnni;
    case Isa::Avx512Bf16: return kAvx512Bf16;
    case Isa::Generic: break;
  }
  return kGeneric;
}

const KernelTable& cpu_kernels() {
  static const KernelTable& chosen = kernel_table(cpu_isa());
  return chosen;
}

}  // namespace packformer
