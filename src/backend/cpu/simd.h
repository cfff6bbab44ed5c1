#pragma once
// The CPU kernels' vectorised inner loops over contiguous runs of float and double, compiled once
// per instruction set (Google Highway's foreach_target: scalar fallback, SSE4, AVX2, AVX-512) in
// simd_elementwise.cpp and simd_rows.cpp; the best one the CPU runs is chosen at first use
// (simd_targets.h says which, and why strata uses Highway's headers without its library). The
// kernels in elementwise.cpp, reduce.cpp and softmax.cpp walk shapes and strides and split work
// across threads; they hand each contiguous run to these loops.
//
// Why Highway (measured on a Zen 3, 1M float32, benchmarks/kernels_bench.cpp): the library is
// built for baseline x86-64, where std::exp and std::tanh are scalar calls (8.1 ms and 40 ms per
// 1M floats); Highway's vector exp/tanh under AVX2 take 1.0 ms and 1.6 ms, within 1 ulp (exp) and
// 2.5 ulp (tanh) of the exact result. For plain arithmetic AVX2 over SSE2 gains ~1.3x, and
// sums gain most from breaking the serial dependency of one accumulator. GCC's target_clones would
// give the arithmetic but no vector exp/log/tanh.
//
// Every target computes the same arithmetic: elementwise add/sub/mul/div/max/min and every sum
// give the same bits on all targets and for any thread count (sums keep 16 interleaved partial
// sums in double, combined in a fixed order, whatever the vector width). Exp, log, log1p, tanh
// (and sigmoid, silu, gelu-tanh, softplus through them) are Highway's polynomials, within a few
// ulp of the exact result; on one target their result does not depend on the layout or the
// thread split of the data. Softmax, log_softmax and logsumexp exponentiate values <= 0 with a
// cheaper float exp of their own (simd_math-inl.h), and rows under 8 elements with std::exp.
#include <atomic>
#include <cstdint>
#include <vector>

namespace strata::backend::cpu::simd {

/// Binary arithmetic; AddScaled is a + alpha * b (rounded as written: the product, then the sum).
enum class Binary : uint8_t { Add, Sub, Mul, Div, Max, Min, AddScaled };
/// Which operands are runs: VV o[i] = a[i] op b[i]; VS o[i] = a[i] op b[0]; SV o[i] = a[0] op b[i].
enum class Pattern : uint8_t { VV, VS, SV };
/// Unary functions with the semantics of the scalar kernels in elementwise.cpp (NaN in, NaN out;
/// exp(-inf) = 0, log(0) = -inf, ...). Softplus takes (beta, threshold), LeakyRelu (slope).
enum class Unary : uint8_t {
  Exp,
  Log,
  Log1p,
  Sqrt,
  Rsqrt,
  Tanh,
  Sigmoid,
  Silu,
  GeluTanh,
  Relu,
  Softplus,
  LeakyRelu
};

/// Loops over n contiguous elements (n may be 0). Outputs may alias inputs element for element.
template <typename T>
struct Loops {
  void (*binary)(Binary op, Pattern p, T* o, const T* a, const T* b, int64_t n, T alpha) = nullptr;
  void (*unary)(Unary op, T* o, const T* x, int64_t n, T p0, T p1) = nullptr;
  /// The sum of x[0..n) in double.
  double (*sum)(const T* x, int64_t n) = nullptr;
  /// The largest / smallest of x[0..n) (-inf / +inf for n = 0); the first NaN when there is one.
  T (*max)(const T* x, int64_t n) = nullptr;
  T (*min)(const T* x, int64_t n) = nullptr;
  /// acc[j] += x[j] (in double), acc[j] = max/min(acc[j], x[j]) with NaN kept, for j < n.
  void (*accumulate_sum)(double* acc, const T* x, int64_t n) = nullptr;
  void (*accumulate_max)(T* acc, const T* x, int64_t n) = nullptr;
  void (*accumulate_min)(T* acc, const T* x, int64_t n) = nullptr;
  // Rows of n contiguous elements; row i of an operand starts at its pointer + i * its stride.
  /// softmax (log_softmax when `log`) of each row of x into o (o may be x).
  void (*softmax)(T* o, int64_t os, const T* x, int64_t xs, int64_t rows, int64_t n, bool log) = nullptr;
  /// softmax's gradient for each row: y * (g - sum(g y)), or for log_softmax g - exp(y) sum(g).
  void (*softmax_backward)(T* gi, int64_t gis, const T* g, int64_t gs, const T* y, int64_t ys, int64_t rows,
                           int64_t n, bool log) = nullptr;
  /// out[i * os] = log(sum(exp(row i of x))), shifted by the row's maximum (an infinite maximum
  /// shifts by 0).
  void (*logsumexp)(T* out, int64_t os, const T* x, int64_t xs, int64_t rows, int64_t n) = nullptr;
};

struct Table {
  const char* target = "";
  Loops<float> f32;
  Loops<double> f64;

  template <typename T>
  const Loops<T>& loops() const {
    if constexpr (sizeof(T) == 4)
      return f32;
    else
      return f64;
  }
};

namespace detail {
extern std::atomic<const Table*> g_table;
const Table& init_table();
}  // namespace detail

/// The table of the instruction set in use.
inline const Table& table() {
  const Table* t = detail::g_table.load(std::memory_order_acquire);
  return t != nullptr ? *t : detail::init_table();
}

/// A compiled instruction set this CPU can run.
struct Target {
  int64_t id;
  const char* name;
};
/// Best first; the first is the default.
std::vector<Target> supported_targets();
/// Switches every kernel to the target `id` (from supported_targets(); 0: back to the default).
/// For tests: call it while no kernel runs.
void use_target(int64_t id);

// Filled by the per-target files: the loops of `target` (a Target id).
void fill_elementwise(Table& t, int64_t target);
void fill_rows(Table& t, int64_t target);

}  // namespace strata::backend::cpu::simd
