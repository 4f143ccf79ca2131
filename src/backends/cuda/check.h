// Every CUDA runtime and cuBLASLt call goes through these checks: a failure becomes a
// packformer::Error naming the call, the error code's name and its message.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <string>

namespace packformer::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);

}  // namespace packformer::cuda

#define PF_CUDA_CHECK(call)                                                                  \
  do {                                                                                       \
    const cudaError_t pf_status_ = (call);                                                   \
    if (pf_status_ != cudaSuccess) ::packformer::cuda::throw_cuda_error(pf_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define PF_CUBLAS_CHECK(call)                                                                \
  do {                                                                                       \
    const cublasStatus_t pf_status_ = (call);                                                \
    if (pf_status_ != CUBLAS_STATUS_SUCCESS)                                                 \
      ::packformer::cuda::throw_cublas_error(pf_status_, #call, __FILE__, __LINE__);         \
  } while (0)

// After a kernel launch: launch-configuration errors surface here, not at the next sync, and
// the message names the kernel. (Faults while a kernel runs surface at the next synchronize.)
#define PF_CUDA_CHECK_LAUNCH(name)                                                           \
  do {                                                                                       \
    const cudaError_t pf_status_ = cudaGetLastError();                                       \
    if (pf_status_ != cudaSuccess)                                                           \
      ::packformer::cuda::throw_cuda_error(pf_status_, "launch of " name, __FILE__, __LINE__); \
  } while (0)
