// The progress line of the streaming commands (embed, classify, hidden) and their closing
// throughput summary, both on stderr. The live line is drawn only on a terminal: redirected
// stderr (scripts, the tests) stays free of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace packformer::cli {

class Progress {
 public:
  // `live`: redraw a line as items finish; `summary`: print one line at the end; `total`:
  // items expected, or -1 when unknown (no ETA then).
  Progress(bool live, bool summary, int64_t total);
  void add(int64_t items, int64_t tokens);
  // Clears the live line and prints the summary, if asked.
  void finish();

 private:
  void draw();
  double seconds() const;

  bool live_, summary_;
  int64_t total_, items_ = 0, tokens_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), drawn_ = start_;
  size_t width_ = 0;  // of the last live line, to blank it
};

}  // namespace packformer::cli
