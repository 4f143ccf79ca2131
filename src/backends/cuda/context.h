// One CUDA device as an encoder uses it: the device ordinal, one stream, one cuBLASLt handle
// and its workspace; plus RAII owners of device and pinned host memory.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

namespace packformer::cuda {

// Device memory, freed by the destructor. Allocated once (weights at load, the workspace
// when a larger batch than planned arrives), never per call.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  template <typename T>
  T* at(size_t offset) const { return reinterpret_cast<T*>(static_cast<char*>(data_) + offset); }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// Page-locked host memory: copies from and to it run asynchronously at full bus speed.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

class Context {
 public:
  // Throws InvalidInput when `device` does not exist, with cudaGetDeviceCount's answer.
  explicit Context(int device);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const { return device_; }
  const std::string& device_name() const { return name_; }
  cudaStream_t stream() const { return stream_; }
  cublasLtHandle_t lt() const { return lt_; }
  void* lt_workspace() const { return lt_workspace_.data(); }
  // The most dynamic shared memory one block may opt in to on this device (99 KiB on sm_86/89,
  // 163 KiB on A100, 227 KiB on H100): kernels that need more are not launched.
  size_t max_shared_bytes_per_block() const { return max_shared_bytes_; }
  size_t lt_workspace_bytes() const { return lt_workspace_.bytes(); }

  // Makes this context's device current on the calling thread (cheap; done at each call).
  void activate() const;
  void synchronize() const;

 private:
  void release();

  int device_ = 0;
  size_t max_shared_bytes_ = 0;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cublasLtHandle_t lt_ = nullptr;
  DeviceBuffer lt_workspace_;
};

}  // namespace packformer::cuda
