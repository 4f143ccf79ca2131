// Hostile input through the packformer binary: huge lines, invalid UTF-8 through every tokenizer
// model, ids nested to any depth, NUL bytes, and batches over --max-memory. Each gets a
// result or a clear error with a non-zero exit code, never a crash.
#include "cli/cli_test_util.h"

namespace packformer::test {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

TEST_F(CliTest, HundredMegabyteLineIsRefusedClearly) {
  const std::string line(100u << 20, 'a');
  const auto input = tmp_.path() / "huge.txt";
  write_file(input, "hello\n" + line + "\nworld\n");
  for (const char* command : {"embed", "tokenize"}) {
    SCOPED_TRACE(command);
    expect_error(run(std::string(command) + " " + model("tiny-minilm") + " --input " + quote(input.string())),
                 {"invalid input", "input line 2 is longer than 8388608 bytes"});
  }
}

TEST_F(CliTest, LongLineUnderTheLimitIsTokenizedAndTruncated) {
  std::string line;
  while (line.size() < (2u << 20)) line += "hello world ";
  const CliResult r = run("embed " + model("tiny-minilm"), line + "\nhello\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out).size(), 2u);
  EXPECT_THAT(r.err, HasSubstr("1 of 2 inputs were longer than 24 tokens"));
}

// Invalid UTF-8 is read as Python's bytes.decode(errors="replace") reads it: each maximal
// ill-formed subsequence becomes one U+FFFD. So each bad line tokenizes exactly as its
// replaced form, with every tokenizer model the CLI can load.
TEST_F(CliTest, InvalidUtf8TokenizesAsReplacementCharacters) {
  const std::string bad = "a\xff" "b\n\xE2\x82(\n\xF0\x9F\x98\n\xED\xA0\x80 ok\n\xC0\n";
  const std::string replaced = "a" + kReplacement + "b\n" + kReplacement + "(\n" + kReplacement + "\n" +
                               kReplacement + kReplacement + kReplacement + " ok\n" + kReplacement + "\n";
  const auto tokenizers = data_dir() / "tokenizer";
  for (const std::string file : {"minilm/tokenizer.json", "wordpiece/tokenizer.json", "bpe/tokenizer.json",
                                 "gpt4/tokenizer.json", "llama/tokenizer.json", "unigram/tokenizer.json",
                                 "metaspace/tokenizer.json", "spm/sentencepiece.bpe.model", "minilm_vocab/vocab.txt"}) {
    SCOPED_TRACE(file);
    const std::string args = "tokenize --tokenizer " + quote((tokenizers / file).string());
    const CliResult from_bad = run(args, bad), from_replaced = run(args, replaced);
    ASSERT_EQ(from_bad.exit_code, 0) << from_bad.err;
    EXPECT_EQ(split_lines(from_bad.out).size(), 5u);
    EXPECT_EQ(from_bad.out, from_replaced.out);
  }
}

TEST_F(CliTest, InvalidUtf8EmbedsLikeReplacementCharacters) {
  const CliResult from_bad = run("embed " + model("tiny-minilm"), "caf\xe9 \xff\xfe\n\xC3\n");
  const CliResult from_replaced =
      run("embed " + model("tiny-minilm"), "caf" + kReplacement + " " + kReplacement + kReplacement + "\n" + kReplacement + "\n");
  ASSERT_EQ(from_bad.exit_code, 0) << from_bad.err;
  EXPECT_EQ(json_lines(from_bad.out).size(), 2u);
  EXPECT_EQ(from_bad.out, from_replaced.out);
}

TEST_F(CliTest, DeeplyNestedIdLineIsAClearError) {
  // Echoing the bad value used to dump() it, one recursion per nesting level.
  const std::string nested = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  expect_error(run("embed " + model("tiny-minilm") + " --ids", "[2, 3]\n[" + nested + "]\n"),
               {"line 2: ", "token ids must be non-negative integers, got an array"});
}

TEST_F(CliTest, NulByteInIdLineIsAnError) {
  // nlohmann's parser stops at NUL, so "[2, 3]\0..." was read as [2, 3].
  expect_error(run("embed " + model("tiny-minilm") + " --ids", std::string("[2, 3]\0[9]\n", 11)),
               {"line 1: ", "contains a NUL byte"});
}

TEST_F(CliTest, BatchOverMaxMemoryIsRefused) {
  const std::string ids = "[2, 10, 20, 30, 3]\n[2, 3]\n";
  for (const char* path : {"--path slow", "--path fast --sparsity off", "--path fast --sparsity on"}) {
    SCOPED_TRACE(path);
    expect_error(run("embed " + model("tiny-minilm") + " --ids --max-memory 1K " + path, ids),
                 {"error: out of memory: the batch needs ", "at most 1024 bytes", "--max-memory"});
    const CliResult fits = run("embed " + model("tiny-minilm") + " --ids --max-memory 64M " + path, ids);
    EXPECT_EQ(fits.exit_code, 0) << fits.err;
    EXPECT_EQ(json_lines(fits.out).size(), 2u);
  }
}

TEST_F(CliTest, MaxMemoryMustBeASize) {
  for (const char* value : {"banana", "0", "0.1", "12Q", "1e30"}) {
    SCOPED_TRACE(value);
    expect_error(run("embed " + model("tiny-minilm") + " --ids --max-memory " + quote(value), "[2, 3]\n"),
                 {"--max-memory", "is not a size"});
  }
}

}  // namespace
}  // namespace packformer::test
