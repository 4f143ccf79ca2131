#include "npy_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "packformer/error.h"

namespace packformer::cli {

// The data is written as the machine holds it, and the header says little-endian.
static_assert(std::endian::native == std::endian::little, "the .npy writer assumes a little-endian machine");

namespace {
// Magic, version 1.0, header length, then the dict padded with spaces to a total of 128 bytes
// (a multiple of 64, as NumPy aligns it); 20-digit row counts fit, so rewriting it in place
// never moves the data.
constexpr size_t kHeaderBytes = 128;
}  // namespace

std::string npy_header(int64_t rows, int64_t columns) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(columns) + "), }";
  const size_t dict_bytes = kHeaderBytes - 10;
  dict.resize(dict_bytes - 1, ' ');
  dict.push_back('\n');
  std::string header("\x93NUMPY\x01\x00", 8);
  header.push_back(static_cast<char>(dict_bytes & 0xff));
  header.push_back(static_cast<char>(dict_bytes >> 8));
  return header + dict;
}

NpyWriter::NpyWriter(const std::string& path, int64_t columns) : path_(path), columns_(columns) {
  const bool use_stdout = path.empty() || path == "-";
  if (use_stdout) {
    if (::isatty(STDOUT_FILENO))
      fail(ErrorKind::InvalidInput, "--format npy writes binary data: give --output FILE or redirect stdout");
    file_ = stdout;
  } else {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) fail(ErrorKind::Io, "cannot open output file '" + path + "': " + std::strerror(errno));
  }
  struct stat info {};
  // Only a regular file at offset 0 whose writes are not appends (`>>`) can take the header
  // patched in place at the end.
  const int flags = ::fcntl(::fileno(file_), F_GETFL);
  seekable_ = ::fstat(::fileno(file_), &info) == 0 && S_ISREG(info.st_mode) && std::ftell(file_) == 0 &&
              flags != -1 && !(flags & O_APPEND);
  if (seekable_) {
    const std::string header = npy_header(0, columns_);
    write(header.data(), header.size());
  }
}

NpyWriter::~NpyWriter() {
  if (file_ != nullptr && file_ != stdout) std::fclose(file_);
  else if (file_ == stdout) std::fflush(stdout);
}

std::string NpyWriter::name() const { return path_.empty() || path_ == "-" ? std::string("stdout") : path_; }

void NpyWriter::write(const void* data, size_t bytes) {
  if (bytes > 0 && std::fwrite(data, 1, bytes, file_) != bytes) fail(ErrorKind::Io, "writing output '" + name() + "' failed");
}

void NpyWriter::write_row(const float* row) {
  if (seekable_) write(row, static_cast<size_t>(columns_) * sizeof(float));
  else held_.insert(held_.end(), row, row + columns_);
  ++rows_;
}

void NpyWriter::finish() {
  const std::string header = npy_header(rows_, columns_);
  if (seekable_) {
    if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0) fail(ErrorKind::Io, "writing output '" + name() + "' failed");
    write(header.data(), header.size());
    if (std::fseek(file_, 0, SEEK_END) != 0) fail(ErrorKind::Io, "writing output '" + name() + "' failed");
  } else {
    write(header.data(), header.size());
    write(held_.data(), held_.size() * sizeof(float));
  }
  if (std::fflush(file_) != 0) fail(ErrorKind::Io, "writing output '" + name() + "' failed");
}

}  // namespace packformer::cli
