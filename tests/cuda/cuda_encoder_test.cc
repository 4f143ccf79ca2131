// The CUDA fast path against the CPU slow path (the reference) on the tiny models, synthetic
// models of odd geometries and the real all-MiniLM-L6-v2; and fp16 / bf16 by cosine.
// Every test skips, saying why, on a machine without a usable CUDA device.
//
// Tolerances: fp32 runs in true fp32 (cuBLASLt CUBLAS_COMPUTE_32F, no TF32), so it differs
// from the CPU only in summation order: the bound is 1e-4 on hidden states (LayerNorm
// outputs of magnitude ~1-10). fp16 / bf16 store activations with 11 / 8 significant bits:
// judged by the cosine of each token's hidden vector (>= 0.9999) and of sentence embeddings.
#include <gmock/gmock.h>

#include <iostream>
#include <random>

#include "cuda_test_util.h"
#include "packformer/synth.h"
#include "synth_geometry.h"

namespace packformer::test {
namespace {

constexpr float kFp32Tolerance = 1e-4f;
constexpr double kHalfCosine = 0.9999;

EncoderOptions on_gpu(const char* dtype) {
  EncoderOptions options;
  options.load_tokenizer = false;
  options.device = "cuda";
  options.dtype = dtype;
  return options;
}

EncoderInput random_batch(const ModelInfo& info, const std::vector<int64_t>& lengths, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(info.vocab_size - 1));
  EncoderInput input;
  for (int64_t len : lengths) {
    std::vector<int32_t> ids(static_cast<size_t>(len));
    for (auto& v : ids) v = id(rng);
    input.ids.push_back(ids);
  }
  return input;
}

// Lowest per-token cosine between two packed [tokens, hidden] outputs.
double lowest_token_cosine(const EncoderOutput& a, const EncoderOutput& b) {
  double lowest = 1.0;
  const int64_t h = a.hidden_size, tokens = a.offsets.back();
  for (int64_t t = 0; t < tokens; ++t)
    lowest = min_or_nan(lowest, cosine(a.hidden_states.data() + t * h, b.hidden_states.data() + t * h, h));
  return lowest;
}

const char* const kTinyModels[] = {"tiny-bert", "tiny-bert-cls", "tiny-minilm", "tiny-roberta",
                                   "tiny-xlmr", "tiny-distilbert", "tiny-distilbert-cls"};

TEST(CudaEncoder, TinyModelsFp32MatchTheSlowPath) {
  PF_REQUIRE_GPU();
  for (const char* name : kTinyModels) {
    const auto cpu = Encoder::load(cuda_tiny_model(name), {.threads = 0, .load_tokenizer = false});
    const auto gpu = Encoder::load(cuda_tiny_model(name), on_gpu("fp32"));
    EXPECT_THAT(gpu->device_description(), ::testing::HasSubstr("fp32"));
    const EncoderInput input = Golden(name).input();
    const unsigned wanted = kHiddenStates | kLogits | kPoolerOutput | kSentenceEmbedding;
    const EncoderOutput slow = cpu->run(input, wanted, {ExecutionPath::Slow, false});
    for (const bool sparsity : {false, true}) {
      const EncoderOutput fast = gpu->run(input, wanted, {ExecutionPath::Fast, sparsity});
      ASSERT_EQ(fast.hidden_states.size(), slow.hidden_states.size());
      const float diff = max_abs_diff(fast.hidden_states.data(), slow.hidden_states.data(), slow.hidden_states.size());
      std::cout << name << " cuda fp32 sparsity " << sparsity << ": max |diff| vs slow " << diff << "\n";
      EXPECT_LE(diff, kFp32Tolerance) << name << " sparsity " << sparsity;
      EXPECT_LE(max_abs_diff(fast.logits.data(), slow.logits.data(), slow.logits.size()), kFp32Tolerance) << name;
      EXPECT_LE(max_abs_diff(fast.pooler_output.data(), slow.pooler_output.data(), slow.pooler_output.size()),
                kFp32Tolerance)
          << name;
    }
  }
}


// Odd head sizes, one head, every activation path (erf GELU as its own pass, tanh GELU and
// ReLU fused into the GEMM), head sizes past 80 (attention's shared memory above 48 KiB) and
// the largest supported (256).
const Geometry kGeometries[] = {
    {"bert_h36_3heads", "bert", 2, 36, 3, 52, 70, "gelu"},
    {"roberta_1head", "roberta", 1, 24, 1, 40, 40, "gelu_new"},
    {"xlmr_d20", "xlm-roberta", 2, 80, 4, 96, 150, "relu"},
    {"bert_d64_long", "bert", 1, 128, 2, 64, 300, "silu"},
    {"bert_d160", "bert", 1, 320, 2, 96, 90, "gelu_new"},
    {"bert_d256", "bert", 1, 256, 1, 64, 70, "quick_gelu"},
};

class CudaVsSlow : public ::testing::TestWithParam<Geometry> {};

TEST_P(CudaVsSlow, Fp32ForEveryLengthBothSparsities) {
  PF_REQUIRE_GPU();
  const Geometry& g = GetParam();
  TempDir dir;
  write_geometry_model(g, dir.path());
  const auto cpu = Encoder::load(dir.path(), {.threads = 0, .load_tokenizer = false});
  const auto gpu = Encoder::load(dir.path(), on_gpu("fp32"));
  const int64_t max_length = cpu->info().max_length;
  std::vector<int64_t> all;
  for (int64_t len = 1; len <= max_length; ++len) all.push_back(len);
  std::shuffle(all.begin(), all.end(), std::mt19937(3));
  float worst = 0.0f;
  // Batches of 7 mixed lengths: the workspace grows and is reused across them.
  for (size_t first = 0; first < all.size(); first += 7) {
    const std::vector<int64_t> lengths(all.begin() + first, all.begin() + std::min(all.size(), first + 7));
    const EncoderInput input = random_batch(cpu->info(), lengths, static_cast<uint32_t>(first));
    const EncoderOutput slow = cpu->run(input, kHiddenStates | kLogits, {ExecutionPath::Slow, false});
    for (const bool sparsity : {false, true}) {
      const EncoderOutput fast = gpu->run(input, kHiddenStates | kLogits, {ExecutionPath::Fast, sparsity});
      ASSERT_EQ(fast.hidden_states.size(), slow.hidden_states.size());
      const float diff = max_abs_diff(fast.hidden_states.data(), slow.hidden_states.data(), slow.hidden_states.size());
      worst = max_or_nan(worst, diff);
      EXPECT_LE(diff, kFp32Tolerance) << "sparsity " << sparsity << ", batch starting at " << first;
      EXPECT_LE(max_abs_diff(fast.logits.data(), slow.logits.data(), slow.logits.size()), kFp32Tolerance);
    }
  }
  std::cout << g.name << ": worst max |diff| cuda fp32 vs slow " << worst << "\n";
}

INSTANTIATE_TEST_SUITE_P(Geometries, CudaVsSlow, ::testing::ValuesIn(kGeometries),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CudaEncoder, HalfPrecisionTinyModelsByCosine) {
  PF_REQUIRE_GPU();
  for (const char* dtype : {"fp16", "bf16"}) {
    for (const char* name : kTinyModels) {
      const auto cpu = Encoder::load(cuda_tiny_model(name), {.threads = 0, .load_tokenizer = false});
      const auto gpu = Encoder::load(cuda_tiny_model(name), on_gpu(dtype));
      const EncoderInput input = Golden(name).input();
      const EncoderOutput slow = cpu->run(input, kHiddenStates, {ExecutionPath::Slow, false});
      const EncoderOutput packed = gpu->run(input, kHiddenStates, {ExecutionPath::Fast, true});
      const EncoderOutput padded = gpu->run(input, kHiddenStates, {ExecutionPath::Fast, false});
      const double cos = lowest_token_cosine(packed, slow);
      std::cout << name << " " << dtype << ": lowest token cosine vs slow " << cos << "\n";
      EXPECT_GE(cos, kHalfCosine) << name << " " << dtype;
      EXPECT_GE(lowest_token_cosine(padded, packed), kHalfCosine) << "sparsity on vs off, " << name << " " << dtype;
    }
  }
}

// fp16 / bf16 on synthetic models whose head sizes (32, 64, 128) take the tensor-core
// attention, with every length 1..max (partial 64-key tiles, sequences of one token), against
// the fp32 slow path; and the same with the CUDA-core attention forced.
struct HalfGeometry {
  const char* name;
  int64_t hidden, heads, max_positions;
};
void PrintTo(const HalfGeometry& g, std::ostream* os) { *os << g.name; }
const HalfGeometry kHalfGeometries[] = {{"d32", 128, 4, 150}, {"d64", 128, 2, 200}, {"d128", 256, 2, 140}};

class CudaHalfAttention : public ::testing::TestWithParam<HalfGeometry> {};

TEST_P(CudaHalfAttention, TensorCoreAndCudaCoreAttentionMatchTheSlowPath) {
  PF_REQUIRE_GPU();
  const HalfGeometry& g = GetParam();
  TempDir dir;
  SynthSpec spec;
  spec.layers = 2, spec.hidden = g.hidden, spec.heads = g.heads, spec.intermediate = 2 * g.hidden;
  spec.vocab = 300, spec.max_positions = g.max_positions, spec.seed = 9;
  write_synthetic_model(spec, dir.path());
  const auto cpu = Encoder::load(dir.path(), {.threads = 0, .load_tokenizer = false});
  std::vector<int64_t> lengths;
  for (int64_t len = 1; len <= cpu->info().max_length; len += 13) lengths.push_back(len);
  lengths.push_back(cpu->info().max_length);
  const EncoderInput input = random_batch(cpu->info(), lengths, 4);
  const EncoderOutput slow = cpu->run(input, kHiddenStates, {ExecutionPath::Slow, false});
  for (const char* dtype : {"fp16", "bf16"}) {
    const auto gpu = Encoder::load(dir.path(), on_gpu(dtype));
    for (const char* variant : {"mma", "simt"}) {
      setenv("PACKFORMER_CUDA_ATTENTION", variant, 1);
      for (const bool sparsity : {false, true}) {
        const EncoderOutput out = gpu->run(input, kHiddenStates, {ExecutionPath::Fast, sparsity});
        const double cos = lowest_token_cosine(out, slow);
        std::cout << g.name << " " << dtype << " attention " << variant << " sparsity " << sparsity
                  << ": lowest token cosine vs slow " << cos << "\n";
        EXPECT_GE(cos, kHalfCosine) << dtype << " " << variant << " sparsity " << sparsity;
      }
    }
    unsetenv("PACKFORMER_CUDA_ATTENTION");
  }
}

INSTANTIATE_TEST_SUITE_P(HeadSizes, CudaHalfAttention, ::testing::ValuesIn(kHalfGeometries),
                         [](const auto& info) { return std::string(info.param.name); });

// The same input twice, with a larger batch in between: the reused workspace holds no state.
TEST(CudaEncoder, RepeatedCallsAreIdentical) {
  PF_REQUIRE_GPU();
  const auto gpu = Encoder::load(cuda_tiny_model("tiny-bert"), on_gpu("fp16"));
  const EncoderInput small = random_batch(gpu->info(), {3, 9, 1}, 1);
  const EncoderInput big = random_batch(gpu->info(), {60, 64, 2, 33, 17, 64, 64, 50}, 2);
  const EncoderOutput first = gpu->run(small, kHiddenStates, {ExecutionPath::Fast, true});
  gpu->run(big, kHiddenStates, {ExecutionPath::Fast, false});
  const EncoderOutput again = gpu->run(small, kHiddenStates, {ExecutionPath::Fast, true});
  ASSERT_EQ(first.hidden_states.size(), again.hidden_states.size());
  EXPECT_EQ(max_abs_diff(first.hidden_states.data(), again.hidden_states.data(), first.hidden_states.size()), 0.0f);
}

bool have_minilm() { return std::filesystem::exists(cuda_minilm_dir() / "model.safetensors"); }

TEST(CudaMiniLM, Fp32MatchesTheSlowPathForEveryLength) {
  PF_REQUIRE_GPU();
  if (!have_minilm()) GTEST_SKIP() << cuda_minilm_dir() << " is missing (set PACKFORMER_MINILM_DIR)";
  const auto cpu = Encoder::load(cuda_minilm_dir(), {.threads = 0, .load_tokenizer = false});
  const auto gpu = Encoder::load(cuda_minilm_dir(), on_gpu("fp32"));
  const int64_t max_length = cpu->info().max_length;
  // Ids drawn from those of the golden sentences: the fp16 copy carried to GPU machines
  // (bench/gpu/minilm_subset.py) keeps only their embedding rows.
  std::vector<int32_t> vocabulary;
  for (const auto& ids : Golden("all-minilm-l6-v2").input().ids) vocabulary.insert(vocabulary.end(), ids.begin(), ids.end());
  std::mt19937 rng(5);
  std::uniform_int_distribution<size_t> pick(0, vocabulary.size() - 1);
  EncoderInput input;
  for (const int64_t len : {int64_t{1}, int64_t{2}, int64_t{17}, int64_t{64}, int64_t{129}, max_length - 1, max_length}) {
    std::vector<int32_t> ids(static_cast<size_t>(len));
    for (auto& v : ids) v = vocabulary[pick(rng)];
    ids.front() = 101;  // [CLS]
    input.ids.push_back(ids);
  }
  const unsigned wanted = kHiddenStates | kSentenceEmbedding;
  const EncoderOutput slow = cpu->run(input, wanted, {ExecutionPath::Slow, false});
  for (const bool sparsity : {false, true}) {
    const EncoderOutput fast = gpu->run(input, wanted, {ExecutionPath::Fast, sparsity});
    const float diff = max_abs_diff(fast.hidden_states.data(), slow.hidden_states.data(), slow.hidden_states.size());
    std::cout << "MiniLM cuda fp32 (sparsity " << (sparsity ? "on" : "off") << ") vs slow: max |diff| " << diff << "\n";
    EXPECT_LE(diff, kFp32Tolerance);
    EXPECT_LE(max_abs_diff(fast.sentence_embeddings.data(), slow.sentence_embeddings.data(),
                           slow.sentence_embeddings.size()),
              kFp32Tolerance);
  }
}

// fp32, fp16 and bf16 embeddings against sentence-transformers' (the committed golden), and
// 16-bit hidden states against the fp32 slow path token by token.
TEST(CudaMiniLM, EmbeddingsMatchSentenceTransformersInEveryDtype) {
  PF_REQUIRE_GPU();
  if (!have_minilm()) GTEST_SKIP() << cuda_minilm_dir() << " is missing (set PACKFORMER_MINILM_DIR)";
  const Golden golden("all-minilm-l6-v2");
  const EncoderInput all = golden.input();
  const auto expected = golden.floats("sentence_embedding");
  const auto cpu = Encoder::load(cuda_minilm_dir(), {.threads = 0, .load_tokenizer = false});
  const EncoderOutput slow = cpu->run(all, kHiddenStates, {ExecutionPath::Slow, false});
  const int64_t h = cpu->info().hidden_size;
  for (const char* dtype : {"fp32", "fp16", "bf16"}) {
    const auto gpu = Encoder::load(cuda_minilm_dir(), on_gpu(dtype));
    const double bound = std::string(dtype) == "fp32" ? 0.99999 : kHalfCosine;
    for (const bool sparsity : {false, true}) {
      const EncoderOutput out = gpu->run(all, kHiddenStates | kSentenceEmbedding, {ExecutionPath::Fast, sparsity});
      double lowest = 1.0;
      for (size_t i = 0; i < all.ids.size(); ++i)
        lowest = min_or_nan(lowest, cosine(out.sentence_embeddings.data() + i * h, expected.data() + i * h, h));
      const double token = lowest_token_cosine(out, slow);
      std::cout << "MiniLM cuda " << dtype << " sparsity " << sparsity << ": lowest embedding cosine vs "
                << "sentence-transformers " << lowest << ", lowest token cosine vs slow " << token << "\n";
      EXPECT_GE(lowest, bound) << dtype;
      EXPECT_GE(token, kHalfCosine) << dtype;
    }
  }
}

}  // namespace
}  // namespace packformer::test
