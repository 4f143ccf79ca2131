// The kernel-variant choice (backends/cpu/isa.h, kernel_table.h): PACKFORMER_ISA values, the
// errors for unknown values and for variants this CPU lacks, and each table's contents.
#include <gtest/gtest.h>

#include <string>

#include "backends/cpu/isa.h"
#include "backends/cpu/kernel_table.h"
#include "packformer/error.h"

namespace packformer {
namespace {

constexpr Isa kAll[] = {Isa::Generic, Isa::Avx2, Isa::Avx512};

// The Error `fn` throws (failing the test if it throws none).
template <typename Fn>
Error error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::Internal, "");
}

TEST(Isa, UnknownValueIsAnErrorNamingTheVariableAndTheAcceptedValues) {
  for (const char* value : {"bogus", "AVX2", "avx512f", " generic"}) {
    const Error e = error_of([&] { choose_isa(value); });
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << value;
    const std::string message = e.what();
    EXPECT_NE(message.find(std::string("PACKFORMER_ISA=") + value), std::string::npos) << message;
    EXPECT_NE(message.find("generic, avx2, avx512"), std::string::npos) << message;
  }
}

TEST(Isa, EachVariantIsChosenWhenForcedOrRefusedNamingTheMissingFlag) {
  for (const Isa isa : kAll) {
    if (const char* missing = isa_missing_flag(isa)) {
      const Error e = error_of([&] { choose_isa(isa_name(isa)); });
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
      EXPECT_EQ(error_of([&] { kernel_table(isa); }).kind(), ErrorKind::Unsupported);
    } else {
      EXPECT_EQ(choose_isa(isa_name(isa)), isa);
      EXPECT_EQ(kernel_table(isa).isa, isa);
    }
  }
}

TEST(Isa, UnsetMeansTheBestVariantThisCpuRuns) {
  const Isa best = isa_supported(Isa::Avx512) ? Isa::Avx512 : isa_supported(Isa::Avx2) ? Isa::Avx2 : Isa::Generic;
  EXPECT_EQ(choose_isa(nullptr), best);
  EXPECT_EQ(choose_isa(""), best);
}

// Register tiles and packing widths as documented in kernels/gemm_kernel.h: AVX-512 packs
// panels twice as wide as AVX2.
TEST(KernelTable, TilesAndPanelWidths) {
  for (const Isa isa : kAll) {
    if (const char* missing = isa_missing_flag(isa)) {
      std::cout << "[ INFO ] " << isa_name(isa) << " table not checked: this CPU lacks " << missing << "\n";
      continue;
    }
    const GemmKernel& g = kernel_table(isa).gemm;
    EXPECT_EQ(g.nr, isa == Isa::Avx512 ? 32 : 16) << isa_name(isa);
    EXPECT_EQ(g.mr, isa == Isa::Avx512 ? 8 : 6) << isa_name(isa);
  }
}

}  // namespace
}  // namespace packformer
