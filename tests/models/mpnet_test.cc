// MPNet beyond the shared tiny-model goldens (tiny_models_test.cc): the relative-position
// buckets against transformers' function, texts through the folder's tokenizer against
// SentenceTransformer.encode, both weight-name forms, and the config/weight errors.
// Goldens: scripts/golden/mpnet.py (make_golden.py mpnet).
#include <gmock/gmock.h>

#include <nlohmann/json.hpp>

#include "layers/relative_position_bias.h"
#include "loader/safetensors_test_files.h"
#include "test_util.h"

namespace packformer::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const EncoderOptions kIdsOnly{.threads = 0, .load_tokenizer = false};

const RunOptions kPaths[] = {{ExecutionPath::Slow, false}, {ExecutionPath::Fast, false}, {ExecutionPath::Fast, true}};

const char* path_name(const RunOptions& options) {
  return options.path == ExecutionPath::Slow ? "slow" : options.sparsity ? "fast packed" : "fast padded";
}

nlohmann::json read_json(const std::filesystem::path& path) { return nlohmann::json::parse(read_file(path)); }

TEST(MPNet, BucketsMatchTransformers) {
  const auto golden = read_json(data_dir() / "golden" / "mpnet-buckets.json");
  const int64_t first = golden["first_relative_position"].get<int64_t>();
  const auto buckets = golden["buckets"].get<std::vector<int64_t>>();
  ASSERT_EQ(buckets.size(), 1201u);
  size_t same = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    const int64_t relative = first + static_cast<int64_t>(i);
    const int64_t bucket = relative_position_bucket(relative, 32, 128);
    EXPECT_EQ(bucket, buckets[i]) << "relative position " << relative;
    same += bucket == buckets[i] ? 1 : 0;
  }
  EXPECT_EQ(same, buckets.size());
}

// The relative-position table the fast path builds: entry (head, offset) is the bucket's row.
TEST(MPNet, BiasTableIsIndexedByKeyMinusQuery) {
  const int64_t heads = 3, rows = 32;
  std::vector<float> values(static_cast<size_t>(rows * heads));
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  const RelativePositionBias bias(FloatTensor(values), heads, 32, 128);
  const int64_t max_len = 140;
  std::vector<float> table(static_cast<size_t>(bias.floats(max_len)));
  const PositionBias view = bias.fill(max_len, table.data());
  ASSERT_EQ(view.stride, 2 * max_len - 1);
  for (int64_t head = 0; head < heads; ++head)
    for (int64_t offset = -(max_len - 1); offset < max_len; ++offset)
      ASSERT_EQ(view.table[head * view.stride + view.center + offset],
                values[relative_position_bucket(offset, 32, 128) * heads + head])
          << "head " << head << " offset " << offset;
}

// Texts -> the folder's tokenizer (MPNet's <s> A </s>, lower-casing WordPiece) -> each path ->
// mean pooling + Normalize, against SentenceTransformer.encode. The last text is longer than
// max_seq_length (144) and is cut as sentence-transformers cuts it. Both sides are fp32 with
// other summation orders: measured differences are ~1e-7 on unit-norm embeddings.
TEST(MPNet, TextsMatchSentenceTransformers) {
  const auto golden = read_json(data_dir() / "golden" / "tiny-mpnet.texts.json");
  const auto texts = golden["texts"].get<std::vector<std::string>>();
  const auto expected_ids = golden["ids"].get<std::vector<std::vector<int32_t>>>();
  const auto expected = golden["sentence_embedding"].get<std::vector<std::vector<float>>>();
  const auto encoder = Encoder::load(tiny_model("tiny-mpnet"), {.threads = 0});
  ASSERT_NE(encoder->tokenizer(), nullptr);
  const EncoderInput input = encoder->tokenize(texts);
  ASSERT_EQ(input.ids, expected_ids);
  ASSERT_EQ(input.ids.back().size(), 144u) << "the long text must be truncated to max_seq_length";
  const int64_t h = encoder->info().hidden_size;
  for (const RunOptions& options : kPaths) {
    const EncoderOutput out = encoder->run(input, kSentenceEmbedding, options);
    ASSERT_EQ(out.sentence_embeddings.size(), texts.size() * h);
    double worst = 1.0;
    for (size_t i = 0; i < texts.size(); ++i) {
      const double c = cosine(out.sentence_embeddings.data() + i * h, expected[i].data(), h);
      worst = min_or_nan(worst, c);
      EXPECT_GE(c, 0.99999) << "text " << i << " path " << path_name(options);
      EXPECT_LE(max_abs_diff(out.sentence_embeddings.data() + i * h, expected[i].data(), h), 1e-5f)
          << "text " << i << " path " << path_name(options);
    }
    std::cout << "tiny-mpnet " << path_name(options) << ": worst cosine to sentence-transformers " << worst << "\n";
  }
}

TEST(MPNet, DescribesItself) {
  const auto st = Encoder::load(tiny_model("tiny-mpnet"), kIdsOnly);
  EXPECT_EQ(st->info().model_type, "mpnet");
  EXPECT_TRUE(st->info().has_pooler);
  EXPECT_TRUE(st->info().has_sentence_pooling);
  EXPECT_EQ(st->info().type_vocab_size, 0);
  EXPECT_EQ(st->info().max_length, 144);  // 146 positions minus padding_idx + 1
  const auto cls = Encoder::load(tiny_model("tiny-mpnet-cls"), kIdsOnly);
  EXPECT_EQ(cls->info().num_labels, 3);
  EXPECT_EQ(cls->info().id2label.at(2), "positive");
  EXPECT_FALSE(cls->info().has_pooler);
}

class MPNetFolders : public ::testing::Test {
 protected:
  std::filesystem::path copy_model(const std::string& name) {
    const auto dir = tmp_.path() / (std::to_string(++copies_) + "-" + name);
    std::filesystem::copy(tiny_model(name), dir, std::filesystem::copy_options::recursive);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
      std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    return dir;
  }
  template <typename Edit>
  std::filesystem::path with_config(const std::string& model, Edit edit) {
    const auto dir = copy_model(model);
    nlohmann::json config = read_json(dir / "config.json");
    edit(config);
    write_file(dir / "config.json", config.dump(2));
    return dir;
  }
  // The message of the InvalidModel error loading `dir` throws.
  static std::string load_message(const std::filesystem::path& dir) {
    const Error e = thrown_error([&] { Encoder::load(dir, kIdsOnly); });
    EXPECT_EQ(e.kind(), ErrorKind::InvalidModel) << e.what();
    return e.what();
  }
  TempDir tmp_;
  int copies_ = 0;
};

TEST_F(MPNetFolders, ConfigErrorsNameTheField) {
  auto dir = with_config("tiny-mpnet", [](nlohmann::json& c) { c["pad_token_id"] = 0; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("config.json"), HasSubstr("pad_token_id"), HasSubstr("must be 1")));
  dir = with_config("tiny-mpnet-cls", [](nlohmann::json& c) { c["relative_attention_num_buckets"] = 16; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("relative_attention_num_buckets"), HasSubstr("at least 32")));
  dir = with_config("tiny-mpnet-cls", [](nlohmann::json& c) { c["relative_attention_num_buckets"] = 32; });
  EXPECT_THAT(load_message(dir),  // the file's table has 48 rows
              AllOf(HasSubstr("mpnet.encoder.relative_attention_bias.weight"), HasSubstr("expected [32, 4]")));
  dir = with_config("tiny-mpnet", [](nlohmann::json& c) { c["num_attention_heads"] = 5; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("hidden_size"), HasSubstr("multiple of num_attention_heads")));
  dir = with_config("tiny-mpnet", [](nlohmann::json& c) { c["hidden_act"] = "mish_v2"; });
  EXPECT_THAT(thrown_error([&] { Encoder::load(dir, kIdsOnly); }).what(), HasSubstr("hidden_act"));
}

TEST_F(MPNetFolders, MissingWeightsAreNamed) {
  const auto dir = copy_model("tiny-mpnet-cls");
  const auto drop = [&](const std::string& name) { ASSERT_TRUE(drop_tensor(dir / "model.safetensors", name)) << name; };
  drop("classifier.dense.bias");
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr(dir.string()), HasSubstr("missing weight 'classifier.dense.bias'")));
  drop("mpnet.encoder.layer.1.attention.attn.o.weight");
  EXPECT_THAT(load_message(dir), HasSubstr("missing weight 'mpnet.encoder.layer.1.attention.attn.o.weight'"));
  drop("mpnet.encoder.relative_attention_bias.weight");
  EXPECT_THAT(load_message(dir), HasSubstr("missing weight 'mpnet.encoder.relative_attention_bias.weight'"));
}

// MPNetModel saves bare names; with the task models' "mpnet." prefix the same weights give
// bit-identical outputs.
TEST_F(MPNetFolders, PrefixedAndPlainNamesBothLoad) {
  const auto dir = copy_model("tiny-mpnet");
  std::vector<WriterTensor> tensors = read_tensors(SafetensorsFile(dir / "model.safetensors"));
  for (auto& t : tensors) t.name = "mpnet." + t.name;
  write_tensors(dir / "model.safetensors", tensors);
  const EncoderInput input = Golden("tiny-mpnet").input();
  const unsigned outputs = kHiddenStates | kPoolerOutput;
  const auto original = Encoder::load(tiny_model("tiny-mpnet"), kIdsOnly)->run(input, outputs);
  const auto prefixed = Encoder::load(dir, kIdsOnly)->run(input, outputs);
  EXPECT_EQ(original.hidden_states, prefixed.hidden_states);
  EXPECT_EQ(original.pooler_output, prefixed.pooler_output);
  EXPECT_FALSE(original.pooler_output.empty());
}

}  // namespace
}  // namespace packformer::test
