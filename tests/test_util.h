// Helpers shared by the tests: paths of the committed test data, golden tensors, temporary
// folders and comparisons.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "loader/safetensors.h"
#include "packformer/encoder.h"
#include "packformer/error.h"

namespace packformer::test {

inline std::filesystem::path data_dir() { return PACKFORMER_TEST_DATA; }
inline std::filesystem::path tiny_model(const std::string& name) { return data_dir() / "models" / name; }
inline std::filesystem::path minilm_dir() { return std::filesystem::path(PACKFORMER_MODEL_CACHE) / "all-MiniLM-L6-v2"; }

// Reference outputs written by scripts/make_golden.py.
class Golden {
 public:
  explicit Golden(const std::string& name) : file_(data_dir() / "golden" / (name + ".safetensors")) {}
  bool has(const std::string& name) const { return file_.find(name) != nullptr; }
  std::vector<float> floats(const std::string& name) const { return file_.to_f32(info(name)); }
  std::vector<int64_t> ints(const std::string& name) const { return file_.to_i64(info(name)); }
  std::vector<int64_t> shape(const std::string& name) const { return info(name).shape; }

  // The padded id batch, turned back into sequences of their real lengths; no type ids when
  // the golden has none (DistilBERT).
  EncoderInput input() const {
    const bool typed = has("token_type_ids");
    const auto ids = ints("input_ids"), mask = ints("attention_mask");
    const auto types = typed ? ints("token_type_ids") : std::vector<int64_t>{};
    const int64_t batch = shape("input_ids")[0], len = shape("input_ids")[1];
    EncoderInput input;
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<int32_t> seq, seq_types;
      for (int64_t t = 0; t < len && mask[b * len + t] == 1; ++t) {
        seq.push_back(static_cast<int32_t>(ids[b * len + t]));
        if (typed) seq_types.push_back(static_cast<int32_t>(types[b * len + t]));
      }
      input.ids.push_back(seq);
      if (typed) input.type_ids.push_back(seq_types);
    }
    return input;
  }

 private:
  const TensorInfo& info(const std::string& name) const {
    const TensorInfo* info = file_.find(name);
    if (info == nullptr) throw std::runtime_error("golden tensor missing: " + name);
    return *info;
  }
  SafetensorsFile file_;
};

// The larger / smaller of two, where a NaN on either side wins and then stays: a NaN output
// (the likeliest failure of a broken kernel) must reach the final bound, which it fails.
// std::max and std::min drop a NaN second argument, and `value <= worst ? worst : value` alone
// drops a NaN `worst` at the next call. Fold every comparison of a test through these.
template <typename T>
T max_or_nan(T worst, T value) { return std::isnan(worst) || value <= worst ? worst : value; }
template <typename T>
T min_or_nan(T lowest, T value) { return std::isnan(lowest) || value >= lowest ? lowest : value; }

inline float max_abs_diff(const float* a, const float* b, size_t n) {
  float worst = 0.0f;
  for (size_t i = 0; i < n; ++i) worst = max_or_nan(worst, std::fabs(a[i] - b[i]));
  return worst;
}

inline double cosine(const float* a, const float* b, size_t n) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return dot / std::sqrt(na * nb);
}

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("packformer-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The packformer::Error `fn` throws (failing the test if it throws none), for inspection.
template <typename Fn>
Error thrown_error(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::Internal, "");
}

// Runs f, which must throw a packformer::Error of `kind` whose message holds every piece.
inline void expect_error(const std::function<void()>& f, ErrorKind kind, const std::vector<std::string>& pieces) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    for (const auto& piece : pieces) EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
  }
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace packformer::test
