#pragma once
// strata's own matrix-product kernels (matmul_own.cpp), for what BLAS does not do or does slower:
// integer dtypes, and the products matmul.cpp's routing measured faster here than OpenBLAS.
#include <cstdint>

namespace strata::backend::cpu {

/// A strided matrix: element (r, c) is p[r * rs + c * cs]; strides may be 0 or negative.
template <typename T>
struct Mat {
  T* p;
  int64_t rs, cs;
  T& at(int64_t r, int64_t c) const { return p[r * rs + c * cs]; }
};

/// C = A @ B (M x K by K x N, K >= 1), or C += A @ B when `accumulate` (C is not read otherwise).
/// Any strides. Instantiated for float, double and the unsigned integer types (signed integers
/// are computed as unsigned so that overflow wraps, as in PyTorch, without undefined behaviour).
template <typename T>
void own_gemm(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N, int64_t K,
              bool accumulate);

/// Products of at most this many multiply-adds (M * N * K) are "small" to own_gemm: computed
/// without packing (see matmul_own.cpp).
inline constexpr int64_t kOwnSmallWork = 32 * 32 * 32;

}  // namespace strata::backend::cpu
