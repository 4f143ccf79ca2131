// Tests that check, before they run, that the kernel variant in use is the one the test run
// was registered for. tests/CMakeLists.txt runs some programs again with PACKFORMER_ISA=NAME
// in their environment and --expect-isa=NAME on their command line; a dropped or misspelled
// variable then fails each test instead of silently testing the default variant, and a
// variant this CPU lacks skips it, naming the missing flag. (A per-test SetUp, not a global
// gtest Environment: ctest reports any run that prints "[  SKIPPED ]" as skipped, even one
// whose global set-up failed.)
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "backends/cpu/isa.h"
#include "backends/cpu/kernel_table.h"

namespace packformer::test {

// NAME of --expect-isa=NAME on the command line, or "" when the run forces nothing.
inline std::string expected_isa() {
  const std::string flag = "--expect-isa=";
  for (const std::string& arg : ::testing::internal::GetArgvs())
    if (arg.rfind(flag, 0) == 0) return arg.substr(flag.size());
  return "";
}

// Base of the tests whose programs run with a forced variant.
class ForcedIsaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string expected = expected_isa();
    if (expected.empty()) return;
    for (const Isa isa : kAllIsas) {
      if (expected != isa_name(isa)) continue;
      if (const char* missing = isa_missing_flag(isa)) GTEST_SKIP() << expected << " kernels not run: this CPU lacks " << missing;
      try {
        ASSERT_STREQ(isa_name(cpu_kernels().isa), expected.c_str()) << "the run expects PACKFORMER_ISA=" << expected;
      } catch (const std::exception& e) {  // PACKFORMER_ISA unknown or naming a variant this CPU lacks
        FAIL() << e.what();
      }
      return;
    }
    FAIL() << "--expect-isa=" << expected << " names no kernel variant";
  }
};

}  // namespace packformer::test
