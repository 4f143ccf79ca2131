// packformer.Error and one subclass per ErrorKind; packformer::Error thrown by the library
// becomes the subclass of its kind, carrying the C++ message.
#pragma once

#include <nanobind/nanobind.h>

namespace packformer::python {

// Creates the exception types as attributes of `module` and registers the translator.
void register_errors(nanobind::module_& module);

// Raises InvalidInputError (from Python-facing argument checks) as a C++ packformer::Error.
[[noreturn]] void invalid_input(const std::string& message);

}  // namespace packformer::python
