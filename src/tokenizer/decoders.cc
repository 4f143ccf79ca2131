#include "tokenizer/decoders.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t last = 0;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, last)) {
    out.append(text, last, at - last);
    out.append(to);
    last = at + from.size();
  }
  if (last == 0) return;
  out.append(text, last, std::string::npos);
  text = std::move(out);
}

}  // namespace

void WordPieceDecoder::decode_chain(std::vector<std::string>& tokens) const {
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string& token = tokens[i];
    if (i != 0) {
      if (token.starts_with(prefix_)) token.erase(0, prefix_.size());
      else token.insert(token.begin(), ' ');  // not insert(0, " "): a GCC 12 -Wrestrict false positive
    }
    if (cleanup_) {
      // Same replacements, in the same order, as HF's wordpiece cleanup.
      replace_all(token, " .", ".");
      replace_all(token, " ?", "?");
      replace_all(token, " !", "!");
      replace_all(token, " ,", ",");
      replace_all(token, " ' ", "'");
      replace_all(token, " n't", "n't");
      replace_all(token, " 'm", "'m");
      replace_all(token, " do not", " don't");
      replace_all(token, " 's", "'s");
      replace_all(token, " 've", "'ve");
      replace_all(token, " 're", "'re");
    }
  }
}

void ByteLevelDecoder::decode_chain(std::vector<std::string>& tokens) const {
  std::string bytes;
  for (const std::string& token : tokens) {
    // A token whose characters are not all in the table is kept as its UTF-8 bytes.
    std::string decoded;
    bool ok = true;
    for (size_t pos = 0; pos < token.size() && ok;) {
      const int b = unicode_to_byte(next_code_point(token, pos));
      if (b < 0) ok = false;
      else decoded.push_back(static_cast<char>(b));
    }
    bytes.append(ok ? decoded : token);
  }
  tokens.assign(1, is_valid_utf8(bytes) ? bytes : sanitize_utf8(bytes));
}

void MetaspaceDecoder::decode_chain(std::vector<std::string>& tokens) const {
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string out;
    const std::string& token = tokens[i];
    for (size_t pos = 0; pos < token.size();) {
      const char32_t cp = next_code_point(token, pos);
      if (cp == replacement_) {
        if (!(i == 0 && scheme_ != PrependScheme::Never)) out.push_back(' ');
      } else {
        append_utf8(out, cp);
      }
    }
    tokens[i] = std::move(out);
  }
}

void BpeDecoder::decode_chain(std::vector<std::string>& tokens) const {
  for (size_t i = 0; i < tokens.size(); ++i) replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
}

void ByteFallbackDecoder::decode_chain(std::vector<std::string>& tokens) const {
  std::vector<std::string> out;
  std::string pending;
  size_t pending_count = 0;
  auto flush = [&] {
    if (pending_count == 0) return;
    if (is_valid_utf8(pending)) {
      out.push_back(pending);
    } else {
      for (size_t i = 0; i < pending_count; ++i) out.emplace_back("\xEF\xBF\xBD");
    }
    pending.clear();
    pending_count = 0;
  };
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::string& token : tokens) {
    if (token.size() == 6 && token.starts_with("<0x") && token.back() == '>' && hex(token[3]) >= 0 &&
        hex(token[4]) >= 0) {
      pending.push_back(static_cast<char>(hex(token[3]) * 16 + hex(token[4])));
      ++pending_count;
      continue;
    }
    flush();
    out.push_back(std::move(token));
  }
  flush();
  tokens = std::move(out);
}

void FuseDecoder::decode_chain(std::vector<std::string>& tokens) const {
  std::string joined;
  for (const auto& token : tokens) joined += token;
  tokens.assign(1, joined);
}

void StripDecoder::decode_chain(std::vector<std::string>& tokens) const {
  for (std::string& token : tokens) {
    std::u32string chars;
    for (size_t pos = 0; pos < token.size();) chars.push_back(next_code_point(token, pos));
    size_t begin = 0, end = chars.size();
    for (size_t i = 0; i < start_ && i < chars.size() && chars[i] == content_; ++i) begin = i + 1;
    for (size_t i = 0; i < stop_ && i < chars.size(); ++i) {
      const size_t index = chars.size() - i - 1;
      if (chars[index] != content_) break;
      end = index;
    }
    if (end < begin) end = begin;
    std::string out;
    for (size_t i = begin; i < end; ++i) append_utf8(out, chars[i]);
    token = std::move(out);
  }
}

}  // namespace packformer::tokenizer
