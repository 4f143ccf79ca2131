// Scores of a sequence classifier's logits, shared by /predict and /rerank: softmax over the
// labels, sigmoid for a single label (TEI's rule), or the logits themselves with raw_scores.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "json_lines.h"

namespace packformer::serve {

inline std::vector<float> classifier_scores(const std::vector<float>& logits, bool raw) {
  std::vector<float> s(logits.begin(), logits.end());
  if (raw || s.empty()) return s;
  if (s.size() == 1) {
    s[0] = 1.0f / (1.0f + std::exp(-s[0]));
    return s;
  }
  const float top = *std::max_element(s.begin(), s.end());
  double sum = 0;
  for (float& v : s) sum += (v = std::exp(v - top));
  for (float& v : s) v = static_cast<float>(v / sum);
  return s;
}

// One float as JSON, written as the CLI writes its floats (shortest form that reads back exactly).
inline std::string json_float(float value) {
  std::string number;
  cli::append_float_array(number, &value, 1);
  return number.substr(1, number.size() - 2);  // the value without its brackets
}

}  // namespace packformer::serve
