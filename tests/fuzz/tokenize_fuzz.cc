// libFuzzer target: arbitrary bytes through a tokenizer of each model kind. See fuzz_targets.h;
// run with scripts/fuzz.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  packformer::fuzz::tokenize_input(data, size, std::filesystem::path(PACKFORMER_TEST_DATA) / "tokenizer");
  return 0;
}
