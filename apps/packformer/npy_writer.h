// Writes one float32 matrix [rows, columns] in NumPy's .npy format (version 1.0), row by row,
// for `embed --format npy`. The row count is known only at the end: to a regular file (--output,
// or stdout redirected to a file) the header is written with room to spare and rewritten at the
// end; to a pipe, which cannot seek, the rows are held in memory and written at the end.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace packformer::cli {

class NpyWriter {
 public:
  // `path` "" or "-" = stdout, refused when it is a terminal (binary output).
  NpyWriter(const std::string& path, int64_t columns);
  ~NpyWriter();
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;

  void write_row(const float* row);
  // Writes the final header (and the held rows, on a pipe). Without it the file holds an
  // empty [0, columns] array: a failed run never leaves a short array that looks complete.
  void finish();

 private:
  void write(const void* data, size_t bytes);
  std::string name() const;

  std::string path_;
  std::FILE* file_ = nullptr;
  int64_t columns_ = 0, rows_ = 0;
  bool seekable_ = false;
  std::vector<float> held_;  // rows, when the output cannot seek
};

// The 128-byte header of a little-endian float32 C-order array [rows, columns].
std::string npy_header(int64_t rows, int64_t columns);

}  // namespace packformer::cli
