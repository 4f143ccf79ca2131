// An fp32 tensor's values as the model holds them: a view into the mapped model file when the
// file stores them as little-endian F32 (nothing copied: the file's pages are the weights), or
// converted once at load (F16, BF16, F64) and owned. Copies share the values.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "loader/mapped_file.h"

namespace packformer {

class FloatTensor {
 public:
  FloatTensor() = default;
  explicit FloatTensor(std::vector<float> values)
      : owned_(std::make_shared<const std::vector<float>>(std::move(values))), data_(owned_->data()), size_(owned_->size()) {}
  // `size` floats at `data` inside `mapping`, which the tensor keeps alive.
  FloatTensor(std::shared_ptr<const MappedFile> mapping, const float* data, size_t size)
      : mapping_(std::move(mapping)), data_(data), size_(size) {}
  FloatTensor(const FloatTensor&) = default;
  FloatTensor& operator=(const FloatTensor&) = default;
  // A moved-from tensor is empty, not a view of values it no longer keeps alive.
  FloatTensor(FloatTensor&& other) noexcept
      : owned_(std::move(other.owned_)), mapping_(std::move(other.mapping_)),
        data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  FloatTensor& operator=(FloatTensor&& other) noexcept {
    owned_ = std::move(other.owned_);
    mapping_ = std::move(other.mapping_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  const float* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const float& operator[](size_t i) const { return data_[i]; }
  const float* begin() const { return data_; }
  const float* end() const { return data_ + size_; }
  operator std::span<const float>() const { return {data_, size_}; }  // NOLINT: a view, as vector's

  // A view's pages leave resident memory until read again (see MappedFile::release_pages):
  // for weights the fast path has copied into its packed form. Owned values stay.
  void release_pages() const {
    if (mapping_) mapping_->release_pages(data_, size_ * sizeof(float));
  }

 private:
  std::shared_ptr<const std::vector<float>> owned_;
  std::shared_ptr<const MappedFile> mapping_;
  const float* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace packformer
