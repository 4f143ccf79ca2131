#include "progress.h"

#include <cstdio>

namespace packformer::cli {
namespace {

// Redraws at most this often: a terminal that scrolls thousands of updates a second slows
// the command down.
constexpr auto kRedrawEvery = std::chrono::milliseconds(250);

std::string duration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s / 60 % 60);
  else if (s >= 60) std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%llds", s);
  return text;
}

}  // namespace

Progress::Progress(bool live, bool summary, int64_t total) : live_(live), summary_(summary), total_(total) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::add(int64_t items, int64_t tokens) {
  items_ += items;
  tokens_ += tokens;
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - drawn_ < kRedrawEvery) return;
  drawn_ = now;
  draw();
}

void Progress::draw() {
  const double s = seconds();
  const double rate = s > 0 ? items_ / s : 0;
  char text[160];
  if (total_ > 0) {
    const double eta = rate > 0 ? (total_ - items_) / rate : 0;
    std::snprintf(text, sizeof text, "%lld/%lld lines (%.0f%%), %.0f tokens/s, ETA %s", static_cast<long long>(items_),
                  static_cast<long long>(total_), 100.0 * items_ / total_, s > 0 ? tokens_ / s : 0.0, duration(eta).c_str());
  } else {
    std::snprintf(text, sizeof text, "%lld lines, %.0f tokens/s, %s", static_cast<long long>(items_),
                  s > 0 ? tokens_ / s : 0.0, duration(s).c_str());
  }
  const std::string line = text;
  std::fprintf(stderr, "\r%s%*s", line.c_str(), static_cast<int>(width_ > line.size() ? width_ - line.size() : 0), "");
  std::fflush(stderr);
  width_ = line.size();
}

void Progress::finish() {
  if (live_ && width_ > 0) std::fprintf(stderr, "\r%*s\r", static_cast<int>(width_), "");
  if (summary_) {
    const double s = seconds();
    std::fprintf(stderr, "%lld lines, %lld tokens in %.2f s: %.1f lines/s, %.0f tokens/s\n",
                 static_cast<long long>(items_), static_cast<long long>(tokens_), s, s > 0 ? items_ / s : 0.0,
                 s > 0 ? tokens_ / s : 0.0);
  }
  std::fflush(stderr);
}

}  // namespace packformer::cli
