// Typed errors: every failure a user can cause (bad model file, bad input) is reported as a
// packformer::Error whose message names the file, tensor or field and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace packformer {

enum class ErrorKind {
  InvalidModel,  // a model file is missing, malformed or inconsistent
  InvalidInput,  // user input (text, ids, options) is not acceptable
  Unsupported,   // well-formed, but not something packformer implements
  OutOfMemory,   // a request needs more memory than allowed or available
  Io,            // reading or writing a file failed
  Internal,      // a bug in packformer
};

const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

}  // namespace packformer
