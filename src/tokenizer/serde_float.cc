#include "tokenizer/serde_float.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace packformer::tokenizer {
namespace {

// 10^i as the correctly rounded f64, i = 0..308 (serde_json's POW10 table).
double pow10(int i) {
  static const auto table = [] {
    static double t[309];
    for (int k = 0; k <= 308; ++k) {
      char text[8];
      auto [end, ec] = std::to_chars(text, text + sizeof text - 1, k);
      (void)ec;
      std::string literal = "1e" + std::string(text, end);
      t[k] = std::strtod(literal.c_str(), nullptr);  // correctly rounded, like a Rust literal
    }
    return t;
  }();
  return table[i];
}

double from_parts(bool positive, uint64_t significand, int exponent) {
  double f = static_cast<double>(significand);
  for (;;) {
    const int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude <= 308) {
      if (exponent >= 0) f *= pow10(magnitude);
      else f /= pow10(magnitude);
      break;
    }
    if (f == 0.0 || exponent >= 0) break;  // serde fails on overflow; the value was finite here
    f /= 1e308;
    exponent += 308;
  }
  return positive ? f : -f;
}

}  // namespace

double serde_json_f64(double value) {
  if (!std::isfinite(value)) return value;
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return value;
  const std::string_view text(buffer, static_cast<size_t>(end - buffer));
  size_t i = 0;
  const bool positive = !(i < text.size() && text[i] == '-');
  if (!positive) ++i;
  uint64_t significand = 0;
  int exponent = 0;
  bool overflow = false;
  auto take = [&](char c, bool fraction) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (overflow || significand > (UINT64_MAX - digit) / 10) {
      overflow = true;  // serde drops further fraction digits (integers that long do not occur)
      if (!fraction) ++exponent;
      return;
    }
    significand = significand * 10 + digit;
    if (fraction) --exponent;
  };
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) take(text[i], false);
  if (i < text.size() && text[i] == '.')
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) take(text[i], true);
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const bool negative = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    int e = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) e = e * 10 + (text[i] - '0');
    exponent += negative ? -e : e;
  }
  return from_parts(positive, significand, exponent);
}

}  // namespace packformer::tokenizer
