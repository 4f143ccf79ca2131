// libFuzzer target: the safetensors parser. See fuzz_targets.h; run with scripts/fuzz.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  packformer::fuzz::safetensors_input(data, size);
  return 0;
}
