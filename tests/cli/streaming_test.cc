// embed / classify streamed through the runtime's Batcher: thousands of lines give the same
// numbers, in the same order, as the library run batch by batch in input order (what the CLI
// did before it streamed); --format npy holds the same floats; stderr stays empty unless asked.
#include <cstring>

#include "cli/cli_test_util.h"

namespace packformer::test {
namespace {

using ::testing::MatchesRegex;

// 3000 lines of 1..40 words drawn from the test sentences: many lengths, some truncated at
// the tiny model's 24 tokens.
std::string mixed_lines(size_t count) {
  std::vector<std::string> words;
  std::istringstream text(read_file(data_dir() / "sentences.txt"));
  for (std::string word; text >> word;) words.push_back(word);
  std::mt19937 rng(7);
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    const size_t n = 1 + rng() % 40;
    for (size_t w = 0; w < n; ++w) out += (w ? " " : "") + words[rng() % words.size()];
    out += "\n";
  }
  return out;
}

// `count` lines of token ids, 1..60 long, for the models without a tokenizer.
std::string id_lines(size_t count) {
  std::mt19937 rng(11);
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    out += "[2";
    for (size_t t = 0, n = rng() % 59; t < n; ++t) out += ", " + std::to_string(5 + rng() % 90);
    out += "]\n";
  }
  return out;
}

// The reference: the library on the same lines, 32 at a time in input order, one thread.
std::vector<std::vector<float>> library_rows(const std::string& model_name, const std::string& input, unsigned output,
                                             bool ids = false) {
  const auto encoder = Encoder::load(tiny_model(model_name), {.threads = 1, .load_tokenizer = !ids});
  const auto lines = split_lines(input);
  std::vector<std::vector<float>> rows;
  for (size_t first = 0; first < lines.size(); first += 32) {
    const std::vector<std::string> chunk(lines.begin() + first, lines.begin() + std::min(lines.size(), first + 32));
    EncoderInput batch;
    if (ids)
      for (const auto& line : chunk) batch.ids.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
    else
      batch = encoder->tokenize(chunk);
    const EncoderOutput out = encoder->run(batch, output);
    const std::vector<float>& values = output == kLogits ? out.logits : out.sentence_embeddings;
    const int64_t width = output == kLogits ? out.num_labels : out.hidden_size;
    for (int64_t b = 0; b < out.batch_size(); ++b)
      rows.emplace_back(values.begin() + b * width, values.begin() + (b + 1) * width);
  }
  return rows;
}

class StreamingTest : public CliTest {
 protected:
  static void SetUpTestSuite() {
    input_ = new std::string(mixed_lines(3000));
    expected_ = new std::vector<std::vector<float>>(library_rows("tiny-minilm", *input_, kSentenceEmbedding));
  }
  static void TearDownTestSuite() {
    delete input_;
    delete expected_;
  }
  static inline std::string* input_ = nullptr;
  static inline std::vector<std::vector<float>>* expected_ = nullptr;
};

// Packed rows never mix, so any batching gives the same bits (tests/runtime/batcher_test.cc);
// %.9g round-trips floats, so the JSON holds exactly those bits.
TEST_F(StreamingTest, EmbedOfThousandsOfLinesEqualsTheLibraryInOrder) {
  for (const char* batching : {"", " --sessions 3 --max-batch-tokens 200 --batch-size 7"}) {
    SCOPED_TRACE(batching);
    const CliResult r = run("embed " + model("tiny-minilm") + " --threads 1" + batching, *input_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Nothing but the truncation warning: no progress line or summary when stderr is a file.
    EXPECT_THAT(r.err, MatchesRegex("warning: [0-9]+ of 3000 inputs were longer than 24 tokens and were truncated\n"));
    const auto values = json_lines(r.out);
    ASSERT_EQ(values.size(), expected_->size());
    for (size_t i = 0; i < values.size(); ++i)
      ASSERT_EQ(values[i].get<std::vector<float>>(), (*expected_)[i]) << "line " << i + 1;
  }
}

TEST_F(StreamingTest, VerboseAddsOneSummaryLine) {
  const CliResult r = run("embed " + model("tiny-minilm") + " --ids --verbose", "[2, 10, 3]\n[2, 3]\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, MatchesRegex("2 lines, 5 tokens in [0-9.]+ s: [0-9.]+ lines/s, [0-9]+ tokens/s\n"));
}

// A .npy v1.0 file: magic, version, little-endian header length, a dict padded to a 64-byte
// multiple ending in "\n", then rows x 48 float32.
std::vector<std::vector<float>> parse_npy(const std::string& bytes, size_t columns) {
  EXPECT_GE(bytes.size(), 10u);
  if (bytes.size() < 10) return {};
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_EQ((10 + header_len) % 64, 0u);
  const std::string dict = bytes.substr(10, header_len);
  EXPECT_EQ(dict.back(), '\n');
  EXPECT_THAT(dict, HasSubstr("'descr': '<f4'"));
  EXPECT_THAT(dict, HasSubstr("'fortran_order': False"));
  const size_t shape = dict.find("'shape': (");
  EXPECT_NE(shape, std::string::npos);
  if (shape == std::string::npos) return {};
  const size_t rows = std::stoull(dict.substr(shape + 10));
  EXPECT_THAT(dict.substr(shape), HasSubstr(", " + std::to_string(columns) + ")"));
  EXPECT_EQ(bytes.size(), 10 + header_len + rows * columns * sizeof(float));
  std::vector<std::vector<float>> out(rows, std::vector<float>(columns));
  for (size_t r = 0; r < rows && 10 + header_len + (r + 1) * columns * 4 <= bytes.size(); ++r)
    std::memcpy(out[r].data(), bytes.data() + 10 + header_len + r * columns * 4, columns * 4);
  return out;
}

TEST_F(StreamingTest, NpyHoldsTheJsonLinesFloats) {
  const auto file = tmp_.path() / "out.npy";
  // To a file: the header is rewritten at the end.
  const CliResult r =
      run("embed " + model("tiny-minilm") + " --threads 1 --format npy --output " + quote(file.string()), *input_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(parse_npy(read_file(file), 48), *expected_);
  // To a pipe, which cannot seek: the rows are held and written at the end.
  const auto in = tmp_.path() / "in.txt", piped = tmp_.path() / "piped.npy";
  write_file(in, *input_);
  const std::string command = quote(PACKFORMER_CLI) + " embed " + model("tiny-minilm") + " --threads 1 --format npy < " +
                              quote(in.string()) + " 2>/dev/null | cat > " + quote(piped.string());
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(parse_npy(read_file(piped), 48), *expected_);
  // No input: an empty [0, 48] array.
  EXPECT_TRUE(parse_npy(run("embed " + model("tiny-minilm") + " --format npy", "").out, 48).empty());
}

TEST_F(StreamingTest, NpyIsForEmbedOnly) {
  const CliResult r = run("classify " + model("tiny-bert-cls") + " --ids --format npy", "[2, 3]\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--format"));
}

TEST_F(StreamingTest, ClassifyThroughSeveralSessionsEqualsTheLibrary) {
  const std::string input = id_lines(300);
  const CliResult r =
      run("classify " + model("tiny-roberta") + " --ids --threads 1 --sessions 2 --max-batch-tokens 100", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto values = json_lines(r.out);
  const auto expected = library_rows("tiny-roberta", input, kLogits, /*ids=*/true);
  ASSERT_EQ(values.size(), expected.size());
  // Not bitwise: the classifier head multiplies the batch's [B, hidden] rows at once, and its
  // GEMM sums in an order that depends on B (measured: 286 of 300 lines differ, by at most 9.5e-7).
  for (size_t i = 0; i < values.size(); ++i) {
    const auto got = values[i]["logits"].get<std::vector<float>>();
    ASSERT_EQ(got.size(), expected[i].size());
    EXPECT_LE(max_abs_diff(got.data(), expected[i].data(), got.size()), 1e-5f) << "line " << i + 1;
  }
}

// Batches fail while later chunks are still being read (3000 lines: more than the queue holds,
// so results are collected while reading): the batch's own error reaches the
// user (not a broken-future error from writing the failed result twice).
TEST_F(StreamingTest, ABatchFailingMidStreamReportsItsOwnError) {
  expect_error(run("embed " + model("tiny-minilm") + " --ids --batch-size 5 --max-memory 1K", id_lines(3000)),
               {"error: out of memory: ", "--max-memory"});
}

// The last results are written when the input ends; a write error there is an error too.
TEST_F(StreamingTest, WriteErrorAtTheEndIsReported) {
  expect_error(run("embed " + model("tiny-minilm") + " --ids --output /dev/full", id_lines(3)),
               {"writing output '/dev/full' failed"});
}

TEST_F(StreamingTest, LineLongerThanTheTokenBudgetIsAnError) {
  expect_error(run("embed " + model("tiny-minilm") + " --ids --max-batch-tokens 4", "[2, 3]\n[2, 10, 11, 12, 3]\n"),
               {"line 2 has 5 tokens, more than --max-batch-tokens (4)"});
}

}  // namespace
}  // namespace packformer::test
