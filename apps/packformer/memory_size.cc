// --max-memory's argument: a size with an optional binary unit.
#include <cmath>
#include <cstdlib>

#include "memory_size.h"

#include "packformer/error.h"

namespace packformer::cli {

uint64_t parse_memory_size(const std::string& text) {
  if (text.empty()) return 0;
  const auto bad = [&] {
    fail(ErrorKind::InvalidInput,
         "--max-memory: '" + text + "' is not a size in [1, 1024T] bytes (expected e.g. 4G, 512M or 1000000)");
  };
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(number)) bad();
  std::string unit(end);
  if (unit.size() >= 2 && unit.compare(unit.size() - 2, 2, "iB") == 0) unit.resize(unit.size() - 2);
  else if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  double scale = 1;
  if (unit.size() > 1) bad();
  if (!unit.empty()) {
    switch (unit[0]) {
      case 'k': case 'K': scale = 1024.0; break;
      case 'm': case 'M': scale = 1024.0 * 1024; break;
      case 'g': case 'G': scale = 1024.0 * 1024 * 1024; break;
      case 't': case 'T': scale = 1024.0 * 1024 * 1024 * 1024; break;
      default: bad();
    }
  }
  const double bytes = number * scale;
  if (!(bytes >= 1 && bytes <= static_cast<double>(kMaxMemoryBytes))) bad();
  return static_cast<uint64_t>(bytes);
}

}  // namespace packformer::cli
