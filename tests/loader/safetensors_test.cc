// SafetensorsFile: every malformed file is refused with an InvalidModel error that names the
// file and says what is wrong; valid files read back exactly.
#include <gmock/gmock.h>

#include <cmath>
#include <limits>
#include <optional>

#include "loader/safetensors.h"
#include "loader/safetensors_test_files.h"
#include "packformer/error.h"
#include "test_util.h"

namespace packformer::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The error SafetensorsFile(path) throws; a test failure if it throws nothing or something else.
std::optional<Error> open_error(const std::filesystem::path& path) {
  try {
    SafetensorsFile file(path);
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-packformer exception: " << e.what();
    return std::nullopt;
  }
  ADD_FAILURE() << path << " was accepted";
  return std::nullopt;
}

class SafetensorsErrors : public ::testing::Test {
 protected:
  // Writes a file from a header and data, opens it, and returns the error message (kind checked).
  std::string error_for(const std::string& header, const std::string& data) {
    write_safetensors(file_, header, data);
    return error_message();
  }
  std::string error_message() {
    const auto error = open_error(file_);
    if (!error) return "";
    EXPECT_EQ(error->kind(), ErrorKind::InvalidModel) << error->what();
    const std::string message = error->what();
    EXPECT_THAT(message, HasSubstr(file_.string())) << "the message must name the file";
    return message;
  }

  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "model.safetensors";
};

const std::string k16Bytes(16, '\0');

TEST_F(SafetensorsErrors, MissingFile) {
  EXPECT_THAT(error_message(), HasSubstr("cannot open"));
}

TEST_F(SafetensorsErrors, DirectoryInsteadOfFile) {
  std::filesystem::create_directory(file_);
  EXPECT_THAT(error_message(), HasSubstr("not a regular file"));
}

TEST_F(SafetensorsErrors, ShorterThanEightBytes) {
  for (size_t size : {0, 1, 7}) {
    write_file(file_, std::string(size, '\x01'));
    EXPECT_THAT(error_message(), AllOf(HasSubstr("is " + std::to_string(size) + " bytes"), HasSubstr("8-byte")));
  }
}

TEST_F(SafetensorsErrors, HeaderLengthHuge) {
  write_file(file_, safetensors_bytes("{}", "", uint64_t{1} << 63));
  EXPECT_THAT(error_message(), AllOf(HasSubstr("header length 9223372036854775808"), HasSubstr("exceeds the limit")));
  write_file(file_, safetensors_bytes("{}", "", std::numeric_limits<uint64_t>::max()));
  EXPECT_THAT(error_message(), HasSubstr("exceeds the limit"));
}

TEST_F(SafetensorsErrors, HeaderLengthPastTheEnd) {
  // A header length equal to the file size can never fit after the 8 length bytes.
  const std::string header = "{}";
  const uint64_t file_size = 8 + header.size();
  write_file(file_, safetensors_bytes(header, "", file_size));
  EXPECT_THAT(error_message(), AllOf(HasSubstr("header length " + std::to_string(file_size)),
                                     HasSubstr("runs past the end of the file"), HasSubstr("truncated")));
  // One byte too many is also refused.
  write_file(file_, safetensors_bytes(header, "", header.size() + 1));
  EXPECT_THAT(error_message(), HasSubstr("runs past the end of the file"));
}

TEST_F(SafetensorsErrors, HeaderNotJson) {
  EXPECT_THAT(error_for("{\"a\": ", ""), HasSubstr("header is not valid JSON"));
  EXPECT_THAT(error_for("hello!", ""), HasSubstr("header is not valid JSON"));
  EXPECT_THAT(error_for("", ""), HasSubstr("header is not valid JSON"));
  EXPECT_THAT(error_for("{\"\xff\": 1}", ""), HasSubstr("header is not valid JSON"));  // not UTF-8
}

// nlohmann stops at a NUL byte, so without an explicit check "{}\0<anything>" was accepted
// and the bytes after the NUL ignored (the reference implementation refuses such headers).
TEST_F(SafetensorsErrors, HeaderWithNulByte) {
  EXPECT_THAT(error_for(std::string("{}\0\0", 4), ""), HasSubstr("header is not valid JSON: it contains a NUL byte"));
  const std::string valid = R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})";
  EXPECT_THAT(error_for(valid + std::string("\0garbage", 8), k16Bytes), HasSubstr("NUL byte"));
}

TEST_F(SafetensorsErrors, HeaderNotObject) {
  EXPECT_THAT(error_for("[1, 2]", ""), HasSubstr("header must be a JSON object"));
  EXPECT_THAT(error_for("42", ""), HasSubstr("header must be a JSON object"));
  EXPECT_THAT(error_for("\"x\"", ""), HasSubstr("header must be a JSON object"));
}

TEST_F(SafetensorsErrors, TensorEntryNotObject) {
  EXPECT_THAT(error_for(R"({"w": [1]})", ""), AllOf(HasSubstr("tensor 'w'"), HasSubstr("entry must be an object")));
}

TEST_F(SafetensorsErrors, UnknownDtype) {
  for (const char* dtype : {"F8", "Q4", "f32", ""}) {
    const std::string header = std::string(R"({"w": {"dtype": ")") + dtype + R"(", "shape": [4], "data_offsets": [0, 16]}})";
    EXPECT_THAT(error_for(header, k16Bytes),
                AllOf(HasSubstr("tensor 'w'"), HasSubstr("unknown dtype '" + std::string(dtype) + "'")));
  }
  EXPECT_THAT(error_for(R"({"w": {"dtype": 4, "shape": [4], "data_offsets": [0, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("dtype")));
  EXPECT_THAT(error_for(R"({"w": {"shape": [4], "data_offsets": [0, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("missing string field 'dtype'")));
}

TEST_F(SafetensorsErrors, ShapeNegativeDim) {
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("non-negative integers")));
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": [2, -2], "data_offsets": [0, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("non-negative integers")));
}

TEST_F(SafetensorsErrors, ShapeNonIntegerDim) {
  for (const char* dim : {"1.5", "4.0", "\"4\"", "null", "[4]"}) {
    const std::string header = std::string(R"({"w": {"dtype": "F32", "shape": [)") + dim + R"(], "data_offsets": [0, 16]}})";
    EXPECT_THAT(error_for(header, k16Bytes), AllOf(HasSubstr("tensor 'w'"), HasSubstr("non-negative integers")))
        << "dim " << dim;
  }
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": 4, "data_offsets": [0, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("'shape'")));
}

TEST_F(SafetensorsErrors, ShapeProductOverflows) {
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 16]}})",
                        k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  // Elements fit in 64 bits but the byte count does not.
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F64", "shape": [2305843009213693952, 2], "data_offsets": [0, 16]}})",
                        k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  // A single dimension beyond int64.
  EXPECT_THAT(error_for(R"({"w": {"dtype": "U8", "shape": [18446744073709551615], "data_offsets": [0, 16]}})",
                        k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
}

// Found while writing the fuzz targets: [2^62, 2, 0] has zero elements, but its running
// product passed 2^63 before the zero, so element_count() overflowed int64 (undefined
// behaviour). Every partial product must now fit, as the reference implementation requires.
TEST_F(SafetensorsErrors, ShapeOverflowsBeforeAZeroDimension) {
  EXPECT_THAT(error_for(R"({"w": {"dtype": "U8", "shape": [4611686018427387904, 2, 0], "data_offsets": [0, 0]}})", ""),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": [2305843009213693952, 0], "data_offsets": [0, 0]}})", ""),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("overflows")));
  // A zero first is fine: nothing is multiplied past it.
  write_safetensors(file_, R"({"w": {"dtype": "U8", "shape": [0, 4611686018427387904, 2], "data_offsets": [0, 0]}})", "");
  EXPECT_EQ(SafetensorsFile(file_).find("w")->element_count(), 0);
}

// The in-memory entry point (used by the fuzz target) runs exactly the file checks.
TEST_F(SafetensorsErrors, InMemoryBytesGetTheSameChecks) {
  const std::string whole = read_file(tiny_model("tiny-bert") / "model.safetensors");
  const auto* bytes = reinterpret_cast<const uint8_t*>(whole.data());
  const SafetensorsFile file = SafetensorsFile::from_memory(bytes, whole.size(), "in-memory");
  EXPECT_EQ(file.tensors().size(), SafetensorsFile(tiny_model("tiny-bert") / "model.safetensors").tensors().size());
  for (size_t cut : {size_t{5}, size_t{100}, whole.size() - 1}) {
    try {
      SafetensorsFile::from_memory(bytes, cut, "in-memory");
      ADD_FAILURE() << "a cut at " << cut << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidModel);
      EXPECT_THAT(e.what(), HasSubstr("in-memory: "));
    }
  }
}

TEST_F(SafetensorsErrors, TooManyDimensions) {
  EXPECT_THAT(error_for(R"({"w": {"dtype": "U8", "shape": [1,1,1,1,1,1,1,1,16], "data_offsets": [0, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("more than 8 dimensions")));
}

TEST_F(SafetensorsErrors, DataOffsetsMalformed) {
  for (const char* offsets : {"[0]", "[0, 16, 32]", "[-1, 16]", "[0, 16.0]", "\"0-16\""}) {
    const std::string header = std::string(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": )") + offsets + "}}";
    EXPECT_THAT(error_for(header, k16Bytes), AllOf(HasSubstr("tensor 'w'"), HasSubstr("'data_offsets' must be [begin, end]")))
        << offsets;
  }
}

TEST_F(SafetensorsErrors, DataOffsetsBeginAfterEnd) {
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [16, 0]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("begin > end")));
}

TEST_F(SafetensorsErrors, DataOffsetsPastTheEnd) {
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("data_offsets end 32 is past the end of the data (16 bytes)"),
                    HasSubstr("truncated")));
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 18446744073709551615]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("past the end of the data")));
}

TEST_F(SafetensorsErrors, ShapeDoesNotMatchBytes) {
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("shape [3] of F32 needs 12 bytes but data_offsets span 16")));
  EXPECT_THAT(error_for(R"({"w": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("needs 8 bytes but data_offsets span 16")));
}

TEST_F(SafetensorsErrors, OverlappingTensors) {
  const std::string header = R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
                                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})";
  EXPECT_THAT(error_for(header, k16Bytes), AllOf(HasSubstr("tensor 'b'"), HasSubstr("overlaps")));
  // The very same bytes claimed twice.
  const std::string same = R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                               "b": {"dtype": "I32", "shape": [4], "data_offsets": [0, 16]}})";
  EXPECT_THAT(error_for(same, k16Bytes), HasSubstr("overlaps"));
}

TEST_F(SafetensorsErrors, GapBetweenTensors) {
  const std::string header = R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})";
  EXPECT_THAT(error_for(header, k16Bytes),
              AllOf(HasSubstr("tensor 'b'"), HasSubstr("starts at byte 8"), HasSubstr("gap after byte 4")));
  // A gap before the first tensor.
  EXPECT_THAT(error_for(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [4, 16]}})", k16Bytes),
              AllOf(HasSubstr("tensor 'a'"), HasSubstr("gap after byte 0")));
}

TEST_F(SafetensorsErrors, TrailingBytes) {
  EXPECT_THAT(error_for(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}})", k16Bytes),
              HasSubstr("data section is 16 bytes but the tensors cover 12"));
  EXPECT_THAT(error_for("{}", "x"), HasSubstr("data section is 1 bytes but the tensors cover 0"));
}

TEST_F(SafetensorsErrors, MetadataNotStrings) {
  EXPECT_THAT(error_for(R"({"__metadata__": {"format": 1}})", ""),
              AllOf(HasSubstr("__metadata__.format"), HasSubstr("must be a string")));
  EXPECT_THAT(error_for(R"({"__metadata__": {"a": "ok", "b": null}})", ""), HasSubstr("__metadata__.b must be a string"));
  EXPECT_THAT(error_for(R"({"__metadata__": ["pt"]})", ""), HasSubstr("__metadata__ must be an object"));
}

// A real checkpoint cut at several points: every cut is refused, none crashes or reads past
// the mapping.
TEST_F(SafetensorsErrors, TruncatedRealModel) {
  const std::string whole = read_file(tiny_model("tiny-bert") / "model.safetensors");
  ASSERT_GT(whole.size(), 1000u);
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | static_cast<uint8_t>(whole[i]);
  const size_t data_start = 8 + header_length;
  ASSERT_LT(data_start, whole.size());

  struct Cut {
    const char* where;
    size_t size;
    const char* expected;
  };
  const Cut cuts[] = {
      {"inside the 8 length bytes", 5, "8-byte header length"},
      {"inside the header", 8 + header_length / 2, "runs past the end of the file"},
      {"one byte short of the header", data_start - 1, "runs past the end of the file"},
      {"right after the header", data_start, "is past the end of the data (0 bytes): the file is truncated"},
      {"in the middle of the data", data_start + (whole.size() - data_start) / 2, "the file is truncated"},
      {"one byte short", whole.size() - 1, "the file is truncated"},
  };
  for (const Cut& cut : cuts) {
    SCOPED_TRACE(cut.where);
    write_file(file_, whole.substr(0, cut.size));
    EXPECT_THAT(error_message(), HasSubstr(cut.expected));
  }
  // One byte too many is refused as well.
  write_file(file_, whole + "x");
  EXPECT_THAT(error_message(), HasSubstr("but the tensors cover"));
  // And the untouched copy still opens.
  write_file(file_, whole);
  EXPECT_NO_THROW(SafetensorsFile{file_});
}

// --- valid files ---

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(SafetensorsRead, ReadsEveryDtypeExactly) {
  TempDir dir;
  const auto path = dir.path() / "t.safetensors";
  const std::vector<float> f32 = {1.0f, -2.5f, 3.0e-39f /* subnormal */, std::numeric_limits<float>::infinity(), 0.1f,
                                  -0.0f};
  // F16 bit patterns: 1, -2, 65504 (max), 2^-24 (smallest subnormal), 1023 * 2^-24 (largest
  // subnormal), +inf, -inf, quiet NaN, -0.
  const std::vector<uint16_t> f16 = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x7E00, 0x8000};
  // BF16: 1, -2.5, 2^-133 (subnormal), +inf, NaN, 3.140625.
  const std::vector<uint16_t> bf16 = {0x3F80, 0xC020, 0x0001, 0x7F80, 0x7FC0, 0x4049};
  const std::vector<int64_t> i64 = {0, -1, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), 42};
  const std::vector<int32_t> i32 = {-7, 1 << 30};
  const std::vector<double> f64 = {0.5, -1e300};
  write_tensors(path, {{"f32", "F32", {2, 3}, le_bytes(f32)},
                       {"f16", "F16", {9}, le_bytes(f16)},
                       {"bf16", "BF16", {3, 2}, le_bytes(bf16)},
                       {"i64", "I64", {5}, le_bytes(i64)},
                       {"i32", "I32", {1, 2}, le_bytes(i32)},
                       {"f64", "F64", {2}, le_bytes(f64)},
                       {"u8", "U8", {3}, std::string("\x00\x7f\xff", 3)},
                       {"scalar", "F32", {}, le_bytes(std::vector<float>{7.0f})}});
  const SafetensorsFile file(path);
  ASSERT_EQ(file.tensors().size(), 8u);

  const TensorInfo* info = file.find("f32");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->dtype, DType::F32);
  EXPECT_EQ(info->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(info->element_count(), 6);
  const auto f32_out = file.to_f32(*info);
  ASSERT_EQ(f32_out.size(), f32.size());
  for (size_t i = 0; i < f32.size(); ++i) EXPECT_EQ(float_bits(f32_out[i]), float_bits(f32[i])) << i;  // bit-exact copy

  // Widening F16 / BF16 to F32 is exact, so exact comparisons.
  const auto h = file.to_f32(*file.find("f16"));
  ASSERT_EQ(h.size(), 9u);
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], -2.0f);
  EXPECT_EQ(h[2], 65504.0f);
  EXPECT_EQ(h[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(h[4], std::ldexp(1023.0f, -24));
  EXPECT_EQ(h[5], std::numeric_limits<float>::infinity());
  EXPECT_EQ(h[6], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(h[7]));
  EXPECT_EQ(float_bits(h[8]), 0x80000000u);  // -0 keeps its sign

  const auto b = file.to_f32(*file.find("bf16"));
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], -2.5f);
  EXPECT_EQ(float_bits(b[2]), 0x00010000u);  // BF16 is the top half of an F32
  EXPECT_EQ(b[3], std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(b[4]));
  EXPECT_EQ(b[5], 3.140625f);

  EXPECT_EQ(file.to_i64(*file.find("i64")), i64);
  EXPECT_EQ(file.to_i64(*file.find("i32")), (std::vector<int64_t>{-7, 1 << 30}));
  EXPECT_EQ(file.to_f32(*file.find("i32")), (std::vector<float>{-7.0f, 1073741824.0f}));
  EXPECT_EQ(file.to_f32(*file.find("f64")), (std::vector<float>{0.5f, -std::numeric_limits<float>::infinity()}));
  EXPECT_EQ(file.to_i64(*file.find("u8")), (std::vector<int64_t>{0, 127, 255}));
  EXPECT_EQ(file.to_f32(*file.find("scalar")), std::vector<float>{7.0f});
  EXPECT_EQ(file.find("scalar")->element_count(), 1);
  EXPECT_EQ(file.find("missing"), nullptr);
}

TEST(SafetensorsRead, IntegerReadOfFloatTensorIsAnError) {
  TempDir dir;
  const auto path = dir.path() / "t.safetensors";
  write_tensors(path, {{"w", "F32", {1}, le_bytes(std::vector<float>{1.0f})}});
  const SafetensorsFile file(path);
  try {
    file.to_i64(*file.find("w"));
    FAIL() << "to_i64 accepted an F32 tensor";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidModel);
    EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr("tensor 'w'"), HasSubstr("expected an integer dtype, got F32")));
  }
}

TEST(SafetensorsRead, ZeroSizeTensors) {
  TempDir dir;
  const auto path = dir.path() / "t.safetensors";
  write_tensors(path, {{"empty", "F32", {0}, ""},
                       {"w", "F32", {2}, le_bytes(std::vector<float>{1.0f, 2.0f})},
                       {"empty2", "I64", {3, 0}, ""}});
  const SafetensorsFile file(path);
  EXPECT_EQ(file.find("empty")->element_count(), 0);
  EXPECT_TRUE(file.to_f32(*file.find("empty")).empty());
  EXPECT_TRUE(file.to_i64(*file.find("empty2")).empty());
  EXPECT_EQ(file.to_f32(*file.find("w")), (std::vector<float>{1.0f, 2.0f}));

  // A file holding only an empty tensor, and a file holding nothing at all.
  write_safetensors(path, R"({"e": {"dtype": "BF16", "shape": [0, 4], "data_offsets": [0, 0]}})", "");
  EXPECT_EQ(SafetensorsFile(path).tensors().size(), 1u);
  write_safetensors(path, "{}", "");
  EXPECT_TRUE(SafetensorsFile(path).tensors().empty());
}

TEST(SafetensorsRead, Metadata) {
  TempDir dir;
  const auto path = dir.path() / "t.safetensors";
  write_tensors(path, {{"w", "F32", {1}, le_bytes(std::vector<float>{1.0f})}}, {{"format", "pt"}, {"note", "héllo"}});
  const SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().size(), 2u);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.metadata().at("note"), "héllo");
  EXPECT_EQ(file.tensors().size(), 1u);  // __metadata__ is not a tensor
  EXPECT_EQ(file.find("__metadata__"), nullptr);
}

TEST(SafetensorsRead, HeaderPaddedWithSpaces) {
  // The reference writer pads the header with spaces to an 8-byte boundary.
  TempDir dir;
  const auto path = dir.path() / "t.safetensors";
  write_safetensors(path, R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})" + std::string(5, ' '),
                    le_bytes(std::vector<float>{3.0f}));
  const SafetensorsFile file(path);
  EXPECT_EQ(file.to_f32(*file.find("w")), std::vector<float>{3.0f});
}

TEST(SafetensorsRead, RealModelFile) {
  const SafetensorsFile file(tiny_model("tiny-bert") / "model.safetensors");
  const TensorInfo* words = file.find("embeddings.word_embeddings.weight");
  ASSERT_NE(words, nullptr);
  EXPECT_EQ(words->dtype, DType::F32);
  EXPECT_EQ(words->shape, (std::vector<int64_t>{512, 32}));
  EXPECT_EQ(file.metadata().at("format"), "pt");
  // Unaligned reads work too: the F16 model's tensors start wherever the header ends.
  const SafetensorsFile f16(tiny_model("tiny-xlmr") / "model.safetensors");
  for (const auto& [name, info] : f16.tensors()) {
    EXPECT_EQ(info.dtype, DType::F16) << name;
    const auto values = f16.to_f32(info);
    EXPECT_EQ(static_cast<int64_t>(values.size()), info.element_count());
    for (float v : values) ASSERT_TRUE(std::isfinite(v)) << name;
  }
}

TEST(SafetensorsRead, MoveKeepsTheMapping) {
  std::vector<SafetensorsFile> files;
  files.emplace_back(tiny_model("tiny-bert") / "model.safetensors");
  SafetensorsFile moved = std::move(files.back());
  files.clear();
  const auto values = moved.to_f32(*moved.find("embeddings.LayerNorm.weight"));
  EXPECT_EQ(values.size(), 32u);
}

}  // namespace
}  // namespace packformer::test
