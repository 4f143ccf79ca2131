#include "tokenizer/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "packformer/error.h"
#include "tokenizer/unicode_tables.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {

inline utf8proc_category_t category(char32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

bool is_ascii_only(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// \w from utf8proc's categories, before the corrections.
bool is_word_char_base(char32_t cp) {
  if (cp == 0x200C || cp == 0x200D) return true;  // Join_Control
  // Other_Alphabetic symbols (circled and squared Latin letters).
  if ((cp >= 0x24B6 && cp <= 0x24E9) || (cp >= 0x1F130 && cp <= 0x1F149) ||
      (cp >= 0x1F150 && cp <= 0x1F169) || (cp >= 0x1F170 && cp <= 0x1F189))
    return true;
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}


}  // namespace

bool is_whitespace(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_punctuation(char32_t cp) {
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool is_bert_punctuation(char32_t cp) {
  if (cp < 0x80)
    return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
           (cp >= 123 && cp <= 126);
  return is_punctuation(cp) != kBertPunctuationFlips.contains(cp);
}

bool is_other(char32_t cp) {
  const auto c = category(cp);
  return (c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CO) !=
         kBertControlFlips.contains(cp);
}

bool is_mark_nonspacing(char32_t cp) {
  return cp >= 0x300 && (category(cp) == UTF8PROC_CATEGORY_MN) != kBertNonspacingMarkFlips.contains(cp);
}

bool is_mark(char32_t cp) {
  if (cp < 0x300) return false;
  const auto c = category(cp);
  return (c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME) !=
         kCombiningMarkFlips.contains(cp);
}

bool is_letter(char32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  const auto c = category(cp);
  return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) != kLetterFlips.contains(cp);
}

bool is_number(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  const auto c = category(cp);
  return (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) != kNumberFlips.contains(cp);
}

bool is_numeric(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  const auto c = category(cp);
  return (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) != kNumericFlips.contains(cp);
}

bool is_word_char(char32_t cp) {
  if (cp < 0x80) return is_letter(cp) || (cp >= '0' && cp <= '9') || cp == '_';
  return is_word_char_base(cp) != kWordCharFlips.contains(cp);
}

bool is_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

void append_lowercase(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    return;
  }
  if (cp == 0x130) {  // the one unconditional multi-code-point lowercase mapping
    out.append("i\xCC\x87");
    return;
  }
  if (kLowercaseOverrideCount > 0 && cp >= kLowercaseOverrides[0].from &&
      cp <= kLowercaseOverrides[kLowercaseOverrideCount - 1].from) {
    const CaseOverride* end = kLowercaseOverrides + kLowercaseOverrideCount;
    const CaseOverride* it = std::lower_bound(kLowercaseOverrides, end, cp,
                                              [](const CaseOverride& o, char32_t v) { return o.from < v; });
    if (it != end && it->from == cp) {
      for (char32_t c : it->to)
        if (c != 0) append_utf8(out, c);
      return;
    }
  }
  append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
}

void append_uppercase(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp >= 'a' && cp <= 'z' ? cp - 32 : cp));
    return;
  }
  append_utf8(out, static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp))));
}

namespace {

std::string utf8proc_normalize(std::string_view text, NormalizationForm form) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalizationForm::NFC: options |= UTF8PROC_COMPOSE; break;
    case NormalizationForm::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case NormalizationForm::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalizationForm::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* result = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                              static_cast<utf8proc_ssize_t>(text.size()), &result,
                              static_cast<utf8proc_option_t>(options));
  if (n < 0) fail(ErrorKind::Internal, std::string("unicode normalization failed: ") + utf8proc_errmsg(n));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(result, &std::free);
  return std::string(reinterpret_cast<const char*>(result), static_cast<size_t>(n));
}

}  // namespace

std::string normalize_unicode(std::string_view text, NormalizationForm form) {
  if (is_ascii_only(text)) return std::string(text);  // ASCII is invariant under all forms
  // Code points HF's (older) tables do not know stay as they are and split the text: nothing
  // reorders or composes across them there.
  const bool compat = form == NormalizationForm::NFKC || form == NormalizationForm::NFKD;
  const CodePointSet& frozen = compat ? kCompatFrozenFlips : kCanonicalFrozenFlips;
  std::string out;
  size_t start = 0, pos = 0;
  while (pos < text.size()) {
    const size_t at = pos;
    const char32_t cp = next_code_point(text, pos);
    if (cp >= 0x80 && frozen.contains(cp)) {
      if (at > start) out += utf8proc_normalize(text.substr(start, at - start), form);
      out.append(text.substr(at, pos - at));
      start = pos;
    }
  }
  if (start == 0) return utf8proc_normalize(text, form);
  if (start < text.size()) out += utf8proc_normalize(text.substr(start), form);
  return out;
}

size_t grapheme_length(std::string_view text, size_t pos) {
  size_t p = pos;
  char32_t previous = next_code_point(text, p);
  utf8proc_int32_t state = 0;
  while (p < text.size()) {
    size_t q = p;
    const char32_t cp = next_code_point(text, q);
    if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                         static_cast<utf8proc_int32_t>(cp), &state))
      break;
    previous = cp;
    p = q;
  }
  return p - pos;
}

}  // namespace packformer::tokenizer
