// One table of kernels per ISA variant (generic, AVX2+FMA, AVX-512), filled at compile time
// and chosen once at start-up (cpu_isa()), as XNNPACK's gemm-config does: for each op, the
// kernel together with what its callers must agree with, such as the GEMM's register tile
// and the width of the weight panels it reads, so a variant can change its tile and packing
// without the drivers knowing.
#pragma once

#include <cstdint>

#include "backends/cpu/attention.h"
#include "backends/cpu/isa.h"
#include "backends/cpu/kernels/gemm_kernel.h"

namespace packformer {

struct GemmKernel {
  void (*micro)(const MicroTile&);                     // one mr x nr register tile
  void (*activate)(ActivationCode, float*, int64_t);   // in place over a row of outputs
  int64_t mr, nr;  // register tile; nr is also the width of the packed weight panels
};

struct KernelTable {
  Isa isa;
  GemmKernel gemm;
  void (*attention)(const AttentionArgs&);
};

// The table of `isa`. Throws Unsupported, naming the missing CPU flag, when this CPU cannot
// run it.
const KernelTable& kernel_table(Isa isa);

// The table in use: kernel_table(cpu_isa()).
const KernelTable& cpu_kernels();

}  // namespace packformer
