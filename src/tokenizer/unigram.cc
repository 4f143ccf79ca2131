#include "tokenizer/unigram.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "packformer/error.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {
constexpr double kUnknownPenalty = 10.0;
}

UnigramModel::UnigramModel(std::vector<std::pair<std::string, double>> pieces, std::optional<int32_t> unk_id,
                           bool byte_fallback)
    : unk_id_(unk_id), byte_fallback_(byte_fallback) {
  double min_score = std::numeric_limits<double>::infinity();
  scores_.reserve(pieces.size());
  for (size_t id = 0; id < pieces.size(); ++id) {
    auto& [token, score] = pieces[id];
    min_score = std::min(min_score, score);
    scores_.push_back(score);
    trie_.insert(token, static_cast<int32_t>(id));  // a later duplicate wins, as in the token -> id map
    vocab_.add(std::move(token), static_cast<int32_t>(id));
  }
  unk_score_ = min_score - kUnknownPenalty;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const auto id = vocab_.find(name);
    byte_ids_[b] = id ? *id : -1;
  }
}

void UnigramModel::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  struct Node {
    double score;
    int32_t starts_at;  // -1: unreached
    int32_t id;
  };
  thread_local std::vector<Node> best;
  const size_t size = word.size();
  best.assign(size + 1, Node{0.0, -1, 0});
  for (size_t start = 0; start < size;) {
    const double base = best[start].score;
    const size_t char_len = utf8_length(static_cast<unsigned char>(word[start]));
    bool has_single_char = false;
    trie_.for_each_prefix(word.substr(start), [&](size_t length, int32_t id) {
      const double candidate = scores_[id] + base;
      Node& target = best[start + length];
      if (target.starts_at < 0 || candidate > target.score) target = Node{candidate, static_cast<int32_t>(start), id};
      if (length == char_len) has_single_char = true;
    });
    if (!has_single_char) {
      if (!unk_id_) fail(ErrorKind::InvalidModel, "Unigram: the text needs an unknown token but model.unk_id is null");
      Node& target = best[start + char_len];
      const double candidate = unk_score_ + base;
      if (target.starts_at < 0 || candidate > target.score)
        target = Node{candidate, static_cast<int32_t>(start), *unk_id_};
    }
    start += char_len;
  }
  // Walk back, fusing runs of unknowns; then emit left to right.
  struct Span {
    size_t start, end;
    int32_t id;  // the piece's id; the unknown id for (fused) unknowns
  };
  thread_local std::vector<Span> spans;  // reversed
  spans.clear();
  for (size_t end = size; end > 0;) {
    const Node& n = best[end];
    const auto start = static_cast<size_t>(n.starts_at);
    const bool is_unk = unk_id_ && n.id == *unk_id_;
    if (is_unk && !spans.empty() && unk_id_ && spans.back().id == *unk_id_) spans.back().start = start;  // fuse
    else spans.push_back(Span{start, end, n.id});
    end = start;
  }
  for (size_t i = spans.size(); i-- > 0;) {
    const Span& span = spans[i];
    if (!unk_id_ || span.id != *unk_id_) {
      ids.push_back(span.id);  // a vocabulary piece: its id is already known
      continue;
    }
    const std::string_view piece = word.substr(span.start, span.end - span.start);
    if (auto id = vocab_.find(piece)) {  // the unknown token's own text, e.g. "<unk>"
      ids.push_back(*id);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (char c : piece) all = all && byte_ids_[static_cast<unsigned char>(c)] >= 0;
      if (all) {
        for (char c : piece) ids.push_back(byte_ids_[static_cast<unsigned char>(c)]);
        continue;
      }
    }
    ids.push_back(*unk_id_);
  }
}

}  // namespace packformer::tokenizer
