// libFuzzer target: tokenizer.json loading. See fuzz_targets.h; run with scripts/fuzz.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  packformer::fuzz::tokenizer_json_input(data, size);
  return 0;
}
