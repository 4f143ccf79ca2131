// NumPy arrays over C++ buffers without a copy: the array's base object owns the buffer.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <vector>

namespace packformer::python {

using FloatArray = nanobind::ndarray<nanobind::numpy, float>;

// Takes the vector over: the NumPy array frees it when the last reference goes.
inline FloatArray to_numpy(std::vector<float>&& values, std::initializer_list<size_t> shape) {
  auto* owner = new std::vector<float>(std::move(values));
  nanobind::capsule capsule(owner, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
  return FloatArray(owner->data(), shape.size(), shape.begin(), capsule);
}

// A view of `rows` x `width` floats inside a buffer kept alive by `keeper` (shared by all the
// views of one batch's output).
template <class Keeper>
FloatArray view_of(const std::shared_ptr<Keeper>& keeper, const float* data, size_t rows, size_t width) {
  auto* owner = new std::shared_ptr<Keeper>(keeper);
  nanobind::capsule capsule(owner, [](void* p) noexcept { delete static_cast<std::shared_ptr<Keeper>*>(p); });
  const size_t shape[2] = {rows, width};
  return FloatArray(const_cast<float*>(data), 2, shape, capsule);
}

}  // namespace packformer::python
