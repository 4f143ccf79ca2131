#include "line_io.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "packformer/error.h"

namespace packformer::cli {

void LineSplitter::end_line() {
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  lines_.push_back(std::move(line_));
  line_.clear();
  ++lines_ended_;
}

void LineSplitter::too_long() const {
  fail(ErrorKind::InvalidInput, "input line " + std::to_string(lines_ended_ + 1) + " is longer than " +
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

std::vector<std::string> LineSplitter::take_lines() {
  std::vector<std::string> lines = std::move(lines_);
  lines_.clear();
  return lines;
}

std::vector<std::string> LineSplitter::finish() {
  if (!line_.empty()) end_line();
  return take_lines();
}

LineReader::LineReader(const std::string& path) : path_(path), use_stdin_(path.empty() || path == "-") {
  file_ = use_stdin_ ? stdin : std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) fail(ErrorKind::Io, "cannot open input file '" + path + "': " + std::strerror(errno));
}

LineReader::~LineReader() {
  if (!use_stdin_) std::fclose(file_);
}

bool LineReader::next(std::string& line) {
  while (next_ == lines_.size()) {
    if (at_end_) return false;
    lines_.clear();
    next_ = 0;
    buffer_.resize(1 << 16);
    const size_t n = std::fread(buffer_.data(), 1, buffer_.size(), file_);
    if (n > 0) {
      splitter_.feed(buffer_.data(), n);
      lines_ = splitter_.take_lines();
    } else {
      if (std::ferror(file_))
        fail(ErrorKind::Io, "reading input '" + (use_stdin_ ? std::string("stdin") : path_) + "' failed");
      at_end_ = true;
      lines_ = splitter_.finish();
    }
  }
  line = std::move(lines_[next_++]);
  return true;
}

std::vector<std::string> read_lines(const std::string& path) {
  LineReader reader(path);
  std::vector<std::string> lines;
  for (std::string line; reader.next(line);) lines.push_back(std::move(line));
  return lines;
}

std::pair<std::string, std::string> split_pair_line(const std::string& line, size_t line_number) {
  const size_t tab = line.find('\t');
  const size_t tabs = static_cast<size_t>(std::count(line.begin(), line.end(), '\t'));
  if (tabs != 1)
    fail(ErrorKind::InvalidInput, "line " + std::to_string(line_number) + ": expected two texts separated by one tab, found " +
                                      std::to_string(tabs) + " tabs");
  return {line.substr(0, tab), line.substr(tab + 1)};
}

int64_t count_lines(const std::string& path) {
  struct stat info {};
  if (path.empty() || path == "-" || ::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return -1;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return -1;
  std::vector<char> buffer(1 << 16);
  int64_t lines = 0;
  char last = '\n';
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
    lines += std::count(buffer.data(), buffer.data() + n, '\n');
    last = buffer[n - 1];
  }
  std::fclose(file);
  return lines + (last != '\n');
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

namespace packformer::cli {

void OutputFile::flush() {
  if (std::fflush(file_) != 0)
    fail(ErrorKind::Io, "writing output '" + (path_.empty() ? std::string("stdout") : path_) + "' failed");
}

}  // namespace packformer::cli
