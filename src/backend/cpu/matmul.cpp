// The bmm kernel slot: out[b] = add[b] + op(a[b]) @ op(b[b]) for every product strata computes
// (mm, bmm, matmul, linear and their gradients). This file picks the kernel of each product
// (choose_route): OpenBLAS's gemm or gemv (matmul_blas.cpp), or strata's own kernel (matmul_own.cpp)
// for integers and the float shapes where it measured faster; copies operands that BLAS cannot read
// in place; and splits large products across strata's thread pool (choose_split). OpenBLAS itself
// runs one thread per call: its idle threads poll after each call, strata's pool sleeps.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <type_traits>

#include "backend/cpu/allocator.h"
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/matmul_blas.h"
#include "backend/cpu/matmul_own.h"
#include "core/parallel.h"

namespace strata::backend::cpu {
namespace {

// Integers wrap on overflow (as PyTorch); computing in the unsigned type makes that defined.
template <typename T>
struct compute_type {
  using type = T;
};
template <typename T>
requires std::is_integral_v<T>
struct compute_type<T> {
  using type = std::make_unsigned_t<T>;
};

// One operand as a [batch, rows, cols] array: matrix b is at p + b * bs (bs 0 for a broadcast).
template <typename T>
struct Operand {
  T* p;
  int64_t bs, rs, cs;
  Mat<T> mat(int64_t b) const { return {p + b * bs, rs, cs}; }
};

// Strides of t as a [batch, rows, cols] operand of out's shape: t's dims right-aligned with out's,
// 0 where t has no dim or size 1 (broadcast), and a 0 batch stride for 2-d operands.
std::array<int64_t, 3> strides_3d(const Tensor& t, const Tensor& out) {
  std::array<int64_t, 3> st{0, 0, 0};
  const int64_t lead = out.dim() - t.dim(), shift = 3 - out.dim();
  for (int64_t d = std::max<int64_t>(lead, 0); d < out.dim(); ++d)
    if (t.shape()[d - lead] != 1) st[d + shift] = t.strides()[d - lead];
  return st;
}

template <typename T>
Operand<T> operand(const Tensor& t, const Tensor& out, bool trans) {
  auto st = strides_3d(t, out);
  if (trans) std::swap(st[1], st[2]);  // a transposed operand is read with its strides swapped
  return {static_cast<T*>(t.data_ptr()), st[0], st[1], st[2]};
}

using Route = MatmulRoute;

// The routing thresholds, from one-thread timings of each candidate on each shape (float32, 2-core
// Zen 3; benchmarks/gemm_libraries.cpp's "route/" rows, table at its end):
// - C with at most kThinMax rows (or columns): one gemv per row (column). OpenBLAS's gemm packs all
//   of B even for a handful of rows: against it gemv is 2-3x faster at 1-2 rows of a 1024 x 1024
//   layer, ~1.4x at 4-6 (one layout, 4 rows of x @ W, is a tie), even at 8. But a gemv costs
//   ~0.1 us however small, so strata's kernel keeps the products whose gemvs are each under
//   kGemvMinWork multiply-adds (kGemvMinWork1 for a single gemv): SimpleNet's [4, 2] logits, 1.5-3x.
// - at most kOwnSmallWork multiply-adds: strata's kernel, 1.2-3.5x faster (SimpleNet's products; its
//   advantage fades into the noise by 48^3-64^3).
// - N <= 16 (a classifier's logits, x @ W^T with 10 outputs), or K <= 10 with at most 2^19
//   outputs (their input gradient, g @ W): strata's kernel, 10-50% faster; with more outputs or a
//   longer K, or the small dim being M, gemm is as fast or up to 2.3x faster.
constexpr int64_t kThinMax = 6, kGemvMinWork = 4096, kGemvMinWork1 = 256;

template <typename T>
Route choose_route(int64_t M, int64_t N, int64_t K) {
  if constexpr (!std::is_floating_point_v<T>) {
    return Route::kOwn;  // BLAS has no integer products
  } else {
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return Route::kOwn;  // past BLAS's int sizes
    if (std::min(M, N) <= kThinMax) {
      const double per_gemv = static_cast<double>(std::max(M, N)) * static_cast<double>(K);
      if (per_gemv < (std::min(M, N) == 1 ? kGemvMinWork1 : kGemvMinWork)) return Route::kOwn;
      return M <= N ? Route::kGemvRows : Route::kGemvCols;
    }
    const double outputs = static_cast<double>(M) * static_cast<double>(N);
    if (outputs * static_cast<double>(K) <= kOwnSmallWork || N <= 16 || (K <= 10 && outputs <= (1 << 19)))
      return Route::kOwn;
    return Route::kGemm;
  }
}

// Memory from strata's caching allocator for an operand BLAS cannot read in place.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    if (p_) deallocate(p_, n_);
  }
  template <typename T>
  T* get(int64_t count) {
    n_ = static_cast<size_t>(count) * sizeof(T);
    p_ = allocate(n_);
    return static_cast<T*>(p_);
  }

 private:
  void* p_ = nullptr;
  size_t n_ = 0;
};

// dst's matrices = src's, element by element (both rows x cols, any strides).
template <typename T>
void copy_matrices(const Operand<T>& dst, const Operand<const T>& src, int64_t batches, int64_t rows,
                   int64_t cols) {
  for (int64_t b = 0; b < batches; ++b) {
    const Mat<T> d = dst.mat(b);
    const Mat<const T> s = src.mat(b);
    for (int64_t i = 0; i < rows; ++i) {
      if (d.cs == 1 && s.cs == 1) {
        std::memcpy(&d.at(i, 0), &s.at(i, 0), static_cast<size_t>(cols) * sizeof(T));
        continue;
      }
      for (int64_t j = 0; j < cols; ++j) d.at(i, j) = s.at(i, j);
    }
  }
}

// A row-major copy of src (one matrix for a broadcast operand) in scratch.
template <typename T>
Operand<const T> contiguous(const Operand<const T>& src, int64_t batches, int64_t rows, int64_t cols,
                            Scratch& scratch) {
  const int64_t n = src.bs == 0 ? 1 : batches;
  const Operand<T> dst{scratch.get<T>(n * rows * cols), src.bs == 0 ? 0 : rows * cols, cols, 1};
  copy_matrices(dst, src, n, rows, cols);
  return {dst.p, dst.bs, dst.rs, dst.cs};
}

// Whether BLAS reads each operand of the route in place (C's strides included).
struct InPlace {
  bool a, b, c;
};
template <typename T>
InPlace in_place(Route route, int64_t M, int64_t N, int64_t K, const Operand<const T>& A,
                 const Operand<const T>& B, const Operand<T>& C) {
  switch (route) {
    case Route::kGemvRows:  // B as a matrix, rows of A and C as vectors
      return {blas_vector_ok(K, A.cs), blas_layout(K, N, B.rs, B.cs).ok, blas_vector_ok(N, C.cs)};
    case Route::kGemvCols:  // A as a matrix, columns of B and C as vectors
      return {blas_layout(M, K, A.rs, A.cs).ok, blas_vector_ok(K, B.rs), blas_vector_ok(M, C.rs)};
    default:
      return {blas_layout(M, K, A.rs, A.cs).ok, blas_layout(K, N, B.rs, B.cs).ok,
              blas_layout(M, N, C.rs, C.cs).ok};
  }
}

// Products of at least this many flops (2 M N K over all batches) are split across threads, in
// tasks of at least half of it: tens of microseconds of arithmetic, against the few microseconds of
// waking a sleeping worker.
constexpr double kSplitFlops = 1 << 24;

// How a product is cut into tasks: `parts` blocks of each of `batches` matrices, along rows of C
// (or columns, when `by_cols`), `step` rows or columns a block.
struct Split {
  int64_t parts = 1, step = 0;
  bool by_cols = false;
};

template <typename T>
Split choose_split(int64_t batches, int64_t M, int64_t N, int64_t K, int threads) {
  Split s;
  const double per_matrix = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (threads <= 1 || per_matrix * static_cast<double>(batches) < kSplitFlops) return s;
  // Whole matrices are the tasks when they share out evenly, or are many. Otherwise each is cut in
  // blocks, as many as make the tasks a multiple of the threads (a lone matrix: one per thread).
  if (batches % threads == 0 || batches >= 4 * threads) return s;
  s.parts = threads / std::gcd(batches, int64_t{threads});
  s.parts =
      std::min<int64_t>(s.parts, std::max<int64_t>(1, static_cast<int64_t>(per_matrix / (kSplitFlops / 2))));
  // Blocks of rows, or of columns when C is wider than tall, on whole cache lines of C.
  s.by_cols = N > M;
  const int64_t extent = s.by_cols ? N : M, align = s.by_cols ? 64 / static_cast<int64_t>(sizeof(T)) : 1;
  s.step = (extent + s.parts - 1) / s.parts;
  s.step = std::min(extent, (s.step + align - 1) / align * align);
  s.parts = (extent + s.step - 1) / s.step;
  return s;
}

template <typename T>
void bmm_typed(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& add, bool trans_a,
               bool trans_b) {
  using U = typename compute_type<T>::type;
  const Shape& so = out.shape();
  const int64_t batches = out.dim() == 3 ? so[0] : 1;
  const int64_t M = so[so.size() - 2], N = so[so.size() - 1], K = a.shape()[a.dim() - (trans_a ? 2 : 1)];
  Operand<const U> A = operand<const U>(a, out, trans_a), B = operand<const U>(b, out, trans_b);
  Operand<U> C = operand<U>(out, out, false);
  const Operand<const U> D = add.defined() ? operand<const U>(add, out, false) : Operand<const U>{};
  const Route route = K == 0 ? Route::kOwn : choose_route<U>(M, N, K);

  // Operands BLAS cannot read in place are copied first, once, rather than by each task.
  Scratch a_copy, b_copy, c_copy;
  Operand<U> C_out = C;  // where the result finally goes
  if (route != Route::kOwn) {
    const InPlace ok = in_place(route, M, N, K, A, B, C);
    if (!ok.a) A = contiguous(A, batches, M, K, a_copy);
    if (!ok.b) B = contiguous(B, batches, K, N, b_copy);
    if (!ok.c) C = {c_copy.get<U>(batches * M * N), M * N, N, 1};
  }

  const bool threads_ok = route == Route::kOwn || blas_calls_may_overlap();
  const Split split = choose_split<U>(batches, M, N, K, threads_ok ? get_num_threads() : 1);
  // Task t: block t % parts of matrix t / parts.
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t bi = t / split.parts, first = t % split.parts * split.step;
      int64_t m0 = 0, m = M, n0 = 0, n = N;
      if (split.parts > 1) (split.by_cols ? n0 : m0) = first;
      if (split.parts > 1) (split.by_cols ? n : m) = std::min(split.step, (split.by_cols ? N : M) - first);
      const Mat<const U> Ab = A.mat(bi), Bb = B.mat(bi);
      const Mat<const U> As{&Ab.at(m0, 0), Ab.rs, Ab.cs}, Bs{&Bb.at(0, n0), Bb.rs, Bb.cs};
      const Mat<U> Cs{&C.mat(bi).at(m0, n0), C.rs, C.cs};
      if (add.defined()) {
        const Mat<const U> Db = D.mat(bi);
        copy_matrices<U>({Cs.p, 0, Cs.rs, Cs.cs}, {&Db.at(m0, n0), 0, Db.rs, Db.cs}, 1, m, n);
      }
      if (K == 0) {
        if (!add.defined())
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) Cs.at(i, j) = U(0);
        continue;
      }
      if constexpr (std::is_floating_point_v<U>) {
        if (route == Route::kGemm) {
          blas_gemm<U>(As, Bs, Cs, m, n, K, add.defined());
          continue;
        }
        if (route == Route::kGemvRows || route == Route::kGemvCols) {
          blas_gemv<U>(As, Bs, Cs, m, n, K, add.defined(), route == Route::kGemvRows);
          continue;
        }
      }
      own_gemm<U>(As, Bs, Cs, m, n, K, add.defined());
    }
  };
  const int64_t tasks = batches * split.parts;
  if (threads_ok && tasks > 1) {
    // Each chunk of tasks worth at least half the split threshold.
    const double task_flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) /
                              static_cast<double>(split.parts);
    detail::parallel_for(0, tasks,
                         static_cast<int64_t>(std::ceil(kSplitFlops / 2 / std::max(task_flops, 1.0))), run);
  } else {
    run(0, tasks);
  }
  if (C.p != C_out.p) copy_matrices<U>(C_out, {C.p, C.bs, C.rs, C.cs}, batches, M, N);
}

void bmm(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& add, bool trans_a, bool trans_b) {
  if (out.numel() == 0) return;
  dispatch_numeric(out.dtype(), "bmm", [&]<typename T>() { bmm_typed<T>(out, a, b, add, trans_a, trans_b); });
}

}  // namespace

MatmulRoute matmul_route(DType dtype, int64_t M, int64_t N, int64_t K) {
  if (dtype == kFloat32) return choose_route<float>(M, N, K);
  if (dtype == kFloat64) return choose_route<double>(M, N, K);
  return Route::kOwn;
}

void register_matmul(Kernels& k) { k.bmm = &bmm; }

}  // namespace strata::backend::cpu
