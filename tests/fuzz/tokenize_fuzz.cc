// libFuzzer target: arbitrary bytes through a tokenizer of each model kind. See fuzz_targets.h;
// run with scripts/fuzz.
#include "fuzz_targets.h"

namespace {
const std::filesystem::path kTokenizerData = std::filesystem::path(PACKFORMER_TEST_DATA) / "tokenizer";
}

// Loads the tokenizers before fuzzing starts: loading them all takes seconds under ASan, which
// would otherwise be charged to the first input and trip libFuzzer's -timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  packformer::fuzz::all_tokenizers(kTokenizerData);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  packformer::fuzz::tokenize_input(data, size, kTokenizerData);
  return 0;
}
