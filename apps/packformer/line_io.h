// Line-oriented input and output shared by the commands: one record per line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
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
  // Moves out the lines completed so far (an unfinished last line stays).
  std::vector<std::string> take_lines();
  // Ends the input: a last line without "\n" is kept. Returns every line not yet taken.
  std::vector<std::string> finish();

 private:
  void end_line();
  [[noreturn]] void too_long() const;
  size_t max_line_bytes_;
  size_t lines_ended_ = 0;  // taken or not, for the line number in errors
  std::vector<std::string> lines_;
  std::string line_;
};

// Reads `path` ("" or "-" = stdin) one line at a time: memory holds one read buffer and its
// lines not yet returned, whatever the size of the input.
class LineReader {
 public:
  explicit LineReader(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  // The next line, or false at the end of the input.
  bool next(std::string& line);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool use_stdin_ = false, at_end_ = false;
  LineSplitter splitter_;
  std::vector<char> buffer_;
  std::vector<std::string> lines_;  // of the last read, returned from next_ on
  size_t next_ = 0;
};

// Reads every line of `path` ("" or "-" = stdin) through a LineReader.
std::vector<std::string> read_lines(const std::string& path);

// The number of lines of `path` if it is a regular file (a last line without "\n" counts),
// else -1 (stdin, pipes). Reads the file once; for progress lines only.
int64_t count_lines(const std::string& path);

// A text pair given as one line "first<TAB>second" (cross-encoders, tokenize --pair). A line
// without exactly one tab is refused with an InvalidInput error naming its line number.
std::pair<std::string, std::string> split_pair_line(const std::string& line, size_t line_number);

// Opens `path` for writing ("" or "-" = stdout); closes it on destruction.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  void write_line(const std::string& line);
  // Hands what is buffered to the system, so a reader of a pipe sees finished lines.
  void flush();

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace packformer::cli
