// WeightStore::tensor: F32 weights are views into the mapped file (held once, never copied),
// other dtypes and misaligned tensors are converted; views stay valid after their pages are
// released and after the store is gone.
#include <unistd.h>

#include "loader/safetensors_test_files.h"
#include "loader/weight_store.h"

namespace packformer::test {
namespace {

// The header padded with spaces so the data section starts 8-byte aligned, as the reference
// writer does.
std::string aligned_header(std::string header) {
  while ((8 + header.size()) % 8 != 0) header += ' ';
  return header;
}

// 3 pages of floats, so release_pages has whole pages to drop.
std::vector<float> ramp(size_t count) {
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) values[i] = 0.5f * static_cast<float>(i) - 7.0f;
  return values;
}

TEST(WeightViews, F32IsAViewThatSurvivesReleaseAndTheStore) {
  TempDir dir;
  const size_t count = 3 * static_cast<size_t>(::sysconf(_SC_PAGESIZE)) / sizeof(float);
  const std::vector<float> expected = ramp(count);
  write_safetensors(dir.path() / "model.safetensors",
                    aligned_header(R"({"w": {"dtype": "F32", "shape": [)" + std::to_string(count) +
                                   R"(], "data_offsets": [0, )" + std::to_string(count * 4) + "]}}"),
                    le_bytes(expected));
  FloatTensor tensor;
  {
    const WeightStore store(dir.path());
    tensor = store.tensor("w", {static_cast<int64_t>(count)});
    // A view: every call points at the same bytes (a conversion would allocate each time).
    EXPECT_EQ(store.tensor("w", {static_cast<int64_t>(count)}).data(), tensor.data());
  }
  ASSERT_EQ(tensor.size(), count);
  EXPECT_EQ(std::vector<float>(tensor.begin(), tensor.end()), expected);
  tensor.release_pages();  // the pages are read from the file again
  EXPECT_EQ(std::vector<float>(tensor.begin(), tensor.end()), expected);
}

TEST(WeightViews, HalfPrecisionAndMisalignedAreConverted) {
  TempDir dir;
  // F16 1.0, -2.0, 0.5, then an F32 at byte offset 6: misaligned (the data section is aligned).
  std::string data = le_bytes(std::vector<uint16_t>{0x3C00, 0xC000, 0x3800});
  data += le_bytes(std::vector<float>{1.25f});
  write_safetensors(dir.path() / "model.safetensors",
                    aligned_header(R"({"h": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},)"
                                   R"( "f": {"dtype": "F32", "shape": [1], "data_offsets": [6, 10]}})"),
                    data);
  const WeightStore store(dir.path());
  const FloatTensor half = store.tensor("h", {3});
  EXPECT_EQ(std::vector<float>(half.begin(), half.end()), (std::vector<float>{1.0f, -2.0f, 0.5f}));
  EXPECT_NE(store.tensor("h", {3}).data(), half.data()) << "converted, not a view";
  const FloatTensor misaligned = store.tensor("f", {1});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(misaligned.data()) % alignof(float), 0u);
  EXPECT_EQ(misaligned[0], 1.25f);
}

}  // namespace
}  // namespace packformer::test
