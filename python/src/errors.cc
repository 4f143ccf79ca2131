#include "errors.h"

#include <packformer/error.h>

#include <exception>

namespace nb = nanobind;

namespace packformer::python {
namespace {

// Owned for the life of the process: a translator may run at any time while the module lives.
PyObject* error_types[6] = {};
PyObject* base_error = nullptr;

size_t index_of(ErrorKind kind) { return static_cast<size_t>(kind); }

PyObject* new_type(const char* name, const char* doc, PyObject* bases) {
  PyObject* type = PyErr_NewExceptionWithDoc(name, doc, bases, nullptr);
  if (type == nullptr) throw nb::python_error();
  return type;
}

}  // namespace

void register_errors(nb::module_& module) {
  base_error = new_type("packformer.Error", "Base class of every error packformer raises; str() is the message.",
                        PyExc_Exception);
  module.attr("Error") = nb::handle(base_error);
  struct Kind {
    ErrorKind kind;
    const char* name;
    const char* doc;
    PyObject* also;  // a built-in exception the error also is, so generic handlers catch it
  };
  const Kind kinds[] = {
      {ErrorKind::InvalidModel, "InvalidModelError",
       "A model file is missing, malformed or inconsistent; the message names the file and field.", nullptr},
      {ErrorKind::InvalidInput, "InvalidInputError",
       "An input or option is not acceptable (also a ValueError); the message names it.", PyExc_ValueError},
      {ErrorKind::Unsupported, "UnsupportedError", "Well-formed, but not something packformer implements.", nullptr},
      {ErrorKind::OutOfMemory, "OutOfMemoryError",
       "A call needs more memory than its limit (max_memory) or than is available.", nullptr},
      {ErrorKind::Io, "IoError", "Reading or writing a file failed (also an OSError).", PyExc_OSError},
      {ErrorKind::Internal, "InternalError", "A bug in packformer: please report it with the message.", nullptr},
  };
  for (const Kind& k : kinds) {
    nb::object bases = k.also ? nb::make_tuple(nb::handle(base_error), nb::handle(k.also))
                              : nb::make_tuple(nb::handle(base_error));
    const std::string qualified = std::string("packformer.") + k.name;
    PyObject* type = new_type(qualified.c_str(), k.doc, bases.ptr());
    error_types[index_of(k.kind)] = type;
    module.attr(k.name) = nb::handle(type);
  }
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(error_types[index_of(e.kind())], e.what());
    }
  });
}

void invalid_input(const std::string& message) { fail(ErrorKind::InvalidInput, message); }

}  // namespace packformer::python
