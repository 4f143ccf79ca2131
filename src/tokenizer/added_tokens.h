// Added tokens ([CLS], <mask>, user tokens): found in the text before the model runs.
// Tokens with normalized=false are matched on the raw text, the others on the normalized
// text; matching is leftmost-longest, honouring single_word, lstrip and rstrip.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/byte_trie.h"
#include "tokenizer/vocab.h"

namespace packformer::tokenizer {

class Normalizer;

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
  // What decode() shows: the normalized content for normalized tokens, as HF does.
  std::string decoded;
};

// A stretch of input: either text still to tokenize or one added token.
struct Segment {
  std::string text;
  int32_t token_id = -1;  // >= 0 when this segment is an added token
  bool at_start = false;  // begins at offset 0 of the input
};

class AddedVocabulary {
 public:
  // `normalizer` (may be null) gives the normalized form of normalized=true tokens.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits `text` (well-formed UTF-8) on added tokens, normalizing the text between them
  // with `normalizer`. Appends to `out`.
  void split_and_normalize(std::string_view text, const Normalizer* normalizer, std::vector<Segment>& out) const;

  bool is_special(std::string_view content) const { return special_contents_.find(content) != special_contents_.end(); }
  const AddedToken* find_by_id(int32_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &tokens_[it->second];
  }
  std::optional<int32_t> find_by_content(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Leftmost-longest matcher over a set of patterns.
  class Matcher {
   public:
    void add(const std::string& pattern, int32_t token_index);
    bool empty() const { return trie_.empty(); }
    // Finds the leftmost-longest match starting at or after `from`; false if none.
    bool find(std::string_view text, size_t from, size_t& start, size_t& end, int32_t& token_index) const;

   private:
    ByteTrie trie_;
    bool first_byte_[256] = {};
  };

  void split(const Segment& segment, const Matcher& matcher, std::vector<Segment>& out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> special_contents_;
  Matcher raw_matcher_, normalized_matcher_;
};

}  // namespace packformer::tokenizer
