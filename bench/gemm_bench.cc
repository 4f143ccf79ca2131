// GEMM micro-benchmark: the packed GEMMs (backends/cpu/gemm.h, gemm_bf16.h, gemm_int8.h) of
// every ISA variant this CPU runs against oneDNN's matmul with pre-packed weights of the same
// data type (and dnnl_sgemm for fp32), on bert-base's Linear shapes, for 1 and 2 threads,
// interleaved in one run so the ratios hold on a shared machine. Best-of-N time, as GFLOP/s.
//   gemm_bench [--rows 4,16,...] [--threads 1,2] [--seconds 0.3] [--clock wall|cpu] [--shapes K:N,...]
//              [--dtypes f32,bf16,int8]
// --clock cpu times by process CPU time / threads: on a machine shared with other jobs it
// ignores time spent descheduled (OpenMP spin-waits still count), so it is steadier than wall.
// bf16 and int8: ours take fp32 activations and round or quantize them inside the call; oneDNN
// is given activations already in bf16 (s8), so its time leaves that conversion out. oneDNN's
// int8 matmul scales per column only (its output scales), not per row as ours.
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/cpu/gemm_bf16.h"
#include "backends/cpu/gemm_int8.h"
#include "core/half.h"

namespace {

using namespace packformer;
using dnnl::memory;

// oneDNN matmul, weights reordered once into the layout it prefers for this row count. The
// weights come as [n, k] row-major in `weight_type` (W^T's "ba" layout); dst is fp32.
class OnednnPacked {
 public:
  OnednnPacked(const void* w, memory::data_type src_type, memory::data_type weight_type, const std::vector<float>& bias,
               int64_t m, int64_t k, int64_t n, const std::vector<float>* column_scales = nullptr)
      : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    const memory::desc src({m, k}, src_type, memory::format_tag::ab);
    const memory::desc weights_any({k, n}, weight_type, memory::format_tag::any);
    const memory::desc bias_desc({1, n}, memory::data_type::f32, memory::format_tag::ab);
    const memory::desc dst({m, n}, memory::data_type::f32, memory::format_tag::ab);
    dnnl::primitive_attr attr;
    if (column_scales != nullptr) attr.set_output_scales(1 << 1, *column_scales);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights_any, bias_desc, dst), attr, engine_);
    matmul_ = dnnl::matmul(pd);
    memory plain({{k, n}, weight_type, memory::format_tag::ba}, engine_, const_cast<void*>(w));
    weights_ = memory(pd.weights_desc(), engine_);
    dnnl::reorder(plain, weights_).execute(stream_, plain, weights_);
    bias_ = memory(bias_desc, engine_, const_cast<float*>(bias.data()));
    src_ = memory(src, engine_, DNNL_MEMORY_NONE);
    dst_ = memory(dst, engine_, DNNL_MEMORY_NONE);
    stream_.wait();
  }
  void run(const void* x, float* y) {
    src_.set_data_handle(const_cast<void*>(x));
    dst_.set_data_handle(y);
    matmul_.execute(stream_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_BIAS, bias_},
                              {DNNL_ARG_DST, dst_}});
    stream_.wait();
  }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::matmul matmul_;
  memory weights_, bias_, src_, dst_;
};

bool g_cpu_clock = false;
int g_threads = 1;

double now_seconds() {
  if (!g_cpu_clock)
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (ts.tv_sec + ts.tv_nsec * 1e-9) / g_threads;
}

// Best-of time of `fn` in seconds: calls until `seconds` of wall time have passed (3 at least).
double best_time(const std::function<void()>& fn, double seconds) {
  using Clock = std::chrono::steady_clock;
  fn();  // warm-up
  double best = 1e30;
  const auto start = Clock::now();
  int runs = 0;
  while (runs < 3 || std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    const double t0 = now_seconds();
    fn();
    best = std::min(best, now_seconds() - t0);
    ++runs;
  }
  return best;
}

std::vector<int64_t> parse_list(const char* s) {
  std::vector<int64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoll(item));
  return out;
}

std::vector<uint16_t> to_bf16(const std::vector<float>& v) {
  std::vector<uint16_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = float_to_bfloat16(v[i]);
  return out;
}

// Symmetric per-row int8 quantization (gemm_int8.h's rule, without its edge cases), for
// oneDNN's operands; `scales` gets each row's scale.
std::vector<int8_t> quantize_rows(const std::vector<float>& v, int64_t rows, int64_t k, std::vector<float>& scales) {
  std::vector<int8_t> out(v.size());
  scales.assign(static_cast<size_t>(rows), 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    float amax = 0.0f;
    for (int64_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(v[r * k + i]));
    scales[r] = amax / 127.0f;
    for (int64_t i = 0; i < k; ++i)
      out[r * k + i] = static_cast<int8_t>(amax > 0.0f ? std::nearbyint(v[r * k + i] * 127.0f / amax) : 0.0f);
  }
  return out;
}

// The variants whose kernels for `dtype` differ (the others repeat one of them), that this CPU runs.
std::vector<Isa> variants(const std::string& dtype) {
  std::vector<Isa> candidates{Isa::Avx2, Isa::Avx512};
  if (dtype == "bf16") candidates.push_back(Isa::Avx512Bf16);
  if (dtype == "int8") candidates.push_back(Isa::Avx512Vnni);
  std::vector<Isa> out;
  for (const Isa isa : candidates)
    if (isa_supported(isa)) out.push_back(isa);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> rows{4, 16, 128, 512, 4096}, threads{1, 2};
  std::vector<std::array<int64_t, 2>> shapes{{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};  // {K, N}
  std::vector<std::string> dtypes{"f32", "bf16", "int8"};
  double seconds = 0.3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rows") == 0) rows = parse_list(argv[i + 1]);
    else if (std::strcmp(argv[i], "--threads") == 0) threads = parse_list(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--clock") == 0) g_cpu_clock = std::strcmp(argv[i + 1], "cpu") == 0;
    else if (std::strcmp(argv[i], "--dtypes") == 0) {
      dtypes.clear();
      std::stringstream ss(argv[i + 1]);
      std::string item;
      while (std::getline(ss, item, ',')) dtypes.push_back(item);
    } else if (std::strcmp(argv[i], "--shapes") == 0) {
      shapes.clear();
      std::stringstream ss(argv[i + 1]);
      std::string item;
      while (std::getline(ss, item, ',')) {
        const auto colon = item.find(':');
        shapes.push_back({std::stoll(item.substr(0, colon)), std::stoll(item.substr(colon + 1))});
      }
    }
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const std::string& dtype : dtypes) {
    const bool f32 = dtype == "f32", bf16 = dtype == "bf16", int8 = dtype == "int8";
    if (!f32 && !bf16 && !int8) {
      std::fprintf(stderr, "--dtypes: %s is not one of f32, bf16, int8\n", dtype.c_str());
      return 2;
    }
    const std::vector<Isa> isas = f32 ? variants("f32") : variants(dtype);
    std::printf("%s packed GEMM per ISA variant vs oneDNN %d.%d.%d packed matmul (%s)%s, GFLOP/s (best of N, %s time)\n",
                dtype.c_str(), dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch,
                f32 ? "f32" : bf16 ? "bf16 x bf16 -> f32" : "s8 x s8 -> f32", f32 ? " vs dnnl_sgemm" : "",
                g_cpu_clock ? "cpu" : "wall");
    std::printf("%5s %5s %5s %3s |", "K", "N", "M", "thr");
    for (const Isa isa : isas) std::printf(" %10s", isa_name(isa));
    std::printf(" %8s", "onednn");
    if (f32) std::printf(" %8s", "sgemm");
    std::printf(" | best/dnn\n");
    for (const auto& shape : shapes) {
      const int64_t k = shape[0], n = shape[1];
      std::vector<float> w(n * k), bias(n);
      for (float& v : w) v = dist(rng);
      for (float& v : bias) v = dist(rng);
      std::vector<PackedWeights> packed;
      std::vector<PackedWeightsBf16> packed_bf16;
      std::vector<PackedWeightsInt8> packed_int8;
      for (const Isa isa : isas) {
        if (f32) packed.emplace_back(w.data(), n, k, isa);
        if (bf16) packed_bf16.emplace_back(w.data(), n, k, isa);
        if (int8) packed_int8.emplace_back(w.data(), n, k, isa);
      }
      const std::vector<uint16_t> w_bf16 = bf16 ? to_bf16(w) : std::vector<uint16_t>{};
      std::vector<float> w_scales;
      const std::vector<int8_t> w_s8 = int8 ? quantize_rows(w, n, k, w_scales) : std::vector<int8_t>{};
      GemmEpilogue epilogue;
      epilogue.bias = bias.data();
      for (const int64_t m : rows) {
        std::vector<float> x(m * k), y(m * n);
        for (float& v : x) v = dist(rng);
        std::vector<float> x_scales;
        const std::vector<uint16_t> x_bf16 = bf16 ? to_bf16(x) : std::vector<uint16_t>{};
        const std::vector<int8_t> x_s8 = int8 ? quantize_rows(x, m, k, x_scales) : std::vector<int8_t>{};
        using dt = memory::data_type;
        OnednnPacked onednn = f32    ? OnednnPacked(w.data(), dt::f32, dt::f32, bias, m, k, n)
                              : bf16 ? OnednnPacked(w_bf16.data(), dt::bf16, dt::bf16, bias, m, k, n)
                                     : OnednnPacked(w_s8.data(), dt::s8, dt::s8, bias, m, k, n, &w_scales);
        const void* onednn_x = f32 ? static_cast<const void*>(x.data()) : bf16 ? static_cast<const void*>(x_bf16.data()) : x_s8.data();
        const double flops = 2.0 * m * n * k;
        for (const int64_t t : threads) {
          omp_set_num_threads(static_cast<int>(t));
          g_threads = static_cast<int>(t);
          std::vector<double> mine;
          for (size_t v = 0; v < isas.size(); ++v)
            mine.push_back(best_time(
                [&] {
                  if (f32) packed_gemm(x.data(), m, packed[v], y.data(), epilogue);
                  if (bf16) packed_gemm_bf16(x.data(), m, packed_bf16[v], y.data(), epilogue);
                  if (int8) packed_gemm_int8(x.data(), m, packed_int8[v], y.data(), epilogue);
                },
                seconds));
          const double dnn = best_time([&] { onednn.run(onednn_x, y.data()); }, seconds);
          std::printf("%5ld %5ld %5ld %3ld |", k, n, m, t);
          for (const double s : mine) std::printf(" %10.1f", flops / s * 1e-9);
          std::printf(" %8.1f", flops / dnn * 1e-9);
          if (f32) {
            const double sg = best_time(
                [&] { dnnl_sgemm('N', 'T', m, n, k, 1.0f, x.data(), k, w.data(), k, 0.0f, y.data(), n); }, seconds);
            std::printf(" %8.1f", flops / sg * 1e-9);
          }
          std::printf(" | %6.2f\n", dnn / *std::min_element(mine.begin(), mine.end()));
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
