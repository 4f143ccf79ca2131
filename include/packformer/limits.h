// Upper bounds on the options that size a resource (threads, beams, returned sequences, new
// tokens). The library refuses a value outside them with an InvalidInput error before creating
// anything; the CLI checks its options against the same numbers (docs/ERRORS.md, "Option
// bounds").
#pragma once

#include <cstdint>

namespace packformer {

// Threads of EncoderOptions / GeneratorLoadOptions (0 = all cores). A fixed cap, not a multiple
// of this machine's cores, so that one command line is valid on every machine. The largest
// servers have 768 hardware threads (2 x 192 cores x 2); more threads than that only slow the
// kernels down. Far above it, OpenMP itself fails: libgomp keeps per-thread start data on the
// stack (100000 threads overflowed it: a segmentation fault) and thread creation hits the
// process limits (40000: "libgomp: Thread creation failed", exit 1 from inside the runtime).
inline constexpr int kMaxThreads = 1024;

// GenerationOptions::max_new_tokens. No model can generate more tokens than it has positions,
// and every config loader refuses more than 65536 positions; this bound keeps arithmetic on the
// value (prompt + new tokens, rows x capacity) far from overflow before the model's own
// positions are checked.
inline constexpr int64_t kMaxNewTokens = 65536;

// GenerationOptions::num_beams. Each beam is a row of the KV cache and of the logits, and beam
// search ranks num_beams x 2 candidates a step; published uses stay under 100 beams. 1024
// leaves room and keeps the counts' products small.
inline constexpr int64_t kMaxBeams = 1024;

// GenerationOptions::num_return_sequences: at most num_beams with beam search; when sampling,
// independent samples of one prompt, each a row of the KV cache and of the logits. Drawing
// many is a real use (tests/generation/sampling_test.cc draws 10,000 to check frequencies).
inline constexpr int64_t kMaxReturnSequences = 16384;

}  // namespace packformer
