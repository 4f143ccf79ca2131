// Line-oriented input and output shared by the commands: one record per line.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace packformer::cli {

// Longest input line accepted: far beyond what any model reads (a few thousand tokens), small
// enough that one hostile line cannot exhaust memory in the tokenizer.
constexpr size_t kMaxLineBytes = 8u << 20;

// Splits bytes into lines as they arrive: "\n" ends a line, a trailing "\r" is dropped, other
// bytes are kept as they are (the tokenizer replaces invalid UTF-8). A line of more than
// `max_line_bytes` bytes (a trailing "\r" included) is refused with an InvalidInput error
// naming its line number.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line_bytes = kMaxLineBytes) : max_line_bytes_(max_line_bytes) {}
  void feed(const char* data, size_t size);
  // Ends the input: a last line without "\n" is kept. Returns every line.
  std::vector<std::string> finish();

 private:
  void end_line();
  [[noreturn]] void too_long() const;
  size_t max_line_bytes_;
  std::vector<std::string> lines_;
  std::string line_;
};

// Reads every line of `path` ("" or "-" = stdin) through a LineSplitter.
std::vector<std::string> read_lines(const std::string& path);

// Opens `path` for writing ("" or "-" = stdout); closes it on destruction.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  void write_line(const std::string& line);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace packformer::cli
