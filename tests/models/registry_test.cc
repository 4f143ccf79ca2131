// The architecture registry: every model_type it lists loads through the entry point of its
// kind (Encoder or Generator) from a real tiny model of that type, and the other entry point
// refuses it with an Unsupported error that names the type and the command to use.
#include <set>

#include "loader/json_file.h"
#include "models/registry.h"
#include "packformer/encoder.h"
#include "packformer/error.h"
#include "packformer/generator.h"
#include "test_util.h"

namespace packformer::test {
namespace {

// A tiny model of each registered type, from tests/data/models.
const std::map<std::string, std::string> kTinyModelOfType = {
    {"bert", "tiny-bert"},         {"roberta", "tiny-roberta"}, {"xlm-roberta", "tiny-xlmr"},
    {"distilbert", "tiny-distilbert"}, {"gpt2", "tiny-gpt2"},   {"marian", "tiny-marian"},
    {"bart", "tiny-bart"},         {"llama", "tiny-llama"},     {"mistral", "tiny-mistral"},
    {"qwen2", "tiny-qwen2"},       {"qwen3", "tiny-qwen3"},     {"mpnet", "tiny-mpnet"},
};

TEST(Registry, EveryArchitectureLoadsThroughItsKindsEntryPoint) {
  std::set<std::string> seen;
  for (const Architecture& a : architectures()) {
    const std::string type(a.model_type);
    SCOPED_TRACE(type);
    EXPECT_TRUE(seen.insert(type).second) << "listed twice";
    ASSERT_TRUE(kTinyModelOfType.count(type)) << "no tiny model of this type in the test";
    const auto dir = tiny_model(kTinyModelOfType.at(type));
    EXPECT_EQ(JsonFile(dir / "config.json").get_string("model_type"), type);
    if (a.kind == ModelKind::Encoder) {
      EXPECT_EQ(Encoder::load(dir)->info().model_type, type);
      expect_error([&] { Generator::load(dir); }, ErrorKind::Unsupported, {type, "is an encoder"});
    } else {
      EXPECT_EQ(Generator::load(dir)->model_type(), type);
      EXPECT_EQ(Generator::load(dir)->is_encoder_decoder(), a.kind == ModelKind::EncoderDecoder);
      const std::string command = a.kind == ModelKind::EncoderDecoder ? "packformer translate" : "packformer generate";
      expect_error([&] { Encoder::load(dir); }, ErrorKind::Unsupported, {type, "not a supported encoder", command});
    }
  }
  EXPECT_EQ(seen.size(), kTinyModelOfType.size());
}

TEST(Registry, UnknownTypesNameEverySupportedOne) {
  EXPECT_EQ(find_architecture("llama-ish"), nullptr);
  for (const bool encoder : {true, false}) {
    const std::string list = supported_model_types(encoder);
    for (const Architecture& a : architectures())
      EXPECT_EQ(list.find(a.model_type) != std::string::npos, (a.kind == ModelKind::Encoder) == encoder)
          << a.model_type << " in '" << list << "'";
  }
}

}  // namespace
}  // namespace packformer::test
