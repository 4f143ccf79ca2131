// Encoder::load on broken copies of the tiny models: each problem gives a typed error whose
// message names the file, field or tensor and what was expected. Plus the name variants a
// real checkpoint may use.
#include <gmock/gmock.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "loader/safetensors.h"
#include "loader/safetensors_test_files.h"
#include "packformer/encoder.h"
#include "packformer/error.h"
#include "test_util.h"

namespace packformer::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const EncoderOptions kIdsOnly{.threads = 0, .load_tokenizer = false};

std::optional<Error> load_error(const std::filesystem::path& dir) {
  try {
    Encoder::load(dir, kIdsOnly);
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-packformer exception: " << e.what();
    return std::nullopt;
  }
  ADD_FAILURE() << dir << " loaded without error";
  return std::nullopt;
}

// The message of the error loading `dir` throws, after checking its kind.
std::string load_message(const std::filesystem::path& dir, ErrorKind kind = ErrorKind::InvalidModel) {
  const auto error = load_error(dir);
  if (!error) return "";
  EXPECT_EQ(error->kind(), kind) << error->what();
  return error->what();
}

class LoaderErrors : public ::testing::Test {
 protected:
  // A private copy of a tiny model, free to break.
  std::filesystem::path copy_model(const std::string& name) {
    const auto dir = tmp_.path() / name;
    std::filesystem::copy(tiny_model(name), dir, std::filesystem::copy_options::recursive);
    // The committed weights are 0600; copies must stay writable for the tests.
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
      std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    return dir;
  }

  static nlohmann::json read_json(const std::filesystem::path& path) { return nlohmann::json::parse(read_file(path)); }
  static void write_json(const std::filesystem::path& path, const nlohmann::json& json) { write_file(path, json.dump(2)); }

  // Copies `model`, applies `edit` to its config.json and returns the folder.
  template <typename Edit>
  std::filesystem::path with_config(const std::string& model, Edit edit) {
    const auto dir = copy_model(model);
    nlohmann::json config = read_json(dir / "config.json");
    edit(config);
    write_json(dir / "config.json", config);
    return dir;
  }

  TempDir tmp_;
};

TEST_F(LoaderErrors, MissingFolder) {
  const auto dir = tmp_.path() / "no-such-model";
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr(dir.string()), HasSubstr("model folder not found")));
  // A file where the folder should be.
  write_file(dir, "x");
  EXPECT_THAT(load_message(dir), HasSubstr("model folder not found"));
}

TEST_F(LoaderErrors, NoConfigJson) {
  const auto dir = copy_model("tiny-bert");
  std::filesystem::remove(dir / "config.json");
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr((dir / "config.json").string()), HasSubstr("file not found")));
}

TEST_F(LoaderErrors, NoWeights) {
  const auto dir = copy_model("tiny-bert");
  std::filesystem::remove(dir / "model.safetensors");
  EXPECT_THAT(load_message(dir),
              AllOf(HasSubstr(dir.string()), HasSubstr("no model.safetensors or model.safetensors.index.json found")));
  // A pytorch_model.bin is not read; the message says how to convert it.
  write_file(dir / "pytorch_model.bin", "PK");
  EXPECT_THAT(load_message(dir), HasSubstr("safe_serialization=True"));
}

TEST_F(LoaderErrors, ConfigNotJson) {
  const auto dir = copy_model("tiny-bert");
  write_file(dir / "config.json", "{\"model_type\": \"bert\",");
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr((dir / "config.json").string()), HasSubstr("not valid JSON")));
  write_file(dir / "config.json", "[\"bert\"]");
  EXPECT_THAT(load_message(dir), HasSubstr("expected a JSON object"));
  write_file(dir / "config.json", "");
  EXPECT_THAT(load_message(dir), HasSubstr("not valid JSON"));
  // Text after a NUL byte must not be silently ignored.
  write_file(dir / "config.json", read_file(tiny_model("tiny-bert") / "config.json") + std::string("\0{", 2));
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("not valid JSON"), HasSubstr("NUL byte")));
}

TEST_F(LoaderErrors, UnsupportedModelType) {
  for (const char* type : {"gpt2", "llama"}) {
    const auto dir = with_config("tiny-bert", [&](nlohmann::json& c) { c["model_type"] = type; });
    EXPECT_THAT(load_message(dir, ErrorKind::Unsupported),
                AllOf(HasSubstr((dir / "config.json").string()), HasSubstr("field 'model_type'"),
                      HasSubstr("'" + std::string(type) + "' is not a supported encoder"),
                      HasSubstr("supported: bert, roberta, xlm-roberta")));
    std::filesystem::remove_all(dir);
  }
}

TEST_F(LoaderErrors, MissingModelType) {
  const auto dir = with_config("tiny-bert", [](nlohmann::json& c) { c.erase("model_type"); });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'model_type'"), HasSubstr("missing")));
}

TEST_F(LoaderErrors, HiddenSizeAsString) {
  const auto dir = with_config("tiny-bert", [](nlohmann::json& c) { c["hidden_size"] = "32"; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr((dir / "config.json").string()), HasSubstr("field 'hidden_size'"),
                                       HasSubstr("expected an integer, got string")));
}

TEST_F(LoaderErrors, HiddenSizeNotAnInteger) {
  const auto dir = with_config("tiny-bert", [](nlohmann::json& c) { c["hidden_size"] = 32.5; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'hidden_size'"), HasSubstr("expected an integer")));
}

TEST_F(LoaderErrors, HiddenSizeOutOfRange) {
  for (const nlohmann::json& value : {nlohmann::json(1000000000), nlohmann::json(0), nlohmann::json(-32),
                                      nlohmann::json(18446744073709551615ull)}) {
    const auto dir = with_config("tiny-bert", [&](nlohmann::json& c) { c["hidden_size"] = value; });
    EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'hidden_size'"), HasSubstr("value " + value.dump()),
                                         HasSubstr("outside the supported range")));
    std::filesystem::remove_all(dir);
  }
}

TEST_F(LoaderErrors, HeadsDoNotDivideHiddenSize) {
  const auto dir = with_config("tiny-bert", [](nlohmann::json& c) { c["num_attention_heads"] = 5; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'hidden_size'"),
                                       HasSubstr("must be a multiple of num_attention_heads (5)")));
}

TEST_F(LoaderErrors, UnknownActivation) {
  const auto dir = with_config("tiny-bert", [](nlohmann::json& c) { c["hidden_act"] = "mish_v2"; });
  EXPECT_THAT(load_message(dir, ErrorKind::Unsupported),
              AllOf(HasSubstr((dir / "config.json").string()), HasSubstr("field 'hidden_act'"), HasSubstr("'mish_v2'")));
}

TEST_F(LoaderErrors, UnsupportedPositionEmbeddings) {
  const auto dir = with_config("tiny-bert", [](nlohmann::json& c) { c["position_embedding_type"] = "relative_key"; });
  EXPECT_THAT(load_message(dir, ErrorKind::Unsupported),
              AllOf(HasSubstr("field 'position_embedding_type'"), HasSubstr("'relative_key' is not supported")));
}

TEST_F(LoaderErrors, MissingWeight) {
  const auto dir = copy_model("tiny-bert");
  const std::string dropped = "encoder.layer.1.attention.self.key.bias";
  ASSERT_TRUE(drop_tensor(dir / "model.safetensors", dropped));
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr(dir.string()), HasSubstr("missing weight '" + dropped + "'")));
}

TEST_F(LoaderErrors, RenamedWeightSameLength) {
  // Rename a tensor inside the header in place (same length, so every offset stays valid).
  const auto dir = copy_model("tiny-bert");
  const auto path = dir / "model.safetensors";
  std::string bytes = read_file(path);
  const std::string from = "\"encoder.layer.0.output.dense.weight\"", to = "\"encoder.layer.0.output.dense.wEight\"";
  const size_t at = bytes.find(from);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, from.size(), to);
  write_file(path, bytes);
  EXPECT_THAT(load_message(dir), HasSubstr("missing weight 'encoder.layer.0.output.dense.weight'"));
}

TEST_F(LoaderErrors, WeightWithWrongShape) {
  const auto dir = with_config("tiny-bert", [](nlohmann::json& c) { c["vocab_size"] = 500; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr((dir / "model.safetensors").string()),
                                       HasSubstr("weight 'embeddings.word_embeddings.weight'"),
                                       HasSubstr("has shape [512, 32], expected [500, 32]")));
}

TEST_F(LoaderErrors, WeightWithWrongShapeInShard) {
  const auto dir = with_config("tiny-bert-cls", [](nlohmann::json& c) { c["intermediate_size"] = 64; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("model-00002-of-00003.safetensors"),
                                       HasSubstr("weight 'bert.encoder.layer.0.intermediate.dense.weight'"),
                                       HasSubstr("has shape [80, 32], expected [64, 32]")));
}

TEST_F(LoaderErrors, WeightWithIntegerDtype) {
  const auto dir = copy_model("tiny-bert");
  const auto path = dir / "model.safetensors";
  std::vector<WriterTensor> tensors = read_tensors(SafetensorsFile(path));
  for (auto& t : tensors)
    if (t.name == "embeddings.LayerNorm.bias") t.dtype = "I32";  // same byte size as F32
  write_tensors(path, tensors);
  EXPECT_THAT(load_message(dir, ErrorKind::Unsupported),
              AllOf(HasSubstr("weight 'embeddings.LayerNorm.bias'"), HasSubstr("dtype I32")));
}

TEST_F(LoaderErrors, CorruptWeightsFile) {
  const auto dir = copy_model("tiny-bert");
  const std::string bytes = read_file(dir / "model.safetensors");
  write_file(dir / "model.safetensors", bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr((dir / "model.safetensors").string()), HasSubstr("truncated")));
}

TEST_F(LoaderErrors, IndexNamesMissingShard) {
  const auto dir = copy_model("tiny-bert-cls");
  std::filesystem::remove(dir / "model-00002-of-00003.safetensors");
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr((dir / "model-00002-of-00003.safetensors").string()),
                                       HasSubstr("No such file or directory")));
}

TEST_F(LoaderErrors, IndexShardEscapesFolder) {
  for (const char* shard : {"../x.safetensors", "/etc/passwd", "sub/x.safetensors", "..\\x.safetensors", "..", ""}) {
    const auto dir = copy_model("tiny-bert-cls");
    nlohmann::json index = read_json(dir / "model.safetensors.index.json");
    index["weight_map"]["bert.pooler.dense.bias"] = shard;
    write_json(dir / "model.safetensors.index.json", index);
    EXPECT_THAT(load_message(dir), AllOf(HasSubstr((dir / "model.safetensors.index.json").string()),
                                         HasSubstr("field 'weight_map.bert.pooler.dense.bias'"),
                                         HasSubstr("must be a file name inside the model folder")))
        << shard;
    std::filesystem::remove_all(dir);
  }
}

TEST_F(LoaderErrors, IndexMalformed) {
  const auto dir = copy_model("tiny-bert-cls");
  const auto index = dir / "model.safetensors.index.json";
  write_file(index, "{\"weight_map\": ");
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr(index.string()), HasSubstr("not valid JSON")));
  write_json(index, {{"metadata", {}}});
  EXPECT_THAT(load_message(dir), HasSubstr("field 'weight_map'"));
  write_json(index, {{"weight_map", nlohmann::json::object()}});
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'weight_map'"), HasSubstr("lists no shards")));
  write_json(index, {{"weight_map", {{"bert.pooler.dense.bias", 3}}}});
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'weight_map.bert.pooler.dense.bias'"), HasSubstr("file name")));
}

TEST_F(LoaderErrors, TensorInTwoShards) {
  // The same tensor stored in two shards is ambiguous.
  const auto dir = copy_model("tiny-bert-cls");
  const auto shard3 = dir / "model-00003-of-00003.safetensors";
  std::vector<WriterTensor> tensors = read_tensors(SafetensorsFile(shard3));
  const auto shard1 = read_tensors(SafetensorsFile(dir / "model-00001-of-00003.safetensors"));
  tensors.push_back(shard1.front());
  write_tensors(shard3, tensors);
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("'" + shard1.front().name + "'"), HasSubstr("appears twice")));
}

TEST_F(LoaderErrors, Id2LabelCountMismatch) {
  const auto dir = with_config("tiny-bert-cls", [](nlohmann::json& c) {
    c["id2label"] = {{"0", "negative"}, {"1", "positive"}};
  });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'id2label'"), HasSubstr("names 2 labels"),
                                       HasSubstr("'classifier.weight' has 3 rows")));
}

TEST_F(LoaderErrors, Id2LabelBadKey) {
  const auto dir = with_config("tiny-bert-cls", [](nlohmann::json& c) {
    c["id2label"] = {{"0", "negative"}, {"one", "neutral"}, {"2", "positive"}};
  });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'id2label'"), HasSubstr("key 'one' is not an integer")));
}

// DistilBERT's config.json names its geometry dim / n_layers / n_heads / hidden_dim / activation.
TEST_F(LoaderErrors, DistilBertConfigFields) {
  std::filesystem::path dir = with_config("tiny-distilbert", [](nlohmann::json& c) { c["dim"] = "24"; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr((dir / "config.json").string()), HasSubstr("field 'dim'"),
                                       HasSubstr("expected an integer, got string")));
  std::filesystem::remove_all(dir);
  dir = with_config("tiny-distilbert", [](nlohmann::json& c) { c.erase("n_layers"); });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'n_layers'"), HasSubstr("missing")));
  std::filesystem::remove_all(dir);
  dir = with_config("tiny-distilbert", [](nlohmann::json& c) { c["n_heads"] = 5; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'dim'"), HasSubstr("must be a multiple of n_heads (5)")));
  std::filesystem::remove_all(dir);
  dir = with_config("tiny-distilbert", [](nlohmann::json& c) { c["hidden_dim"] = 0; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'hidden_dim'"), HasSubstr("outside the supported range")));
  std::filesystem::remove_all(dir);
  dir = with_config("tiny-distilbert", [](nlohmann::json& c) { c["activation"] = "mish_v2"; });
  EXPECT_THAT(load_message(dir, ErrorKind::Unsupported),
              AllOf(HasSubstr((dir / "config.json").string()), HasSubstr("field 'activation'"), HasSubstr("'mish_v2'")));
  std::filesystem::remove_all(dir);
  dir = with_config("tiny-distilbert", [](nlohmann::json& c) { c["sinusoidal_pos_embds"] = true; });
  EXPECT_THAT(load_message(dir, ErrorKind::Unsupported),
              AllOf(HasSubstr((dir / "config.json").string()), HasSubstr("field 'sinusoidal_pos_embds'")));
  std::filesystem::remove_all(dir);
  dir = with_config("tiny-distilbert", [](nlohmann::json& c) { c["sinusoidal_pos_embds"] = "no"; });
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("field 'sinusoidal_pos_embds'"), HasSubstr("expected true or false")));
}

TEST_F(LoaderErrors, DistilBertMissingWeights) {
  const auto dir = copy_model("tiny-distilbert-cls");
  const auto drop = [&](const std::string& name) { ASSERT_TRUE(drop_tensor(dir / "model.safetensors", name)) << name; };
  drop("pre_classifier.bias");  // a classifier without its pre_classifier
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr(dir.string()), HasSubstr("missing weight 'pre_classifier.bias'")));
  drop("classifier.weight");
  EXPECT_THAT(load_message(dir), AllOf(HasSubstr("has 'pre_classifier.weight'"), HasSubstr("'classifier.weight'")));
  drop("distilbert.transformer.layer.1.ffn.lin2.weight");
  EXPECT_THAT(load_message(dir), HasSubstr("missing weight 'distilbert.transformer.layer.1.ffn.lin2.weight'"));
}

// --- what loads ---

class LoaderAccepts : public LoaderErrors {};

EncoderOutput run_golden_batch(const Encoder& encoder, const std::string& golden_name) {
  const Golden golden(golden_name);
  return encoder.run(golden.input(), kHiddenStates | kPoolerOutput | kLogits, {ExecutionPath::Slow, false});
}

TEST_F(LoaderAccepts, PrefixedAndPlainNamesBothLoad) {
  // tiny-bert-cls stores "bert.embeddings..." (sharded); tiny-bert stores "embeddings...".
  const SafetensorsFile shard(tiny_model("tiny-bert-cls") / "model-00001-of-00003.safetensors");
  ASSERT_NE(shard.find("bert.embeddings.word_embeddings.weight"), nullptr);
  const SafetensorsFile plain(tiny_model("tiny-bert") / "model.safetensors");
  ASSERT_NE(plain.find("embeddings.word_embeddings.weight"), nullptr);
  EXPECT_NO_THROW(Encoder::load(tiny_model("tiny-bert-cls"), kIdsOnly));
  EXPECT_NO_THROW(Encoder::load(tiny_model("tiny-bert"), kIdsOnly));

  // The same weights saved with the prefix added: identical outputs (same computation, so exact).
  const auto dir = copy_model("tiny-bert");
  std::vector<WriterTensor> tensors = read_tensors(SafetensorsFile(dir / "model.safetensors"));
  for (auto& t : tensors) t.name = "bert." + t.name;
  write_tensors(dir / "model.safetensors", tensors);
  const auto original = run_golden_batch(*Encoder::load(tiny_model("tiny-bert"), kIdsOnly), "tiny-bert");
  const auto prefixed = run_golden_batch(*Encoder::load(dir, kIdsOnly), "tiny-bert");
  EXPECT_EQ(original.hidden_states, prefixed.hidden_states);
  EXPECT_EQ(original.pooler_output, prefixed.pooler_output);
}

TEST_F(LoaderAccepts, DistilBertPrefixedAndPlainNamesBothLoad) {
  // tiny-distilbert (DistilBertModel) stores "transformer.layer..."; with the "distilbert."
  // prefix of the task models added, the same weights give bit-identical outputs.
  const SafetensorsFile plain(tiny_model("tiny-distilbert") / "model.safetensors");
  ASSERT_NE(plain.find("transformer.layer.0.attention.q_lin.weight"), nullptr);
  const auto dir = copy_model("tiny-distilbert");
  std::vector<WriterTensor> tensors = read_tensors(SafetensorsFile(dir / "model.safetensors"));
  for (auto& t : tensors) t.name = "distilbert." + t.name;
  write_tensors(dir / "model.safetensors", tensors);
  const auto original = run_golden_batch(*Encoder::load(tiny_model("tiny-distilbert"), kIdsOnly), "tiny-distilbert");
  const auto prefixed = run_golden_batch(*Encoder::load(dir, kIdsOnly), "tiny-distilbert");
  EXPECT_EQ(original.hidden_states, prefixed.hidden_states);
  EXPECT_FALSE(original.hidden_states.empty());
}

TEST_F(LoaderAccepts, DistilBertTokenClassifierIsIgnored) {
  // DistilBertForTokenClassification has `classifier` but no `pre_classifier`: not a head
  // packformer runs, so the folder loads as a plain encoder.
  const auto dir = copy_model("tiny-distilbert-cls");
  std::vector<WriterTensor> tensors = read_tensors(SafetensorsFile(dir / "model.safetensors"));
  std::erase_if(tensors, [](const WriterTensor& t) { return t.name.rfind("pre_classifier.", 0) == 0; });
  write_tensors(dir / "model.safetensors", tensors);
  const auto encoder = Encoder::load(dir, kIdsOnly);
  EXPECT_EQ(encoder->info().num_labels, 0);
  const auto original = run_golden_batch(*Encoder::load(tiny_model("tiny-distilbert-cls"), kIdsOnly), "tiny-distilbert-cls");
  const auto headless = run_golden_batch(*encoder, "tiny-distilbert-cls");
  EXPECT_EQ(original.hidden_states, headless.hidden_states);
  EXPECT_TRUE(headless.logits.empty());
}

TEST_F(LoaderAccepts, PositionIdsBufferIsIgnored) {
  const auto dir = copy_model("tiny-bert");
  std::vector<WriterTensor> tensors = read_tensors(SafetensorsFile(dir / "model.safetensors"));
  std::vector<int64_t> position_ids(64);
  for (int64_t i = 0; i < 64; ++i) position_ids[i] = i;
  tensors.insert(tensors.begin(), WriterTensor{"embeddings.position_ids", "I64", {1, 64}, le_bytes(position_ids)});
  write_tensors(dir / "model.safetensors", tensors, {{"format", "pt"}});
  ASSERT_NE(SafetensorsFile(dir / "model.safetensors").find("embeddings.position_ids"), nullptr);

  std::unique_ptr<Encoder> with_buffer;
  ASSERT_NO_THROW(with_buffer = Encoder::load(dir, kIdsOnly));
  const auto original = run_golden_batch(*Encoder::load(tiny_model("tiny-bert"), kIdsOnly), "tiny-bert");
  const auto loaded = run_golden_batch(*with_buffer, "tiny-bert");
  // Same weights, same path, same batch: bit-identical.
  EXPECT_EQ(original.hidden_states, loaded.hidden_states);
  EXPECT_EQ(original.pooler_output, loaded.pooler_output);
}

TEST_F(LoaderAccepts, ShardedAndSingleFileGiveSameModel) {
  // tiny-bert-cls merged into one model.safetensors loads and gives identical logits.
  const auto dir = copy_model("tiny-bert-cls");
  std::vector<WriterTensor> all;
  for (const char* shard : {"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                            "model-00003-of-00003.safetensors"}) {
    const auto part = read_tensors(SafetensorsFile(dir / shard));
    all.insert(all.end(), part.begin(), part.end());
    std::filesystem::remove(dir / shard);
  }
  std::filesystem::remove(dir / "model.safetensors.index.json");
  write_tensors(dir / "model.safetensors", all);
  const auto sharded = run_golden_batch(*Encoder::load(tiny_model("tiny-bert-cls"), kIdsOnly), "tiny-bert-cls");
  const auto single = run_golden_batch(*Encoder::load(dir, kIdsOnly), "tiny-bert-cls");
  EXPECT_EQ(sharded.logits, single.logits);
  EXPECT_EQ(sharded.logits.size(), 15u);
}

}  // namespace
}  // namespace packformer::test
