// The kernel-variant choice (backends/cpu/isa.h, kernel_table.h): PACKFORMER_ISA values, the
// errors for unknown values and for variants this CPU lacks, and each table's contents.
#include <gtest/gtest.h>

#include <string>

#include "backends/cpu/isa.h"
#include "backends/cpu/kernel_table.h"
#include "packformer/error.h"
#include "test_util.h"

namespace packformer {
namespace {

const auto& kAll = kAllIsas;


TEST(Isa, UnknownValueIsAnErrorNamingTheVariableAndTheAcceptedValues) {
  for (const char* value : {"bogus", "AVX2", "avx512f", " generic"}) {
    const Error e = test::thrown_error([&] { choose_isa(value); });
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << value;
    const std::string message = e.what();
    EXPECT_NE(message.find(std::string("PACKFORMER_ISA=") + value), std::string::npos) << message;
    EXPECT_NE(message.find("generic, avx2, avx512"), std::string::npos) << message;
  }
}

TEST(Isa, EachVariantIsChosenWhenForcedOrRefusedNamingTheMissingFlag) {
  for (const Isa isa : kAll) {
    if (const char* missing = isa_missing_flag(isa)) {
      const Error e = test::thrown_error([&] { choose_isa(isa_name(isa)); });
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
      EXPECT_EQ(test::thrown_error([&] { kernel_table(isa); }).kind(), ErrorKind::Unsupported);
    } else {
      EXPECT_EQ(choose_isa(isa_name(isa)), isa);
      EXPECT_EQ(kernel_table(isa).isa, isa);
    }
  }
}

TEST(Isa, UnsetMeansTheBestVariantThisCpuRuns) {
  Isa best = Isa::Generic;  // variants are ordered: each runs where the next does
  for (const Isa isa : kAll)
    if (isa_supported(isa)) best = isa;
  EXPECT_EQ(choose_isa(nullptr), best);
  EXPECT_EQ(choose_isa(""), best);
}

// Register tiles and packing widths as documented in kernels/gemm_kernel.h and
// gemm_lowp_kernel.h: AVX-512 packs panels twice as wide as AVX2.
TEST(KernelTable, TilesAndPanelWidths) {
  for (const Isa isa : kAll) {
    if (const char* missing = isa_missing_flag(isa)) {
      std::cout << "[ INFO ] " << isa_name(isa) << " table not checked: this CPU lacks " << missing << "\n";
      continue;
    }
    const KernelTable& table = kernel_table(isa);
    const bool avx512 = isa >= Isa::Avx512;
    for (const int64_t nr : {table.gemm.nr, table.gemm_bf16.nr, table.gemm_int8.nr}) EXPECT_EQ(nr, avx512 ? 32 : 16) << isa_name(isa);
    for (const int64_t mr : {table.gemm.mr, table.gemm_bf16.mr, table.gemm_int8.mr}) EXPECT_EQ(mr, avx512 ? 8 : 6) << isa_name(isa);
    // The instructions named by the variant run its low-precision GEMMs; the others widen.
    EXPECT_EQ(table.gemm_bf16.a_format, isa == Isa::Avx512Bf16 ? Bf16AFormat::Pairs : Bf16AFormat::Floats) << isa_name(isa);
    EXPECT_EQ(table.gemm_int8.layout, isa >= Isa::Avx512Vnni ? Int8Layout::U8S8Quads : Int8Layout::S16Pairs) << isa_name(isa);
  }
}

}  // namespace
}  // namespace packformer
