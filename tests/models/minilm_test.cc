// The real all-MiniLM-L6-v2 (installed by scripts/setup) against sentence-transformers
// embeddings of tests/data/sentences.txt.
#include <iomanip>

#include "test_util.h"

namespace packformer::test {
namespace {

TEST(MiniLM, EmbeddingsFromIdsMatchSentenceTransformers) {
  ASSERT_TRUE(std::filesystem::exists(minilm_dir() / "model.safetensors"))
      << minilm_dir() << " is missing: run scripts/setup";
  const Golden golden("all-minilm-l6-v2");
  const auto encoder = Encoder::load(minilm_dir(), {.threads = 0, .load_tokenizer = false});
  const EncoderInput all = golden.input();
  const auto expected = golden.floats("sentence_embedding");
  const int64_t h = encoder->info().hidden_size;
  ASSERT_GE(all.ids.size(), 50u);
  double worst = 1.0;
  for (const RunOptions options : {RunOptions{ExecutionPath::Slow, false}, RunOptions{ExecutionPath::Fast, false},
                                   RunOptions{ExecutionPath::Fast, true}}) {
    // Batches of 16, as a user would run them.
    for (size_t first = 0; first < all.ids.size(); first += 16) {
      EncoderInput batch;
      for (size_t i = first; i < std::min(all.ids.size(), first + 16); ++i) {
        batch.ids.push_back(all.ids[i]);
        batch.type_ids.push_back(all.type_ids[i]);
      }
      const EncoderOutput out = encoder->run(batch, kSentenceEmbedding, options);
      for (size_t i = 0; i < batch.ids.size(); ++i) {
        const double cos = cosine(out.sentence_embeddings.data() + i * h, expected.data() + (first + i) * h, h);
        EXPECT_GE(cos, 0.99999) << "sentence " << first + i << " path " << (options.path == ExecutionPath::Slow ? "slow" : "fast")
                                << " sparsity " << options.sparsity;
      }
    }
  }
  std::cout << std::setprecision(10) << "lowest cosine vs sentence-transformers (ids, 3 paths): " << worst << "\n";
}

// The whole pipeline, text in: our tokenizer must give sentence-transformers' ids (truncated
// to max_seq_length 256), and the embeddings must match.
TEST(MiniLM, EmbeddingsFromTextMatchSentenceTransformers) {
  ASSERT_TRUE(std::filesystem::exists(minilm_dir() / "model.safetensors"))
      << minilm_dir() << " is missing: run scripts/setup";
  const Golden golden("all-minilm-l6-v2");
  const auto encoder = Encoder::load(minilm_dir());
  ASSERT_NE(encoder->tokenizer(), nullptr);
  std::vector<std::string> lines;
  std::ifstream in(data_dir() / "sentences.txt");
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const EncoderInput expected_ids = golden.input();
  ASSERT_EQ(lines.size(), expected_ids.ids.size());

  size_t truncated = 0;
  const EncoderInput input = encoder->tokenize(lines, 0, &truncated);
  EXPECT_GE(truncated, 1u) << "sentences.txt has texts longer than max_seq_length";
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(input.ids[i], expected_ids.ids[i]) << "line " << i + 1;

  const EncoderOutput out = encoder->run(input, kSentenceEmbedding);
  const auto expected = golden.floats("sentence_embedding");
  const int64_t h = encoder->info().hidden_size;
  double worst = 1.0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const double cos = cosine(out.sentence_embeddings.data() + i * h, expected.data() + i * h, h);
    worst = std::min(worst, cos);
    EXPECT_GE(cos, 0.99999) << "line " << i + 1;
  }
  std::cout << std::setprecision(10) << "lowest cosine vs sentence-transformers over " << lines.size() << " texts: " << worst << "\n";
}

}  // namespace
}  // namespace packformer::test
