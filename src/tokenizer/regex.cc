#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.h"

#include <pcre2.h>
#include <utf8proc.h>

#include <cstdio>
#include <mutex>

#include "packformer/error.h"
#include "tokenizer/unicode_tables.h"

namespace packformer::tokenizer {

struct Regex::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
};

Regex::Regex(const std::string& pattern, const std::string& where) : impl_(std::make_unique<Impl>()) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  const std::string widened = widen_unicode_classes(pattern);
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(widened.data()), widened.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &error_code, &error_offset, nullptr);
  if (impl_->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof message);
    fail(ErrorKind::InvalidModel, where + ": invalid regex '" + pattern + "' at offset " +
                                      std::to_string(error_offset) + ": " + reinterpret_cast<char*>(message));
  }
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() {
  if (impl_ && impl_->code) pcre2_code_free(impl_->code);
}

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const {
  matches.clear();
  // One match-data block per thread: encode() is const and may run on many threads.
  thread_local struct Data {
    pcre2_match_data* data = pcre2_match_data_create(16, nullptr);
    ~Data() { pcre2_match_data_free(data); }
  } tls;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t offset = 0;
  while (offset <= text.size()) {
    const int rc = impl_->jit ? pcre2_jit_match(impl_->code, subject, text.size(), offset, 0, tls.data, nullptr)
                              : pcre2_match(impl_->code, subject, text.size(), offset, PCRE2_NO_UTF_CHECK,
                                            tls.data, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(tls.data);
    const size_t start = ovector[0], end = ovector[1];
    if (end > start) {
      matches.emplace_back(start, end);
      offset = end;
    } else {
      // Empty match: step one code point forward.
      offset = end + 1;
      while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
    }
  }
}

namespace {

// "\x{A}-\x{B}" items for the code points of `flips` that `base` does not already contain.
template <typename Base>
std::string extra_ranges(const CodePointSet& flips, Base base) {
  std::string out;
  char buffer[40];
  for (size_t i = 0; i < flips.size; ++i) {
    const CodePointRange& r = flips.ranges[i];
    if (base(r.first)) continue;  // a code point PCRE2 has and HF lacks: left as is (rare)
    std::snprintf(buffer, sizeof buffer, "\\x{%X}-\\x{%X}", static_cast<unsigned>(r.first), static_cast<unsigned>(r.last));
    out += buffer;
  }
  return out;
}

}  // namespace

std::string widen_unicode_classes(const std::string& pattern) {
  // PCRE2 and utf8proc share a Unicode version, so utf8proc's categories tell what PCRE2 has.
  static const std::string letters = extra_ranges(kLetterFlips, [](char32_t cp) {
    const auto c = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
  });
  static const std::string numbers = extra_ranges(kNumberFlips, [](char32_t cp) {
    const auto c = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    return c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
  });
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const std::string_view rest = std::string_view(pattern).substr(i);
      const std::string* extra = nullptr;
      size_t length = 0;
      if (rest.starts_with("\\p{L}") || rest.starts_with("\\p{N}")) length = 5;
      else if (rest.starts_with("\\pL") || rest.starts_with("\\pN")) length = 3;
      if (length > 0) extra = rest[length == 5 ? 3 : 2] == 'L' ? &letters : &numbers;
      if (extra != nullptr && !extra->empty()) {
        const std::string_view item = rest.substr(0, length);
        if (in_class) out.append(item).append(*extra);
        else out.append("[").append(item).append(*extra).append("]");
        i += length - 1;
        continue;
      }
      out.push_back(c);
      out.push_back(pattern[++i]);
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out.push_back(c);
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out.push_back(pattern[++i]);
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out.push_back(pattern[++i]);
      continue;
    }
    if (c == '[' && in_class && i + 1 < pattern.size() && pattern[i + 1] == ':') {  // [:alpha:]
      const size_t end = pattern.find(":]", i + 2);
      if (end != std::string::npos) {
        out.append(pattern, i, end + 2 - i);
        i = end + 1;
        continue;
      }
    }
    if (c == ']' && in_class) in_class = false;
    out.push_back(c);
  }
  return out;
}

std::string regex_escape(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace packformer::tokenizer
