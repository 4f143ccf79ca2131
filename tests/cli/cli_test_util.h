// Runs the packformer binary in tests: CliTest captures stdout, stderr and the exit code, and
// checks the shape of an error (non-zero exit, one "error: ..." line, nothing on stdout).
#pragma once

#include <gmock/gmock.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace packformer::test {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CliTest : public ::testing::Test {
 protected:
  // Runs `packformer ARGS < input`, capturing stdout, stderr and the exit code.
  CliResult run(const std::string& args, const std::string& input = "") {
    const auto in = tmp_.path() / "stdin.txt", out = tmp_.path() / "stdout.txt", err = tmp_.path() / "stderr.txt";
    write_file(in, input);
    const std::string command = quote(PACKFORMER_CLI) + " " + args + " < " + quote(in.string()) + " > " +
                                quote(out.string()) + " 2> " + quote(err.string());
    const int status = std::system(command.c_str());
    CliResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out);
    result.err = read_file(err);
    return result;
  }

  static std::string model(const std::string& name) { return "--model " + quote(tiny_model(name).string()); }

  // A failed run: non-zero exit, no stdout, exactly one stderr line "error: ..." containing
  // every piece of `expected`.
  static void expect_error(const CliResult& r, const std::vector<std::string>& expected) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_LT(r.exit_code, 128) << "killed by a signal";
    EXPECT_EQ(r.out, "") << "no partial output on stdout";
    EXPECT_THAT(r.err, StartsWith("error: "));
    EXPECT_EQ(split_lines(r.err).size(), 1u) << r.err;
    for (const auto& piece : expected) EXPECT_THAT(r.err, HasSubstr(piece));
  }

  // Each stdout line parsed as JSON.
  static std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> values;
    for (const auto& line : split_lines(out)) {
      try {
        values.push_back(nlohmann::json::parse(line));
      } catch (const std::exception& e) {
        ADD_FAILURE() << "not JSON: " << line.substr(0, 200);
      }
    }
    return values;
  }

  TempDir tmp_;
};

}  // namespace packformer::test
