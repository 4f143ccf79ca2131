#include "packformer/profiler.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace packformer {

void Profiler::add(const char* op, double seconds, double flops) {
  Entry& entry = entries_[op];
  ++entry.calls;
  entry.seconds += seconds;
  entry.flops += flops;
}

std::string Profiler::table() const {
  std::vector<std::pair<std::string, Entry>> rows(entries_.begin(), entries_.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  double total = 0.0;
  for (const auto& [name, entry] : rows) total += entry.seconds;
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %8s %12s %8s %10s\n", "op", "calls", "total ms", "% time", "GFLOP/s");
  out += line;
  for (const auto& [name, entry] : rows) {
    const double gflops = entry.flops > 0 && entry.seconds > 0 ? entry.flops / entry.seconds / 1e9 : 0.0;
    std::snprintf(line, sizeof line, "%-28s %8ld %12.3f %7.1f%% %10s\n", name.c_str(), entry.calls,
                  entry.seconds * 1e3, total > 0 ? 100.0 * entry.seconds / total : 0.0,
                  gflops > 0 ? std::to_string(static_cast<int>(gflops + 0.5)).c_str() : "-");
    out += line;
  }
  std::snprintf(line, sizeof line, "%-28s %8s %12.3f\n", "total", "", total * 1e3);
  out += line;
  return out;
}

}  // namespace packformer
