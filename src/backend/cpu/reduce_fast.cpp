// Contiguous float/double Sum, Mean, Max and Min (see reduce_fast.h): rows through the vector
// loops' row reductions, columns through their accumulate loops, split across threads by rows,
// by blocks of a long row, by column slices or by blocks of rows, each chosen from the shape
// alone so that the order of arithmetic, and so the result, never depends on the thread count.
#include "backend/cpu/reduce_fast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/loops.h"
#include "backend/cpu/simd.h"

namespace strata::backend::cpu {

namespace {

// Rows shorter than this are reduced by a plain loop: the call into the vector loops would cost
// more than the row.
constexpr int64_t kShortRow = 16;
// Elements per block of rows when columns are reduced: each block has partial results of its own.
constexpr int64_t kColumnBlock = 65536;

template <typename T>
struct SumOp {
  using Acc = double;
  static Acc init() { return 0; }
  static Acc combine(Acc a, Acc b) { return a + b; }
  static Acc row(const simd::Loops<T>& l, const T* x, int64_t n) { return l.sum(x, n); }
  static void accumulate(const simd::Loops<T>& l, Acc* acc, const T* x, int64_t n) {
    l.accumulate_sum(acc, x, n);
  }
};

// The reductions' max/min: a NaN held stays, a new NaN replaces, else the better value.
template <typename T, bool IsMax>
struct ExtremeOp {
  using Acc = T;
  static Acc init() {
    return IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  }
  static Acc combine(Acc a, Acc b) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
    return (IsMax ? b > a : b < a) ? b : a;
  }
  static Acc row(const simd::Loops<T>& l, const T* x, int64_t n) { return IsMax ? l.max(x, n) : l.min(x, n); }
  static void accumulate(const simd::Loops<T>& l, Acc* acc, const T* x, int64_t n) {
    (IsMax ? l.accumulate_max : l.accumulate_min)(acc, x, n);
  }
};

// One row: short rows by a plain loop, rows up to kSumBlock by one call, longer ones in blocks of
// kSumBlock combined in order (the blocks across threads when `parallel`).
template <typename T, typename Op>
typename Op::Acc reduce_row(const simd::Loops<T>& l, const T* x, int64_t n, bool parallel) {
  using Acc = typename Op::Acc;
  if (n < kShortRow) {
    Acc a = Op::init();
    for (int64_t i = 0; i < n; ++i) a = Op::combine(a, static_cast<Acc>(x[i]));
    return a;
  }
  if (n <= kSumBlock) return Op::row(l, x, n);
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<Acc> part(static_cast<size_t>(blocks));
  auto run = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      part[i] = Op::row(l, x + i * kSumBlock, std::min(kSumBlock, n - i * kSumBlock));
  };
  if (parallel)
    parallel_work(blocks, kSumBlock, kParallelReduce, run);
  else
    run(0, blocks);
  Acc a = part[0];
  for (int64_t i = 1; i < blocks; ++i) a = Op::combine(a, part[i]);
  return a;
}

// out[i] = finish(reduction of row i of the [kept, reduced] matrix x).
template <typename T, typename Op, typename Finish>
void reduce_rows(const simd::Loops<T>& l, T* out, const T* x, int64_t kept, int64_t reduced, Finish finish) {
  if (kept == 1) {
    out[0] = static_cast<T>(finish(reduce_row<T, Op>(l, x, reduced, true)));
    return;
  }
  parallel_work(kept, reduced, kParallelReduce, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      out[i] = static_cast<T>(finish(reduce_row<T, Op>(l, x + i * reduced, reduced, false)));
  });
}

// out[j] = finish(reduction of column j of the [reduced, kept] matrix x). Blocks of whole rows,
// about kColumnBlock elements each, are accumulated into partial results of their own (so that
// every thread streams through contiguous memory) and combined in block order; matrices of at
// least kColumnBlock columns are split into slices of columns instead.
template <typename T, typename Op, typename Finish>
void reduce_columns(const simd::Loops<T>& l, T* out, const T* x, int64_t reduced, int64_t kept,
                    Finish finish) {
  using Acc = typename Op::Acc;
  // Accumulators on the stack for the usual widths: a training step's bias gradients allocate nothing.
  constexpr int64_t kStackColumns = 1024;
  Acc stack_acc[kStackColumns];
  std::vector<Acc> heap_acc;
  Acc* acc = stack_acc;
  if (kept > kStackColumns) {
    heap_acc.resize(static_cast<size_t>(kept));
    acc = heap_acc.data();
  }
  std::fill(acc, acc + kept, Op::init());
  // Rows r0..r1 of columns c0..c1 into `into`: narrow rows by a plain loop (accumulate's arithmetic
  // without a call per short row), others by the vector loops.
  auto accumulate_rows = [&](Acc* into, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    if (c1 - c0 < kShortRow) {
      for (int64_t i = r0; i < r1; ++i) {
        const T* v = x + i * kept;
        for (int64_t j = c0; j < c1; ++j) into[j] = Op::combine(into[j], static_cast<Acc>(v[j]));
      }
      return;
    }
    for (int64_t i = r0; i < r1; ++i) Op::accumulate(l, into + c0, x + i * kept + c0, c1 - c0);
  };
  const int64_t rows_per_block = std::max<int64_t>(1, kColumnBlock / kept);
  const int64_t blocks = (reduced + rows_per_block - 1) / rows_per_block;
  if (kept >= kColumnBlock) {
    parallel_work(kept, reduced, kParallelReduce,
                  [&](int64_t c0, int64_t c1) { accumulate_rows(acc, 0, reduced, c0, c1); });
  } else if (blocks <= 1) {
    accumulate_rows(acc, 0, reduced, 0, kept);
  } else {
    std::vector<Acc> part(static_cast<size_t>(blocks * kept), Op::init());
    parallel_work(blocks, rows_per_block * kept, kParallelReduce, [&](int64_t b, int64_t e) {
      for (int64_t blk = b; blk < e; ++blk)
        accumulate_rows(&part[blk * kept], blk * rows_per_block,
                        std::min(reduced, (blk + 1) * rows_per_block), 0, kept);
    });
    for (int64_t blk = 0; blk < blocks; ++blk)
      for (int64_t j = 0; j < kept; ++j)
        acc[j] = blk == 0 ? part[j] : Op::combine(acc[j], part[blk * kept + j]);
  }
  for (int64_t j = 0; j < kept; ++j) out[j] = static_cast<T>(finish(acc[j]));
}

template <typename T, typename Op, typename Finish>
void reduce_matrix_as(const simd::Loops<T>& l, const ReduceMatrix& m, const Tensor& out, const Tensor& x,
                      Finish finish) {
  T* o = static_cast<T*>(out.data_ptr());
  const T* v = static_cast<const T*>(x.data_ptr());
  if (m.leading)
    reduce_columns<T, Op>(l, o, v, m.reduced, m.kept, finish);
  else
    reduce_rows<T, Op>(l, o, v, m.kept, m.reduced, finish);
}

template <typename T>
bool reduce_typed(ReduceOp op, const Tensor& out, const Tensor& x) {
  const simd::Loops<T>& l = simd::table().loops<T>();
  if (l.sum == nullptr || out.dtype() != x.dtype() || out.numel() == 0) return false;
  const std::optional<ReduceMatrix> m = reduce_matrix(out, x);
  if (!m) return false;
  const auto same = [](auto a) { return a; };
  switch (op) {
    case ReduceOp::Sum:
      reduce_matrix_as<T, SumOp<T>>(l, *m, out, x, same);
      return true;
    case ReduceOp::Mean: {
      // The sum divided in double; 0 / 0 is NaN for an empty group.
      const double count = static_cast<double>(m->reduced);
      reduce_matrix_as<T, SumOp<T>>(l, *m, out, x, [count](double a) { return a / count; });
      return true;
    }
    case ReduceOp::Max:
      reduce_matrix_as<T, ExtremeOp<T, true>>(l, *m, out, x, same);
      return true;
    case ReduceOp::Min:
      reduce_matrix_as<T, ExtremeOp<T, false>>(l, *m, out, x, same);
      return true;
    case ReduceOp::Prod:
      break;
  }
  return false;
}

}  // namespace

bool reduce_fast(ReduceOp op, const Tensor& out, const Tensor& x) {
  switch (x.dtype()) {
    case kFloat32:
      return reduce_typed<float>(op, out, x);
    case kFloat64:
      return reduce_typed<double>(op, out, x);
    default:
      return false;
  }
}

}  // namespace strata::backend::cpu
