// Bounds on the CLI's numeric options, checked at the start of each command (after CLI11 has
// parsed the values, before a model is loaded or anything is allocated). docs/ERRORS.md,
// "Option bounds", lists them with their reasons. Bounds the library also enforces (threads,
// beams, returned sequences, new tokens) come from packformer/limits.h.
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <string>
#include <type_traits>

#include "packformer/error.h"
#include "packformer/limits.h"

namespace packformer::cli {

// Inputs per batch (--batch-size, and B of bench's --batch random:BxT). Throughput stops
// growing long before this (the GEMMs are already large at a few hundred sequences); the cap
// keeps batch x length x hidden products in int64 far from overflow. The memory check
// (--max-memory) still refuses a batch too large for the machine.
inline constexpr int64_t kMaxBatchSize = 65536;

// Tokens per input (--max-length). The same limit a tokenizer.json's truncation.max_length may
// have; 16 times the most positions any supported model may declare (65536), and an input
// line is at most 8 MiB anyway.
inline constexpr int64_t kMaxLength = 1 << 20;

// --max-batch-tokens: a budget, not an allocation (--max-memory still refuses a batch too
// large for the machine). 2^30 tokens of even a 384-wide model would be 1.6 TB of activations;
// the cap keeps sums and products of token counts far from int64 overflow.
inline constexpr int64_t kMaxBatchTokens = int64_t{1} << 30;

// bench's timed and untimed iterations. A median and a p90 need tens of samples; 1000 is 20
// times the most a documented run uses (50), and ends in a second on the tiny models (8 s
// for 10000 under AddressSanitizer was too slow for CI's sanitized pass).
inline constexpr int64_t kMaxIterations = 1000;

// CLI11 2.1 reads an integer beyond 64 bits as the nearest 64-bit value without a word (its
// strtoll / strtoull saturate), and "-1" for an unsigned option as 2^64 - 1. This check refuses
// both, quoting the value as typed; anything that is not an integer is left to CLI11's own
// conversion error.
template <typename T>
CLI::Validator fits_in(const std::string& type) {
  return CLI::Validator(
      [type](std::string& text) -> std::string {
        if (std::is_unsigned_v<T> && !text.empty() && text[0] == '-') return "'" + text + "' is negative";
        T value{};
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error == std::errc::result_out_of_range) return "'" + text + "' does not fit in " + type;
        return "";
      },
      "", "fits in " + type);
}

// Adds fits_in to every integer option of `app` and its subcommands (CLI11 types them INT or
// UINT; the CLI's integer options are all 64-bit wide).
inline void check_integer_widths(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->get_type_name() == "INT") option->check(fits_in<int64_t>("a 64-bit integer"));
    if (option->get_type_name() == "UINT") option->check(fits_in<uint64_t>("an unsigned 64-bit integer"));
  }
  for (CLI::App* command : app.get_subcommands({})) check_integer_widths(*command);
}

// Throws InvalidInput "OPTION must be in [LO, HI] (got VALUE)" unless LO <= VALUE <= HI.
inline void check_range(const std::string& option, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi)
    fail(ErrorKind::InvalidInput, option + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                      "] (got " + std::to_string(value) + ")");
}

// --threads N: 0 = all cores.
inline int checked_threads(int64_t threads) {
  check_range("--threads", threads, 0, kMaxThreads);
  return static_cast<int>(threads);
}

}  // namespace packformer::cli
