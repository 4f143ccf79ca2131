#include "line_io.h"

#include <cerrno>
#include <cstring>

#include "packformer/error.h"

namespace packformer::cli {

void LineSplitter::end_line() {
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  lines_.push_back(std::move(line_));
  line_.clear();
}

void LineSplitter::too_long() const {
  fail(ErrorKind::InvalidInput, "input line " + std::to_string(lines_.size() + 1) + " is longer than " +
                                    std::to_string(max_line_bytes_) + " bytes, the limit for one input: split it");
}

void LineSplitter::feed(const char* data, size_t size) {
  const char* end = data + size;
  while (data < end) {
    const char* newline = static_cast<const char*>(std::memchr(data, '\n', static_cast<size_t>(end - data)));
    const char* stop = newline != nullptr ? newline : end;
    const size_t count = static_cast<size_t>(stop - data);
    if (line_.size() + count > max_line_bytes_) too_long();
    line_.append(data, count);
    data = stop;
    if (newline != nullptr) {
      end_line();
      ++data;
    }
  }
}

std::vector<std::string> LineSplitter::finish() {
  if (!line_.empty()) end_line();
  return std::move(lines_);
}

std::vector<std::string> read_lines(const std::string& path) {
  const bool use_stdin = path.empty() || path == "-";
  std::FILE* file = use_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) fail(ErrorKind::Io, "cannot open input file '" + path + "': " + std::strerror(errno));
  LineSplitter splitter;
  std::vector<char> buffer(1 << 16);
  size_t n;
  try {
    while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) splitter.feed(buffer.data(), n);
  } catch (...) {
    if (!use_stdin) std::fclose(file);
    throw;
  }
  const bool read_error = std::ferror(file);
  if (!use_stdin) std::fclose(file);
  if (read_error) fail(ErrorKind::Io, "reading input '" + (use_stdin ? std::string("stdin") : path) + "' failed");
  return splitter.finish();
}

OutputFile::OutputFile(const std::string& path) : path_(path) {
  if (path.empty() || path == "-") {
    file_ = stdout;
    return;
  }
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) fail(ErrorKind::Io, "cannot open output file '" + path + "': " + std::strerror(errno));
}

OutputFile::~OutputFile() {
  if (file_ != nullptr && file_ != stdout) std::fclose(file_);
  else if (file_ == stdout) std::fflush(stdout);
}

void OutputFile::write_line(const std::string& line) {
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF)
    fail(ErrorKind::Io, "writing output '" + (path_.empty() ? std::string("stdout") : path_) + "' failed");
}

}  // namespace packformer::cli
