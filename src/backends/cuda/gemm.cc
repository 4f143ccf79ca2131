#include "backends/cuda/gemm.h"

#include <string>

#include "backends/cuda/check.h"
#include "packformer/error.h"

namespace packformer::cuda {

namespace {

cudaDataType_t cuda_type(Precision dtype) {
  switch (dtype) {
    case Precision::F32: return CUDA_R_32F;
    case Precision::F16: return CUDA_R_16F;
    case Precision::BF16: return CUDA_R_16BF;
    case Precision::Int8: fail(ErrorKind::Unsupported, "the CUDA GEMM has no int8 path (int8 runs on the CPU)");
  }
  return CUDA_R_32F;
}

cublasLtEpilogue_t lt_epilogue(GemmEpilogue epilogue) {
  switch (epilogue) {
    case GemmEpilogue::None: return CUBLASLT_EPILOGUE_DEFAULT;
    case GemmEpilogue::Bias: return CUBLASLT_EPILOGUE_BIAS;
    case GemmEpilogue::BiasGelu: return CUBLASLT_EPILOGUE_GELU_BIAS;
    case GemmEpilogue::BiasRelu: return CUBLASLT_EPILOGUE_RELU_BIAS;
  }
  return CUBLASLT_EPILOGUE_DEFAULT;
}

}  // namespace

// One shape's descriptors and algorithm. In cuBLASLt's column-major terms the row-major
// product y = x W^T is D[out, rows] = op(A)[out, in] * B[in, rows] with A = W (stored [in, out]
// column-major, transposed) and B = x (stored [in, rows] column-major).
struct GemmRunner::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool has_bias = false;

  ~Plan() {
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

GemmRunner::GemmRunner(const Context& context, Precision dtype) : context_(context), dtype_(dtype) {}
GemmRunner::~GemmRunner() = default;

void GemmRunner::linear(const void* x, int64_t rows, const void* weight, const void* bias, int64_t in, int64_t out,
                        void* y, GemmEpilogue epilogue) {
  const auto key = std::make_tuple(rows, in, out, static_cast<int>(epilogue));
  auto it = plans_.find(key);
  if (it == plans_.end()) {
    if (plans_.size() >= 512) plans_.clear();  // many distinct batch shapes: start over rather than grow forever
    auto plan = std::make_unique<Plan>();
    const cudaDataType_t type = cuda_type(dtype_);
    // fp32: CUBLAS_COMPUTE_32F never uses TF32, which would cost the fp32 path its 1e-4 parity.
    PF_CUBLAS_CHECK(cublasLtMatmulDescCreate(&plan->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t transpose = CUBLAS_OP_T, keep = CUBLAS_OP_N;
    PF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof transpose));
    PF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &keep, sizeof keep));
    const cublasLtEpilogue_t lt = lt_epilogue(epilogue);
    PF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &lt, sizeof lt));
    plan->has_bias = epilogue != GemmEpilogue::None;
    PF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->a, type, static_cast<uint64_t>(in), static_cast<uint64_t>(out), in));
    PF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->b, type, static_cast<uint64_t>(in), static_cast<uint64_t>(rows), in));
    PF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->d, type, static_cast<uint64_t>(out), static_cast<uint64_t>(rows), out));

    cublasLtMatmulPreference_t preference = nullptr;
    PF_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&preference));
    const size_t workspace = context_.lt_workspace_bytes();
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    cublasStatus_t status = cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                                 &workspace, sizeof workspace);
    if (status == CUBLAS_STATUS_SUCCESS)
      status = cublasLtMatmulAlgoGetHeuristic(context_.lt(), plan->desc, plan->a, plan->b, plan->d, plan->d, preference,
                                              1, &result, &found);
    cublasLtMatmulPreferenceDestroy(preference);
    PF_CUBLAS_CHECK(status);
    if (found == 0)
      fail(ErrorKind::Unsupported, "cuBLASLt has no algorithm for a " + std::string(precision_name(dtype_)) + " GEMM of " +
                                       std::to_string(rows) + " x " + std::to_string(in) + " -> " + std::to_string(out));
    plan->algo = result.algo;
    it = plans_.emplace(key, std::move(plan)).first;
  }
  Plan& plan = *it->second;
  if (plan.has_bias)
    PF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias));
  const float alpha = 1.0f, beta = 0.0f;
  PF_CUBLAS_CHECK(cublasLtMatmul(context_.lt(), plan.desc, &alpha, weight, plan.a, x, plan.b, &beta, y, plan.d, y, plan.d,
                                 &plan.algo, context_.lt_workspace(), context_.lt_workspace_bytes(), context_.stream()));
}

}  // namespace packformer::cuda
