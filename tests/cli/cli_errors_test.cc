// The packformer binary end to end: embed / classify / hidden on the tiny models with --ids,
// and every user mistake gives a non-zero exit code, one "error: ..." line on stderr naming
// the problem, and nothing on stdout.
#include <algorithm>

#include "cli/cli_test_util.h"

namespace packformer::test {
namespace {

// tiny-minilm: vocab 512, hidden 48, max_length 24. Ids 2 = [CLS], 3 = [SEP].
const std::string kMiniLmIds = "[2, 10, 20, 30, 3]\n[2, 3]\n[2, 100, 200, 300, 400, 500, 3]\n[2, 7, 3]\n";

TEST_F(CliTest, EmbedIds) {
  const CliResult r = run("embed " + model("tiny-minilm") + " --ids", kMiniLmIds);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto values = json_lines(r.out);
  ASSERT_EQ(values.size(), 4u);
  for (const auto& v : values) {
    ASSERT_TRUE(v.is_array());
    ASSERT_EQ(v.size(), 48u);
    for (const auto& x : v) EXPECT_TRUE(x.is_number());
  }
  EXPECT_NE(values[0], values[1]);

  // Same numbers as the library. The CLI runs its default (fast) path and the library here the
  // slow reference; DESIGN.md bounds their difference by 1e-5 on fp32. %.9g printing
  // round-trips a float exactly, so the tolerance covers only the path difference.
  const auto encoder = Encoder::load(tiny_model("tiny-minilm"), {.threads = 0, .load_tokenizer = false});
  EncoderInput input;
  for (const auto& line : split_lines(kMiniLmIds)) input.ids.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
  const EncoderOutput expected = encoder->run(input, kSentenceEmbedding, {ExecutionPath::Slow, false});
  for (size_t b = 0; b < values.size(); ++b) {
    const auto got = values[b].get<std::vector<float>>();
    EXPECT_LE(max_abs_diff(got.data(), expected.sentence_embeddings.data() + b * 48, 48), 1e-5f) << "line " << b + 1;
  }
}

TEST_F(CliTest, EmbedInputAndOutputFiles) {
  const auto input = tmp_.path() / "ids.txt", output = tmp_.path() / "out.jsonl";
  write_file(input, kMiniLmIds);
  const CliResult r =
      run("embed " + model("tiny-minilm") + " --ids --input " + quote(input.string()) + " --output " + quote(output.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const CliResult to_stdout = run("embed " + model("tiny-minilm") + " --ids", kMiniLmIds);
  EXPECT_EQ(read_file(output), to_stdout.out);
}

// The golden batch of a tiny model (tests/data/golden/NAME.safetensors, from transformers) as
// --ids input lines: each sequence at its real length. Only sequences whose token type ids are
// all 0 can go through --ids, which has no type ids; `rows` gets their golden row numbers.
std::string golden_id_lines(const Golden& golden, std::vector<size_t>& rows) {
  const EncoderInput input = golden.input();
  std::string lines;
  for (size_t b = 0; b < input.ids.size(); ++b) {
    const bool typed = !input.type_ids.empty();  // DistilBERT goldens have no type ids
    if (typed && std::any_of(input.type_ids[b].begin(), input.type_ids[b].end(), [](int32_t t) { return t != 0; }))
      continue;
    lines += nlohmann::json(input.ids[b]).dump() + "\n";
    rows.push_back(b);
  }
  return lines;
}

// fp32 on both sides (the CLI's %.9g round-trips a float); the golden tolerance of
// tiny_models_test: summation order differs from PyTorch's by a few ulps of values around 1.
constexpr float kGoldenTolerance = 1e-5f;

class CliGoldenTest : public CliTest {
 protected:
  // `classify` against transformers' logits; the label is config.json's id2label
  // (transformers' LABEL_i where the config has none) of the golden's largest logit.
  void expect_classify_matches_golden(const std::string& name, size_t expected_rows);
};

void CliGoldenTest::expect_classify_matches_golden(const std::string& name, size_t expected_rows) {
  const Golden golden(name);
  std::vector<size_t> rows;
  const std::string input = golden_id_lines(golden, rows);
  ASSERT_EQ(rows.size(), expected_rows) << name;
  const CliResult r = run("classify " + model(name) + " --ids", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto values = json_lines(r.out);
  ASSERT_EQ(values.size(), rows.size());
  const auto config = nlohmann::json::parse(read_file(tiny_model(name) / "config.json"));
  const auto expected = golden.floats("logits");
  const size_t labels = static_cast<size_t>(golden.shape("logits")[1]);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& v = values[i];
    ASSERT_TRUE(v.is_object()) << v;
    EXPECT_EQ(v.size(), 2u) << v;
    ASSERT_TRUE(v.contains("label") && v["label"].is_string()) << v;
    ASSERT_TRUE(v.contains("logits") && v["logits"].is_array()) << v;
    const auto logits = v["logits"].get<std::vector<float>>();
    ASSERT_EQ(logits.size(), labels) << v;
    const float* want = expected.data() + rows[i] * labels;
    EXPECT_LE(max_abs_diff(logits.data(), want, labels), kGoldenTolerance) << name << " row " << rows[i] << ": " << v;
    const std::string best = std::to_string(std::max_element(want, want + labels) - want);
    const std::string label = config.contains("id2label") ? config["id2label"].at(best).get<std::string>() : "LABEL_" + best;
    EXPECT_EQ(v["label"].get<std::string>(), label) << name << " row " << rows[i];
  }
}

TEST_F(CliGoldenTest, ClassifyIdsMatchesTransformers) {
  // tiny-roberta: 2 labels, no id2label, no type ids (all 5 golden sequences).
  expect_classify_matches_golden("tiny-roberta", 5);
  // tiny-bert-cls: a sharded checkpoint with id2label negative / neutral / positive; its golden
  // sets type id 1 on the second half of every sequence but the length-1 one.
  expect_classify_matches_golden("tiny-bert-cls", 1);
  // tiny-distilbert-cls: DistilBERT's pre_classifier + ReLU head, no token types at all.
  expect_classify_matches_golden("tiny-distilbert-cls", 5);
  // tiny-mpnet-cls: MPNet (relative position bias), RoBERTa's head, lengths up to 140.
  expect_classify_matches_golden("tiny-mpnet-cls", 5);
}

TEST_F(CliGoldenTest, HiddenIdsMatchesTransformers) {
  // tiny-roberta: hidden 64, golden lengths 7, 1, 13, 4, 16, compared at real positions only.
  const Golden golden("tiny-roberta");
  std::vector<size_t> rows;
  const std::string input = golden_id_lines(golden, rows);
  ASSERT_EQ(rows.size(), 5u);
  const CliResult r = run("hidden " + model("tiny-roberta") + " --ids", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto values = json_lines(r.out);
  ASSERT_EQ(values.size(), rows.size());
  const EncoderInput ids = golden.input();
  const auto expected = golden.floats("last_hidden_state");
  const size_t padded = static_cast<size_t>(golden.shape("last_hidden_state")[1]), h = 64;
  ASSERT_EQ(static_cast<size_t>(golden.shape("last_hidden_state")[2]), h);
  float worst = 0.0f;
  for (size_t b = 0; b < rows.size(); ++b) {
    ASSERT_TRUE(values[b].is_array());
    ASSERT_EQ(values[b].size(), ids.ids[b].size()) << "line " << b + 1;
    for (size_t t = 0; t < values[b].size(); ++t) {
      const auto token = values[b][t].get<std::vector<float>>();
      ASSERT_EQ(token.size(), h);
      worst = max_or_nan(worst, max_abs_diff(token.data(), expected.data() + (b * padded + t) * h, h));
    }
  }
  EXPECT_LE(worst, kGoldenTolerance);
}

TEST_F(CliTest, BatchSizeDoesNotChangeOutputOrOrder) {
  std::string input;
  for (int i = 0; i < 7; ++i) {
    input += "[2";
    for (int t = 0; t <= 3 * i % 11; ++t) input += ", " + std::to_string(5 + 37 * i + t);
    input += ", 3]\n";
  }
  const CliResult one = run("hidden " + model("tiny-bert") + " --ids --batch-size 1", input);
  const CliResult three = run("hidden " + model("tiny-bert") + " --ids --batch-size 3", input);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(three.exit_code, 0) << three.err;
  const auto a = json_lines(one.out), b = json_lines(three.out);
  ASSERT_EQ(a.size(), 7u);
  ASSERT_EQ(b.size(), 7u);
  // Batches of 1 and 3 pad differently and run GEMMs of different row counts, so results may
  // move by rounding; 1e-5 is DESIGN.md's bound for fp32 layouts of the same batch. Different
  // lines differ by far more (std ~1 hidden states), so order is checked too.
  for (size_t i = 0; i < 7; ++i) {
    ASSERT_EQ(a[i].size(), b[i].size()) << "line " << i + 1;
    for (size_t t = 0; t < a[i].size(); ++t) {
      const auto x = a[i][t].get<std::vector<float>>(), y = b[i][t].get<std::vector<float>>();
      ASSERT_EQ(x.size(), 32u);
      EXPECT_LE(max_abs_diff(x.data(), y.data(), 32), 1e-5f) << "line " << i + 1 << " token " << t;
    }
  }
  // Embeddings too, where each line has one vector.
  const CliResult e1 = run("embed " + model("tiny-minilm") + " --ids --batch-size 1", kMiniLmIds);
  const CliResult e3 = run("embed " + model("tiny-minilm") + " --ids --batch-size 3", kMiniLmIds);
  const auto ea = json_lines(e1.out), eb = json_lines(e3.out);
  ASSERT_EQ(ea.size(), 4u);
  ASSERT_EQ(eb.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const auto x = ea[i].get<std::vector<float>>(), y = eb[i].get<std::vector<float>>();
    EXPECT_LE(max_abs_diff(x.data(), y.data(), 48), 1e-5f) << "line " << i + 1;
  }
}

TEST_F(CliTest, EmptyInputGivesNoOutput) {
  const CliResult r = run("embed " + model("tiny-minilm") + " --ids", "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTest, MaxLengthTruncates) {
  // Lengths 6, 3, 10 cut to 4: two inputs truncated, one warning line.
  const CliResult r = run("hidden " + model("tiny-bert") + " --ids --max-length 4",
                          "[2, 10, 11, 12, 13, 3]\n[2, 10, 3]\n[2, 20, 21, 22, 23, 24, 25, 26, 27, 3]\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto values = json_lines(r.out);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0].size(), 4u);
  EXPECT_EQ(values[1].size(), 3u);
  EXPECT_EQ(values[2].size(), 4u);
  const auto warnings = split_lines(r.err);
  ASSERT_EQ(warnings.size(), 1u) << r.err;
  EXPECT_THAT(warnings[0], AllOf(StartsWith("warning: "), HasSubstr("2 of 3 inputs"), HasSubstr("4 tokens"),
                                 HasSubstr("truncated")));

  // Truncation keeps the first tokens: the same as giving the cut ids (identical computation:
  // same batch shapes, same ids, so an exact comparison).
  const CliResult cut = run("hidden " + model("tiny-bert") + " --ids", "[2, 10, 11, 12]\n[2, 10, 3]\n[2, 20, 21, 22]\n");
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_EQ(cut.out, r.out);
  EXPECT_EQ(cut.err, "");
}

TEST_F(CliTest, ModelMaximumLengthTruncates) {
  // tiny-minilm accepts 24 tokens (sentence_bert_config.json); 30 ids are cut to 24.
  std::string long_line = "[2";
  for (int i = 0; i < 28; ++i) long_line += ", " + std::to_string(10 + i);
  long_line += ", 3]";
  const CliResult r = run("hidden " + model("tiny-minilm") + " --ids", long_line + "\n[2, 3]\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto values = json_lines(r.out);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0].size(), 24u);
  EXPECT_EQ(values[1].size(), 2u);
  ASSERT_EQ(split_lines(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, AllOf(StartsWith("warning: "), HasSubstr("1 of 2 inputs"), HasSubstr("24 tokens")));
}

// --- errors ---

TEST_F(CliTest, MissingModelFolder) {
  const auto missing = tmp_.path() / "no-such-model";
  expect_error(run("embed --model " + quote(missing.string()) + " --ids", kMiniLmIds),
               {missing.string(), "model folder not found"});
}

TEST_F(CliTest, BadIdLines) {
  const std::pair<const char*, const char*> cases[] = {
      {"[1, 2", "expected a JSON array of token ids"},
      {"hello", "expected a JSON array of token ids"},
      {"{\"ids\": [1]}", "expected a JSON array of token ids"},
      {"[]", "the array of token ids is empty"},
      {"[-1]", "non-negative integers, got -1"},
      {"[1.5]", "non-negative integers, got 1.5"},
      {"[\"7\"]", "non-negative integers, got \"7\""},
      {"[99999999999]", "non-negative integers, got 99999999999"},
      {"", "expected a JSON array of token ids"},
  };
  for (const auto& [line, why] : cases) {
    SCOPED_TRACE(line);
    // The bad line is line 3, after two good ones.
    expect_error(run("embed " + model("tiny-minilm") + " --ids", "[2, 3]\n[2, 5, 3]\n" + std::string(line) + "\n[2, 3]\n"),
                 {"line 3: ", why});
  }
}

TEST_F(CliTest, IdOutsideVocabulary) {
  expect_error(run("embed " + model("tiny-minilm") + " --ids", "[2, 3]\n[2, 512, 3]\n"),
               {"line 2: ", "token id 512", "outside the vocabulary [0, 512)"});
  // In a later batch the message still names the input line, not the position in the batch
  // (it used to say "sequence 1"). Output is streamed batch by batch, so the first batch's two
  // lines are already out when the second batch fails.
  const CliResult r =
      run("embed " + model("tiny-minilm") + " --ids --batch-size 2", "[2, 3]\n[2, 3]\n[2, 3]\n[2, 600, 3]\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json_lines(r.out).size(), 2u);
  EXPECT_THAT(r.err, AllOf(StartsWith("error: "), HasSubstr("line 4: "), HasSubstr("token id 600")));
}

TEST_F(CliTest, BatchSizeZero) {
  expect_error(run("embed " + model("tiny-minilm") + " --ids --batch-size 0", kMiniLmIds), {"--batch-size"});
}

TEST_F(CliTest, ClassifyWithoutHead) {
  expect_error(run("classify " + model("tiny-bert") + " --ids", "[2, 3]\n"),
               {tiny_model("tiny-bert").string(), "no sequence-classification head"});
}

TEST_F(CliTest, InputFileMissing) {
  const auto missing = tmp_.path() / "missing.txt";
  expect_error(run("embed " + model("tiny-minilm") + " --ids --input " + quote(missing.string())),
               {"cannot open input file", missing.string(), "No such file or directory"});
}

TEST_F(CliTest, OutputFolderMissing) {
  const auto output = tmp_.path() / "no-such-dir" / "out.jsonl";
  expect_error(run("embed " + model("tiny-minilm") + " --ids --output " + quote(output.string()), kMiniLmIds),
               {"cannot open output file", output.string(), "No such file or directory"});
  EXPECT_FALSE(std::filesystem::exists(output.parent_path()));
}

TEST_F(CliTest, BrokenModelFile) {
  // A model whose weights are cut short: the loader's message reaches the user.
  const auto dir = tmp_.path() / "broken";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(tiny_model("tiny-bert") / "config.json", dir / "config.json");
  const std::string weights = read_file(tiny_model("tiny-bert") / "model.safetensors");
  write_file(dir / "model.safetensors", weights.substr(0, weights.size() - 1));
  expect_error(run("hidden --model " + quote(dir.string()) + " --ids", "[2, 3]\n"),
               {"invalid model", (dir / "model.safetensors").string(), "truncated"});
}

}  // namespace
}  // namespace packformer::test
