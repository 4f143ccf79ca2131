// The tokenize / detokenize commands, run as a user would.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "parity_util.h"

namespace packformer::test {
namespace {

namespace fs = std::filesystem;

struct CliResult {
  int status;
  std::string out;
  std::string err;
};

CliResult run_cli(const std::string& args, const std::string& input) {
  const fs::path dir = fs::temp_directory_path() / ("packformer_cli_tok_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path in = dir / "in.txt", out = dir / "out.txt", err = dir / "err.txt";
  std::ofstream(in, std::ios::binary) << input;
  const std::string command = std::string(PACKFORMER_CLI) + " " + args + " --input " + in.string() + " > " +
                              out.string() + " 2> " + err.string();
  const int status = std::system(command.c_str());
  // A crash is no exit code: WEXITSTATUS of a killed process reads 0 (a pass), so a signal
  // becomes 128 + its number, as a shell reports it.
  const int code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  CliResult run{code, read_file(out.string()), read_file(err.string())};
  fs::remove_all(dir);
  return run;
}

TEST(TokenizeCli, TokenizeAndDetokenize) {
  const std::string model = tokenizer_data("minilm_vocab");
  const CliResult tokenized = run_cli("tokenize --model " + model, "Hello world\n\nCafé!\n");
  ASSERT_EQ(tokenized.status, 0) << tokenized.err;
  EXPECT_EQ(tokenized.out, "[101,7592,2088,102]\n[101,102]\n[101,7668,999,102]\n");

  const CliResult plain = run_cli("tokenize --tokenizer " + tokenizer_data("minilm/tokenizer.json") +
                                " --no-special-tokens --max-length 2",
                            "the quick brown fox\n");
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.out, "[1996,4248]\n");

  const CliResult text = run_cli("detokenize --model " + model, tokenized.out);
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(text.out, "\"hello world\"\n\"\"\n\"cafe!\"\n");
  const CliResult kept = run_cli("detokenize --keep-special-tokens --model " + model, "[101,7592,102]\n");
  EXPECT_EQ(kept.out, "\"[CLS] hello [SEP]\"\n");
}

TEST(TokenizeCli, Errors) {
  const std::string model = tokenizer_data("minilm_vocab");
  const CliResult bad = run_cli("detokenize --model " + model, "[101,102]\n[1, \"x\"]\n");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("error: invalid input: line 2: "), std::string::npos) << bad.err;
  const CliResult garbage = run_cli("detokenize --model " + model, "not json\n");
  EXPECT_NE(garbage.err.find("error: invalid input: line 1: "), std::string::npos) << garbage.err;
  const CliResult none = run_cli("tokenize", "x\n");
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("--model DIR or --tokenizer FILE"), std::string::npos) << none.err;
  const CliResult missing = run_cli("tokenize --model /no/such/folder", "x\n");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("error: "), std::string::npos);
}

}  // namespace
}  // namespace packformer::test
