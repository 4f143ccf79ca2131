// One table of kernels per ISA variant (generic, AVX2+FMA, AVX-512 and its VNNI and BF16
// extensions), filled at compile time
// and chosen once at start-up (cpu_isa()), as XNNPACK's gemm-config does: for each op, the
// kernel together with what its callers must agree with, such as the GEMM's register tile
// and the width of the weight panels it reads, so a variant can change its tile and packing
// without the drivers knowing.
#pragma once

#include <cstdint>

#include "backends/cpu/attention.h"
#include "backends/cpu/isa.h"
#include "backends/cpu/kernels/decoder_attention_kernel.h"
#include "backends/cpu/kernels/gemm_kernel.h"
#include "backends/cpu/kernels/gemm_lowp_kernel.h"

namespace packformer {

struct GemmKernel {
  void (*micro)(const MicroTile&);                     // one mr x nr register tile
  void (*activate)(ActivationCode, float*, int64_t);   // in place over a row of outputs
  int64_t mr, nr;  // register tile; nr is also the width of the packed weight panels
};

// bf16 weights x activations rounded to bf16, fp32 accumulation (backends/cpu/gemm_bf16.h).
struct GemmBf16Kernel {
  void (*micro)(const MicroTileBf16&);
  int64_t mr, nr;  // register tile; nr is also the width of the packed weight panels
  Bf16AFormat a_format;
};

// int8 weights x activations quantized per row, int32 accumulation (backends/cpu/gemm_int8.h).
struct GemmInt8Kernel {
  void (*micro)(const MicroTileInt8&);
  int64_t mr, nr;  // register tile; nr is also the width of the packed weight panels
  Int8Layout layout;
};

struct KernelTable {
  Isa isa;
  GemmKernel gemm;
  void (*attention)(const AttentionArgs&);
  void (*cached_attend)(const CachedAttendArgs&);  // one decoder query and head over a KV cache
  GemmBf16Kernel gemm_bf16;
  GemmInt8Kernel gemm_int8;
};

// The table of `isa`. Throws Unsupported, naming the missing CPU flag, when this CPU cannot
// run it.
const KernelTable& kernel_table(Isa isa);

// The table in use: kernel_table(cpu_isa()).
const KernelTable& cpu_kernels();

}  // namespace packformer
