#include "backends/cuda/context.h"

#include <utility>

#include "backends/cuda/check.h"
#include "packformer/device.h"
#include "packformer/error.h"

namespace packformer {

bool cuda_built() { return true; }

int cuda_device_count(std::string* reason) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    if (reason) *reason = std::string("cudaGetDeviceCount: ") + cudaGetErrorName(status) + ": " + cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && reason) *reason = "cudaGetDeviceCount: 0 devices";
  return count;
}

namespace cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  const ErrorKind kind = status == cudaErrorMemoryAllocation ? ErrorKind::OutOfMemory : ErrorKind::Internal;
  fail(kind, std::string("CUDA call failed: ") + call + ": " + cudaGetErrorName(status) + ": " +
                 cudaGetErrorString(status) + " (" + file + ":" + std::to_string(line) + ")");
}

[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  const ErrorKind kind = status == CUBLAS_STATUS_ALLOC_FAILED ? ErrorKind::OutOfMemory : ErrorKind::Internal;
  fail(kind, std::string("cuBLASLt call failed: ") + call + ": " + cublasLtGetStatusName(status) + ": " +
                 cublasLtGetStatusString(status) + " (" + file + ":" + std::to_string(line) + ")");
}

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) PF_CUDA_CHECK(cudaMalloc(&data_, bytes));
}
DeviceBuffer::~DeviceBuffer() {
  if (data_) cudaFree(data_);
}
DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) cudaFree(data_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

PinnedBuffer::PinnedBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) PF_CUDA_CHECK(cudaHostAlloc(&data_, bytes, cudaHostAllocDefault));
}
PinnedBuffer::~PinnedBuffer() {
  if (data_) cudaFreeHost(data_);
}
PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) cudaFreeHost(data_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

namespace {
// cuBLASLt's recommendation for Hopper is 32 MiB; smaller would limit the algorithms offered.
constexpr size_t kLtWorkspaceBytes = 32u << 20;
}  // namespace

Context::Context(int device) : device_(device) {
  std::string reason;
  const int count = cuda_device_count(&reason);
  if (count == 0) fail(ErrorKind::InvalidInput, "--device cuda:" + std::to_string(device) + ": no CUDA device (" + reason + ")");
  if (device < 0 || device >= count)
    fail(ErrorKind::InvalidInput, "--device cuda:" + std::to_string(device) + ": this machine has " +
                                      std::to_string(count) + " CUDA device(s), numbered from 0");
  PF_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp props{};
  PF_CUDA_CHECK(cudaGetDeviceProperties(&props, device));
  name_ = props.name;
  if (props.major < 8)
    fail(ErrorKind::Unsupported, "--device cuda:" + std::to_string(device) + ": " + name_ + " has compute capability " +
                                     std::to_string(props.major) + "." + std::to_string(props.minor) +
                                     "; packformer's CUDA backend is built for 8.0 (Ampere) and newer");
  int optin = 0;
  PF_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  max_shared_bytes_ = static_cast<size_t>(optin);
  try {  // a destructor does not run for a half-built object: release what was made
    PF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    PF_CUBLAS_CHECK(cublasLtCreate(&lt_));
    lt_workspace_ = DeviceBuffer(kLtWorkspaceBytes);
  } catch (...) {
    release();
    throw;
  }
}

Context::~Context() { release(); }

void Context::release() {
  if (lt_) cublasLtDestroy(lt_);
  if (stream_) cudaStreamDestroy(stream_);
  lt_ = nullptr;
  stream_ = nullptr;
}

void Context::activate() const { PF_CUDA_CHECK(cudaSetDevice(device_)); }
void Context::synchronize() const { PF_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

}  // namespace cuda
}  // namespace packformer
