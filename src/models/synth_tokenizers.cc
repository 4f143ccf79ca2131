#include "models/synth_tokenizers.h"

// The files are placed in .rodata by the assembler (.incbin), which is faster to build and
// smaller than a generated array initializer. CMakeLists.txt passes their paths and makes
// this file depend on them.
#define PACKFORMER_EMBED_FILE(symbol, path)                                              \
  asm(".section .rodata\n.balign 16\n.hidden " #symbol "\n.global " #symbol "\n" #symbol \
      ":\n.incbin \"" path "\"\n.hidden " #symbol "_end\n.global " #symbol "_end\n" #symbol "_end:\n.previous\n")

PACKFORMER_EMBED_FILE(packformer_wordpiece_json, PACKFORMER_SYNTH_WORDPIECE_JSON);
PACKFORMER_EMBED_FILE(packformer_unigram_json, PACKFORMER_SYNTH_UNIGRAM_JSON);

extern "C" const char packformer_wordpiece_json[], packformer_wordpiece_json_end[];
extern "C" const char packformer_unigram_json[], packformer_unigram_json_end[];

namespace packformer {

const BuiltInTokenizer& builtin_wordpiece_tokenizer() {
  static const BuiltInTokenizer tokenizer{
      {packformer_wordpiece_json, static_cast<size_t>(packformer_wordpiece_json_end - packformer_wordpiece_json)},
      30522,
      "WordPiece, bert-base-uncased's vocabulary (all-MiniLM-L6-v2's tokenizer.json)"};
  return tokenizer;
}

const BuiltInTokenizer& builtin_unigram_tokenizer() {
  static const BuiltInTokenizer tokenizer{
      {packformer_unigram_json, static_cast<size_t>(packformer_unigram_json_end - packformer_unigram_json)},
      3002,
      "XLM-R-style Unigram, 3,002 sentencepiece pieces"};
  return tokenizer;
}

}  // namespace packformer
