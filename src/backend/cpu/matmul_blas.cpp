// The OpenBLAS calls behind strata's float products (why OpenBLAS, and why one thread per call:
// benchmarks/gemm_libraries.cpp). Row-major CBLAS reads a matrix in place when one of its strides
// is 1 and the other is a leading dimension at least the row length, which covers contiguous
// operands, their transposes (the trans flags) and slices of either; a batch is a pointer offset.
#include "backend/cpu/matmul_blas.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <type_traits>

namespace strata::backend::cpu {
namespace {

// OpenBLAS keeps one process-wide thread count. strata's pool splits large products itself (its
// workers sleep when idle, while OpenBLAS's poll for a while after each call), so every call
// made here runs on the calling thread alone. Set once, before the first call.
void use_one_blas_thread() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

CBLAS_TRANSPOSE flag(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

template <typename T>
void gemm_call(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* a, int lda, const T* b, int ldb,
               T beta, T* c, int ldc) {
  const int m = static_cast<int>(M), n = static_cast<int>(N), k = static_cast<int>(K);
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
  else
    cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
}

// y = M x (+ y when beta is 1) for the rows x K matrix `mat` (strides rs, cs).
template <typename T>
void gemv_call(const T* mat, int64_t rows, int64_t K, int64_t rs, int64_t cs, const T* x, int64_t incx,
               T beta, T* y, int64_t incy) {
  const BlasLayout l = blas_layout(rows, K, rs, cs);
  // Stored transposed, the matrix is K x rows and BLAS applies the transpose.
  const int r = static_cast<int>(l.trans ? K : rows), c = static_cast<int>(l.trans ? rows : K);
  const int ix = static_cast<int>(K <= 1 ? 1 : incx), iy = static_cast<int>(rows <= 1 ? 1 : incy);
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemv(CblasRowMajor, flag(l.trans), r, c, 1.0f, mat, l.ld, x, ix, beta, y, iy);
  else
    cblas_dgemv(CblasRowMajor, flag(l.trans), r, c, 1.0, mat, l.ld, x, ix, beta, y, iy);
}

}  // namespace

BlasLayout blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  // A dim of size 1 is never stepped along, so its stride does not matter.
  auto leading = [](int64_t stride, int64_t min) {
    return stride >= std::max<int64_t>(min, 1) && stride <= INT_MAX;
  };
  if ((cols <= 1 || cs == 1) && (rows <= 1 || leading(rs, cols)))
    return {true, false, static_cast<int>(rows <= 1 ? std::max<int64_t>(cols, 1) : rs)};
  if ((rows <= 1 || rs == 1) && (cols <= 1 || leading(cs, rows)))
    return {true, true, static_cast<int>(cols <= 1 ? std::max<int64_t>(rows, 1) : cs)};
  return {};
}

bool blas_vector_ok(int64_t n, int64_t inc) { return n <= 1 || (inc >= 1 && inc <= INT_MAX); }

bool blas_calls_may_overlap() {
  static const bool pthread_build = openblas_get_parallel() == 1;  // 0 serial, 1 pthread, 2 OpenMP
  return pthread_build;
}

template <typename T>
void blas_gemm(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N, int64_t K,
               bool accumulate) {
  use_one_blas_thread();
  const T beta = accumulate ? T(1) : T(0);  // beta 0: C is written, never read (garbage or NaN stays out)
  const BlasLayout lc = blas_layout(M, N, C.rs, C.cs);
  if (lc.trans) {  // C^T (N x M, row-major) = B^T A^T
    const BlasLayout lb = blas_layout(N, K, B.cs, B.rs), la = blas_layout(K, M, A.cs, A.rs);
    gemm_call<T>(lb.trans, la.trans, N, M, K, B.p, lb.ld, A.p, la.ld, beta, C.p, lc.ld);
  } else {
    const BlasLayout la = blas_layout(M, K, A.rs, A.cs), lb = blas_layout(K, N, B.rs, B.cs);
    gemm_call<T>(la.trans, lb.trans, M, N, K, A.p, la.ld, B.p, lb.ld, beta, C.p, lc.ld);
  }
}

template <typename T>
void blas_gemv(const Mat<const T>& A, const Mat<const T>& B, const Mat<T>& C, int64_t M, int64_t N, int64_t K,
               bool accumulate, bool rows) {
  use_one_blas_thread();
  const T beta = accumulate ? T(1) : T(0);
  if (rows) {  // C's row i (N) = B^T (N x K) @ A's row i
    for (int64_t i = 0; i < M; ++i)
      gemv_call<T>(B.p, N, K, B.cs, B.rs, &A.at(i, 0), A.cs, beta, &C.at(i, 0), C.cs);
  } else {  // C's column j (M) = A (M x K) @ B's column j
    for (int64_t j = 0; j < N; ++j)
      gemv_call<T>(A.p, M, K, A.rs, A.cs, &B.at(0, j), B.rs, beta, &C.at(0, j), C.rs);
  }
}

#define STRATA_BLAS_PRODUCTS(T)                                                                         \
  template void blas_gemm<T>(const Mat<const T>&, const Mat<const T>&, const Mat<T>&, int64_t, int64_t, \
                             int64_t, bool);                                                            \
  template void blas_gemv<T>(const Mat<const T>&, const Mat<const T>&, const Mat<T>&, int64_t, int64_t, \
                             int64_t, bool, bool);
STRATA_BLAS_PRODUCTS(float)
STRATA_BLAS_PRODUCTS(double)
#undef STRATA_BLAS_PRODUCTS

}  // namespace strata::backend::cpu
