#include "line_io.h"

#include <cerrno>
#include <cstring>

#include "packformer/error.h"

namespace packformer::cli {

std::vector<std::string> read_lines(const std::string& path) {
  const bool use_stdin = path.empty() || path == "-";
  std::FILE* file = use_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) fail(ErrorKind::Io, "cannot open input file '" + path + "': " + std::strerror(errno));
  std::vector<std::string> lines;
  std::string line;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    for (size_t i = 0; i < n; ++i) {
      if (buffer[i] == '\n') {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        line.clear();
      } else {
        line.push_back(buffer[i]);
      }
    }
  }
  const bool read_error = std::ferror(file);
  if (!use_stdin) std::fclose(file);
  if (read_error) fail(ErrorKind::Io, "reading input '" + (use_stdin ? std::string("stdin") : path) + "' failed");
  if (!line.empty()) {
    if (line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
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
