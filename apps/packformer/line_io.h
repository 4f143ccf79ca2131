// Line-oriented input and output shared by the commands: one record per line.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace packformer::cli {

// Reads every line of `path` ("" or "-" = stdin). A trailing "\r" is dropped. Bytes are kept
// as they are; the tokenizer replaces invalid UTF-8.
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
