#include "packformer/error.h"

namespace packformer {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidModel: return "invalid model";
    case ErrorKind::InvalidInput: return "invalid input";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::OutOfMemory: return "out of memory";
    case ErrorKind::Io: return "i/o";
    case ErrorKind::Internal: return "internal";
  }
  return "error";
}

}  // namespace packformer
