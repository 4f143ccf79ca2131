// A per-op profiler: wall time and useful FLOPs per op kind, printed as the table
// torch.autograd.profiler shows in the Better Transformer tutorial. Disabled = a null
// pointer, so timing costs nothing unless asked for.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace packformer {

class Profiler {
 public:
  struct Entry {
    long calls = 0;
    double seconds = 0.0;
    double flops = 0.0;
  };

  void add(const char* op, double seconds, double flops);
  void clear() { entries_.clear(); }
  const std::map<std::string, Entry>& entries() const { return entries_; }
  // Rows sorted by total time: op, calls, total ms, % of time, GFLOP/s.
  std::string table() const;

 private:
  std::map<std::string, Entry> entries_;
};

// Times the enclosing scope as one call of `op` (no-op when profiler is null).
class ScopedOp {
 public:
  ScopedOp(Profiler* profiler, const char* op, double flops)
      : profiler_(profiler), op_(op), flops_(flops) {
    if (profiler_) start_ = std::chrono::steady_clock::now();
  }
  ~ScopedOp() {
    if (profiler_)
      profiler_->add(op_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(), flops_);
  }
  ScopedOp(const ScopedOp&) = delete;
  ScopedOp& operator=(const ScopedOp&) = delete;

 private:
  Profiler* profiler_;
  const char* op_;
  double flops_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace packformer
