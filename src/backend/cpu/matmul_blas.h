#pragma once
// strata's calls into OpenBLAS for float32 and float64 products (matmul_blas.cpp). matmul.cpp
// decides which products come here and makes the operands readable in place first.
#include <cstdint>

#include "backend/cpu/matmul_own.h"

namespace strata::backend::cpu {

/// How row-major BLAS reads a rows x cols strided matrix in place: as a row-major matrix with
/// leading dimension `ld`, or (`trans`) as the transpose of one. `ok` is false when neither fits
/// (a stride 0, negative or overlapping, a leading dimension past INT_MAX): copy it first.
struct BlasLayout {
  bool ok = false;
  bool trans = false;
  int ld = 0;
};
BlasLayout blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs);

/// Whether BLAS reads an n-vector with stride `inc` in place (a positive int stride).
bool blas_vector_ok(int64_t n, int64_t inc);

/// Whether strata may run BLAS calls on several threads at once: only with OpenBLAS's pthread
/// build, whose concurrent callers are safe; the OpenMP and serial builds are called from one
/// thread at a time.
bool blas_calls_may_overlap();

/// C = A @ B (or C += A @ B when `accumulate`) with cblas_?gemm, for T float or double. A, B and C
/// must have an ok blas_layout (C may be transposed: the product is then computed as C^T = B^T A^T);
/// 1 <= M, N, K <= INT_MAX.
template <typename T>
void blas_gemm(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N, int64_t K,
               bool accumulate);

/// The same with one cblas_?gemv per row of C (`rows`: C's row i = A's row i @ B) or per column
/// (C's column j = A @ B's column j). By rows, B must have an ok blas_layout and A's rows and C's
/// rows (stride cs) must be blas_vector_ok; by columns, A and the columns (stride rs) of B and C.
template <typename T>
void blas_gemv(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N, int64_t K,
               bool accumulate, bool rows);

}  // namespace strata::backend::cpu
