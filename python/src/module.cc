// The extension module packformer._packformer: the error types and the native classes that
// python/packformer/*.py wrap into the public API.
#include <nanobind/nanobind.h>

#include "errors.h"

namespace nb = nanobind;

namespace packformer::python {
void bind_encoder(nb::module_& m);
void bind_generator(nb::module_& m);
}  // namespace packformer::python

NB_MODULE(_packformer, m) {
  m.doc() = "Native core of the packformer package (use the packformer module, not this one).";
  packformer::python::register_errors(m);
  packformer::python::bind_encoder(m);
  packformer::python::bind_generator(m);
}
