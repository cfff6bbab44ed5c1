#pragma once
// The fast path of the reduce kernel (reduce.cpp): contiguous float and double reductions whose
// reduced dims form one block, vectorised (simd.h) and split across threads.
#include <cstdint>
#include <optional>

#include "backend/kernels.h"
#include "strata/tensor.h"

namespace strata::backend::cpu {

/// x (contiguous, as out) seen as a matrix: [kept, reduced] reduced along its rows, or, when
/// `leading`, [reduced, kept] reduced down its columns. Size-1 dims are set aside; no reduced dim
/// at all is rows of one element, all dims reduced one row.
struct ReduceMatrix {
  int64_t kept = 1;
  int64_t reduced = 1;
  bool leading = false;
};
/// The matrix view of reducing contiguous x into contiguous out (x's rank, reduced dims of size
/// 1), or nothing when the reduced dims do not form one leading or one trailing block.
inline std::optional<ReduceMatrix> reduce_matrix(const Tensor& out, const Tensor& x) {
  const detail::TensorImpl& xi = x.impl();
  const detail::TensorImpl& oi = out.impl();
  const size_t rank = xi.sizes.size();
  if (!xi.contiguous || !oi.contiguous || oi.sizes.size() != rank) return std::nullopt;
  ReduceMatrix m;
  int changes = 0;
  bool first_reduced = false, any = false, prev_reduced = false;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t n = xi.sizes[d];
    if (n == 1) continue;
    const bool r = oi.sizes[d] == 1;
    if (!any) first_reduced = r;
    if (any && r != prev_reduced) ++changes;
    any = true;
    prev_reduced = r;
    (r ? m.reduced : m.kept) *= n;
  }
  if (changes > 1) return std::nullopt;
  m.leading = changes == 1 && first_reduced;
  return m;
}

/// Sum, Mean, Max or Min of float or double x into out of the same dtype when reduce_matrix
/// applies; false (nothing done) otherwise. Sums accumulate in double, in an order fixed by the
/// shape alone: a long row in blocks of kSumBlock elements whose sums are added in order, columns
/// in blocks of whole rows (~64K elements) whose partial sums are added in order. The result is the
/// same for any thread count and instruction set.
bool reduce_fast(ReduceOp op, const Tensor& out, const Tensor& x);

/// Elements per partial result of a long row.
constexpr int64_t kSumBlock = 4096;

}  // namespace strata::backend::cpu
