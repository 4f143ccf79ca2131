// GEMM micro-benchmark: the packed GEMM (backends/cpu/gemm.h) of every ISA variant this CPU
// runs (AVX2, AVX-512) against oneDNN's matmul with pre-packed weights and dnnl_sgemm, on
// bert-base's Linear shapes, for 1 and 2 threads, interleaved in one run so the ratios hold on
// a shared machine. Best-of-N wall time, printed as GFLOP/s.
//   gemm_bench [--rows 4,16,...] [--threads 1,2] [--seconds 0.3] [--clock wall|cpu] [--shapes K:N,...]
// --clock cpu times by process CPU time / threads: on a machine shared with other jobs it
// ignores time spent descheduled (OpenMP spin-waits still count), so it is steadier than wall.
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <array>
#include <chrono>
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

namespace {

using namespace packformer;
using dnnl::memory;

// oneDNN matmul, weights reordered once into the layout it prefers for this row count.
class OnednnPacked {
 public:
  OnednnPacked(const std::vector<float>& w, const std::vector<float>& bias, int64_t m, int64_t k, int64_t n)
      : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    const memory::desc src({m, k}, memory::data_type::f32, memory::format_tag::ab);
    const memory::desc weights_any({k, n}, memory::data_type::f32, memory::format_tag::any);
    const memory::desc bias_desc({1, n}, memory::data_type::f32, memory::format_tag::ab);
    const memory::desc dst({m, n}, memory::data_type::f32, memory::format_tag::ab);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights_any, bias_desc, dst), engine_);
    matmul_ = dnnl::matmul(pd);
    memory plain({{k, n}, memory::data_type::f32, memory::format_tag::ba}, engine_, const_cast<float*>(w.data()));
    weights_ = memory(pd.weights_desc(), engine_);
    dnnl::reorder(plain, weights_).execute(stream_, plain, weights_);
    bias_ = memory(bias_desc, engine_, const_cast<float*>(bias.data()));
    src_ = memory(src, engine_, DNNL_MEMORY_NONE);
    dst_ = memory(dst, engine_, DNNL_MEMORY_NONE);
    stream_.wait();
  }
  void run(const float* x, float* y) {
    src_.set_data_handle(const_cast<float*>(x));
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> rows{4, 16, 128, 512, 4096}, threads{1, 2};
  std::vector<std::array<int64_t, 2>> shapes{{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};  // {K, N}
  double seconds = 0.3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rows") == 0) rows = parse_list(argv[i + 1]);
    else if (std::strcmp(argv[i], "--threads") == 0) threads = parse_list(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--clock") == 0) g_cpu_clock = std::strcmp(argv[i + 1], "cpu") == 0;
    else if (std::strcmp(argv[i], "--shapes") == 0) {
      shapes.clear();
      std::stringstream ss(argv[i + 1]);
      std::string item;
      while (std::getline(ss, item, ',')) {
        const auto colon = item.find(':');
        shapes.push_back({std::stoll(item.substr(0, colon)), std::stoll(item.substr(colon + 1))});
      }
    }
  }
  std::vector<Isa> isas;
  for (const Isa isa : {Isa::Avx2, Isa::Avx512})
    if (isa_supported(isa)) isas.push_back(isa);
  std::printf("packed GEMM per ISA variant vs oneDNN %d.%d.%d packed matmul vs dnnl_sgemm, GFLOP/s (best of N, %s time)\n",
              dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch, g_cpu_clock ? "cpu" : "wall");
  std::printf("%5s %5s %5s %3s |", "K", "N", "M", "thr");
  for (const Isa isa : isas) std::printf(" %8s", isa_name(isa));
  std::printf(" %8s %8s |", "onednn", "sgemm");
  for (const Isa isa : isas) std::printf(" %6s", (std::string(isa_name(isa)).substr(0, 4) + "/dnn").c_str());
  std::printf("\n");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const auto& shape : shapes) {
    const int64_t k = shape[0], n = shape[1];
    std::vector<float> w(n * k), bias(n);
    for (float& v : w) v = dist(rng);
    for (float& v : bias) v = dist(rng);
    std::vector<PackedWeights> packed;
    for (const Isa isa : isas) packed.emplace_back(w.data(), n, k, isa);
    GemmEpilogue epilogue;
    epilogue.bias = bias.data();
    for (const int64_t m : rows) {
      std::vector<float> x(m * k), y(m * n);
      for (float& v : x) v = dist(rng);
      OnednnPacked onednn(w, bias, m, k, n);
      const double flops = 2.0 * m * n * k;
      for (const int64_t t : threads) {
        omp_set_num_threads(static_cast<int>(t));
        g_threads = static_cast<int>(t);
        std::vector<double> mine;
        for (const PackedWeights& p : packed)
          mine.push_back(best_time([&] { packed_gemm(x.data(), m, p, y.data(), epilogue); }, seconds));
        const double dnn = best_time([&] { onednn.run(x.data(), y.data()); }, seconds);
        const double sg = best_time(
            [&] { dnnl_sgemm('N', 'T', m, n, k, 1.0f, x.data(), k, w.data(), k, 0.0f, y.data(), n); }, seconds);
        std::printf("%5ld %5ld %5ld %3ld |", k, n, m, t);
        for (const double s : mine) std::printf(" %8.1f", flops / s * 1e-9);
        std::printf(" %8.1f %8.1f |", flops / dnn * 1e-9, flops / sg * 1e-9);
        for (const double s : mine) std::printf(" %6.2f", dnn / s);
        std::printf("\n");
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
