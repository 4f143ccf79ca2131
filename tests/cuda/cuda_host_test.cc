// The host side of the CUDA backend, tested on every machine (no GPU needed): device and
// dtype parsing, the fp32 -> fp16 / bf16 conversions used to upload weights, the device
// memory plan, the errors a user gets for CUDA requests this build or machine cannot serve,
// and, where a GPU is usable, the CLI's --device cuda output against its CPU output.
#include <gmock/gmock.h>
#include <sys/wait.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "core/half.h"
#include "cuda_test_util.h"
#include "models/device_workspace.h"
#include "packformer/error.h"

namespace packformer::test {
namespace {

using ::testing::HasSubstr;

TEST(DeviceParsing, AcceptsCpuCudaAndCudaN) {
  EXPECT_EQ(parse_device("cpu").kind, DeviceKind::Cpu);
  const Device cuda = parse_device("cuda");
  EXPECT_EQ(cuda.kind, DeviceKind::Cuda);
  EXPECT_EQ(cuda.index, 0);
  EXPECT_EQ(parse_device("cuda:3").index, 3);
  EXPECT_EQ(parse_device("cuda:12").name(), "cuda:12");
  EXPECT_EQ(parse_device("cpu").name(), "cpu");
}

TEST(DeviceParsing, RejectsOtherNamesWithTheAcceptedForms) {
  for (const char* bad : {"gpu", "cuda:", "cuda:-1", "cuda:x", "CUDA", "cuda:1x", "cuda:99999", " cpu", ""}) {
    try {
      parse_device(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_THAT(e.what(), HasSubstr("cpu, cuda, cuda:N")) << bad;
    }
  }
}

TEST(DtypeParsing, NamesAndSizes) {
  EXPECT_EQ(parse_precision("fp32"), Precision::F32);
  EXPECT_EQ(parse_precision("float16"), Precision::F16);
  EXPECT_EQ(parse_precision("bf16"), Precision::BF16);
  EXPECT_STREQ(precision_name(Precision::BF16), "bf16");
  EXPECT_EQ(precision_bytes(Precision::F32), 4);
  EXPECT_EQ(precision_bytes(Precision::F16), 2);
  EXPECT_THROW(parse_precision("fp8"), Error);
  EXPECT_THROW(parse_precision("half"), Error);
}

// Checks that `bits` encodes the representable value nearest to x, a tie going to the even
// encoding: neither neighbouring encoding (one step down or up in magnitude) is nearer.
template <typename ToFloat>
void expect_nearest(float x, uint16_t bits, ToFloat to_float, const char* format) {
  const double target = x, value = to_float(bits);
  ASSERT_FALSE(std::isnan(value)) << format << " of " << x;
  const uint16_t sign = bits & 0x8000, magnitude = bits & 0x7fff;
  for (const int step : {-1, 1}) {
    if (step < 0 && magnitude == 0) continue;
    const uint16_t other = static_cast<uint16_t>(sign | (magnitude + step));
    const double other_value = to_float(other);
    if (!std::isfinite(other_value)) continue;
    const double error = std::fabs(value - target), other_error = std::fabs(other_value - target);
    ASSERT_LE(error, other_error) << format << " of " << x << " gave " << value << " but " << other_value << " is nearer";
    if (error == other_error) {
      EXPECT_EQ(bits & 1, 0) << format << " tie at " << x << " must round to even";
    }
  }
}

TEST(HalfConversion, EveryHalfValueRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(half_to_float(float_to_half(f)))) << h;
      continue;
    }
    ASSERT_EQ(float_to_half(f), h) << "half bits " << h << " = " << f;
  }
}

TEST(HalfConversion, RandomFloatsRoundToNearestEven) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> exponent(-27.0f, 16.5f);
  std::uniform_int_distribution<int> sign(0, 1);
  for (int i = 0; i < 200000; ++i) {
    const float x = (sign(rng) ? -1.0f : 1.0f) * std::exp2(exponent(rng));
    const uint16_t h = float_to_half(x);
    if (std::fabs(x) >= 65520.0f) {
      ASSERT_TRUE(std::isinf(half_to_float(h))) << x;
      continue;
    }
    expect_nearest(x, h, half_to_float, "fp16");
  }
}

TEST(HalfConversion, EdgeCases) {
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // the tie rounds to even: infinity
  EXPECT_EQ(float_to_half(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);      // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);      // half of it: tie to even (zero)
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(3.0f, -25)), 0x0002);      // 1.5 subnormal units: tie to even (2)
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie between 1 and 1+2^-10: even
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14) * (1.0f - std::ldexp(1.0f, -12))), 0x0400);  // rounds up to normal
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Bfloat16Conversion, EveryValueRoundTripsAndFloatsRoundToNearestEven) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = bfloat16_to_float(static_cast<uint16_t>(b));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(f)))) << b;
      continue;
    }
    ASSERT_EQ(float_to_bfloat16(f), b) << f;
  }
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> exponent(-130.0f, 120.0f);
  for (int i = 0; i < 200000; ++i) {
    const float x = std::exp2(exponent(rng)) * (i % 2 ? -1.0f : 1.0f);
    expect_nearest(x, float_to_bfloat16(x), bfloat16_to_float, "bf16");
  }
  EXPECT_EQ(float_to_bfloat16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);  // tie: even
  EXPECT_EQ(float_to_bfloat16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::numeric_limits<float>::quiet_NaN()))));
}

EncoderConfig minilm_geometry() {
  EncoderConfig c;
  c.hidden_size = 384;
  c.intermediate_size = 1536;
  c.num_heads = 12;
  return c;
}

TEST(DeviceWorkspacePlan, SlicesAreAlignedDisjointAndSized) {
  const EncoderConfig c = minilm_geometry();
  for (const size_t element : {size_t{2}, size_t{4}}) {
    const DeviceWorkspacePlan p = plan_device_workspace(c, element, 1001, 7);
    const size_t rh = 1001 * 384;
    EXPECT_EQ(p.x.bytes, rh * element);
    EXPECT_EQ(p.qkv.bytes, 3 * rh * element);
    EXPECT_EQ(p.intermediate.bytes, 1001 * 1536 * element);
    EXPECT_EQ(p.hidden_f32.bytes, rh * 4);
    EXPECT_EQ(p.layout.count, 4 * 1001 + 3 * 7);
    EXPECT_EQ(p.indices.bytes, static_cast<size_t>(p.layout.count) * 4);
    EXPECT_EQ(p.pinned_input_bytes, p.indices.bytes);
    EXPECT_EQ(p.pinned_output_bytes, rh * 4);
    std::vector<DeviceSlice> slices = {p.x, p.qkv, p.context, p.sum, p.x1, p.intermediate, p.hidden_f32, p.indices};
    std::sort(slices.begin(), slices.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
    for (size_t i = 0; i < slices.size(); ++i) {
      EXPECT_EQ(slices[i].offset % kDeviceAlignment, 0u);
      if (i + 1 < slices.size()) {
        EXPECT_LE(slices[i].offset + slices[i].bytes, slices[i + 1].offset);
      }
      EXPECT_LE(slices[i].offset + slices[i].bytes, p.device_bytes);
    }
    // The index arrays tile their slice exactly, each at its documented place.
    const IndexLayout& l = p.layout;
    EXPECT_EQ(l.positions - l.token_ids, 1001);
    EXPECT_EQ(l.row_start - l.type_ids, 1001);
    EXPECT_EQ(l.key_rows - l.query_rows, 7);
    EXPECT_EQ(l.count - l.output_rows, 1001);
  }
  EXPECT_TRUE(plan_fits(plan_device_workspace(c, 2, 100, 4), 100, 4));
  EXPECT_FALSE(plan_fits(plan_device_workspace(c, 2, 100, 4), 101, 4));
  EXPECT_FALSE(plan_fits(plan_device_workspace(c, 2, 100, 4), 50, 5));
}

TEST(DeviceWorkspacePlan, RejectsImpossibleShapes) {
  EXPECT_THROW(plan_device_workspace(minilm_geometry(), 2, 0, 1), Error);
  EXPECT_THROW(plan_device_workspace(minilm_geometry(), 2, 3, 4), Error);
  EXPECT_THROW(plan_device_workspace(minilm_geometry(), 3, 8, 4), Error);
}

// The error a user gets for --device cuda depends on the build and the machine; each case
// must name the cause.
TEST(CudaRequests, ErrorsNameTheCause) {
  EncoderOptions options;
  options.load_tokenizer = false;
  options.device = "cuda";
  std::string reason;
  const int count = cuda_device_count(&reason);
  try {
    Encoder::load(cuda_tiny_model("tiny-bert"), options);
    EXPECT_GT(count, 0) << "loading on cuda succeeded without a device";
  } catch (const Error& e) {
    if (!cuda_built()) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_THAT(e.what(), HasSubstr("built without CUDA"));
    } else if (count == 0) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_THAT(e.what(), HasSubstr("no CUDA device"));
      EXPECT_THAT(e.what(), HasSubstr("cudaGetDeviceCount"));
    } else {
      ADD_FAILURE() << "a device exists but loading failed: " << e.what();
    }
  }
  EXPECT_EQ(reason.empty(), count > 0) << "a count of 0 always comes with a reason";

  if (count > 0) {  // an ordinal past the last device
    options.device = "cuda:" + std::to_string(count);
    try {
      Encoder::load(cuda_tiny_model("tiny-bert"), options);
      ADD_FAILURE() << "accepted a missing device";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("CUDA device(s)"));
    }
  }
}

// The CPU computes in fp32, bf16 or int8 (low_precision_test); fp16 is CUDA's, int8 the CPU's.
TEST(CudaRequests, PrecisionsOfTheOtherDeviceAreRefused) {
  const auto refused = [](const char* device, const char* dtype, const char* why) {
    EncoderOptions options;
    options.load_tokenizer = false;
    options.device = device;
    options.dtype = dtype;
    try {
      Encoder::load(cuda_tiny_model("tiny-bert"), options);
      ADD_FAILURE() << dtype << " accepted on " << device;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_THAT(e.what(), HasSubstr(why));
    }
  };
  refused("cpu", "fp16", "needs a CUDA device");
  refused("cuda", "int8", "runs on the CPU only");
}

TEST(CudaRequests, CpuEncoderDescribesItself) {
  EncoderOptions options;
  options.load_tokenizer = false;
  EXPECT_EQ(Encoder::load(cuda_tiny_model("tiny-bert"), options)->device_description(), "cpu, fp32");
}

// The CLI: --device and --dtype on the encoder commands, errors on stderr.
struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

CliRun run_cli(const std::string& args) {
  TempDir tmp;
  const auto out = tmp.path() / "out.txt", err = tmp.path() / "err.txt", in = tmp.path() / "in.txt";
  write_file(in, "[101, 7, 102]\n");
  const std::string command = std::string(PACKFORMER_CLI) + " " + args + " < " + in.string() + " > " + out.string() +
                              " 2> " + err.string();
  const int status = std::system(command.c_str());
  CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

TEST(CudaCli, DeviceAndDtypeFlags) {
  const std::string model = "--model " + cuda_tiny_model("tiny-bert").string() + " --ids";
  const CliRun fp16_cpu = run_cli("hidden " + model + " --dtype fp16");
  EXPECT_EQ(fp16_cpu.exit_code, 1);
  EXPECT_THAT(fp16_cpu.err, HasSubstr("needs a CUDA device"));
  EXPECT_EQ(fp16_cpu.out, "");

  const CliRun bad_device = run_cli("hidden " + model + " --device gpu");
  EXPECT_EQ(bad_device.exit_code, 1);
  EXPECT_THAT(bad_device.err, HasSubstr("cpu, cuda, cuda:N"));

  const CliRun bad_dtype = run_cli("hidden " + model + " --dtype fp8");
  EXPECT_NE(bad_dtype.exit_code, 0);
  EXPECT_THAT(bad_dtype.err, HasSubstr("--dtype"));

  const CliRun cpu = run_cli("hidden " + model + " --device cpu --dtype fp32");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_THAT(cpu.out, HasSubstr("[["));

  const CliRun cuda = run_cli("hidden " + model + " --device cuda --dtype fp32");
  if (!no_gpu_reason().empty()) {  // no usable device: the CLI says why
    EXPECT_EQ(cuda.exit_code, 1);
    EXPECT_THAT(cuda.err, HasSubstr(cuda_built() ? "no CUDA device" : "built without CUDA"));
    EXPECT_EQ(cuda.out, "");
    return;
  }
  // A usable device: the CPU's hidden states. fp32 on both sides, different summation order
  // only: cuda_encoder_test's bound of 1e-4 on LayerNorm outputs of magnitude ~1-10.
  ASSERT_EQ(cuda.exit_code, 0) << cuda.err;
  const auto on_gpu = nlohmann::json::parse(cuda.out), on_cpu = nlohmann::json::parse(cpu.out);
  ASSERT_EQ(on_gpu.size(), 3u) << "one vector per input token";
  ASSERT_EQ(on_gpu.size(), on_cpu.size());
  float worst = 0.0f;
  for (size_t t = 0; t < on_cpu.size(); ++t) {
    const auto a = on_gpu[t].get<std::vector<float>>(), b = on_cpu[t].get<std::vector<float>>();
    ASSERT_EQ(a.size(), b.size());
    ASSERT_EQ(a.size(), 32u) << "tiny-bert's hidden size";
    worst = max_or_nan(worst, max_abs_diff(a.data(), b.data(), a.size()));
  }
  EXPECT_LE(worst, 1e-4f) << "--device cuda vs --device cpu";
}

}  // namespace
}  // namespace packformer::test
