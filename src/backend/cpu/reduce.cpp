// Reduction kernels: whole-tensor and multi-dim reductions, and arg_reduce/cumsum along one dim.
// For `reduce`, the output is viewed with stride 0 along reduced dims and the input is
// walked once in memory order, accumulating into a buffer of the accumulator type. Float and
// double sums, means, max and min of contiguous rows or columns take reduce_fast.h's vectorised,
// multi-threaded path instead.
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <vector>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/loops.h"
#include "backend/cpu/reduce_fast.h"
#include "strata/factories.h"

namespace strata::backend::cpu {
namespace {

template <typename T>
bool nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

// The identity of max/min: -inf/+inf for floats (the lowest finite value would be returned for a
// row of -inf, and is out of float32's range when the accumulator is double).
template <typename A>
A lowest() {
  if constexpr (std::is_floating_point_v<A>)
    return -std::numeric_limits<A>::infinity();
  else
    return std::numeric_limits<A>::lowest();
}
template <typename A>
A highest() {
  if constexpr (std::is_floating_point_v<A>)
    return std::numeric_limits<A>::infinity();
  else
    return std::numeric_limits<A>::max();
}

// Writes results converted to out's dtype: the input's, or int64 for sums of integers and bools.
template <typename T>
struct Store {
  void* data;
  bool as_int64;
  template <typename Acc>
  void operator()(int64_t i, Acc v) const {
    if (as_int64)
      static_cast<int64_t*>(data)[i] = static_cast<int64_t>(v);
    else
      static_cast<T*>(data)[i] = static_cast<T>(v);
  }
};

constexpr int64_t kMaxBlockColumns = 1024;

// The common small case without a loop plan or scratch tensors: contiguous x and out whose
// reduced dims form one leading or one trailing block (reduce_matrix). Returns false when the
// layout is not of that kind.
template <typename T, typename Acc, typename F, typename Finish>
bool reduce_blocks(const Tensor& out, const Tensor& x, Acc init, F combine, Finish finish) {
  if (out.dtype() != dtype_of_v<T> && out.dtype() != kInt64) return false;
  const std::optional<ReduceMatrix> m = reduce_matrix(out, x);
  if (!m) return false;
  const int64_t kept = m->kept, reduced = m->reduced;
  const T* v = static_cast<const T*>(x.data_ptr());
  const Store<T> store{out.data_ptr(), out.dtype() != dtype_of_v<T>};
  if (m->leading) {  // out[j] = reduction over i of x[i, j]
    if (kept > kMaxBlockColumns) return false;
    Acc acc[kMaxBlockColumns];
    for (int64_t j = 0; j < kept; ++j) acc[j] = init;
    for (int64_t i = 0; i < reduced; ++i, v += kept)
      for (int64_t j = 0; j < kept; ++j) acc[j] = combine(acc[j], static_cast<Acc>(v[j]));
    for (int64_t j = 0; j < kept; ++j) store(j, finish(acc[j]));
    return true;
  }
  // out[i] = reduction over j of x[i, j] (with no reduced dim, each x[i] combined with init).
  for (int64_t i = 0; i < kept; ++i, v += reduced) {
    Acc a = init;
    for (int64_t j = 0; j < reduced; ++j) a = combine(a, static_cast<Acc>(v[j]));
    store(i, finish(a));
  }
  return true;
}

template <typename T, typename Acc, typename F, typename Finish>
void reduce_into(const Tensor& out, const Tensor& x, Acc init, F combine, Finish finish) {
  if (reduce_blocks<T>(out, x, init, combine, finish)) return;
  // acc has out's shape; viewed over x's shape with stride 0 on the reduced dims.
  std::vector<Acc> acc(static_cast<size_t>(out.numel()), init);
  Tensor acc_view = from_blob(acc.data(), out.shape(), dtype_of_v<Acc>);
  Shape st = contiguous_strides(out.shape());
  for (size_t d = 0; d < st.size(); ++d)
    if (out.size(static_cast<int64_t>(d)) == 1) st[d] = 0;
  Tensor acc_expanded = from_blob(acc.data(), out.shape(), dtype_of_v<Acc>);
  acc_expanded.impl().set_shape(x.shape(), st, 0);
  for_each_run<2>({&acc_expanded, &x},
                  [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                    Acc* a = reinterpret_cast<Acc*>(p[0]);
                    const T* v = reinterpret_cast<const T*>(p[1]);
                    if (s[0] == 0) {
                      Acc r = *a;
                      for (int64_t i = 0; i < n; ++i) r = combine(r, static_cast<Acc>(v[i * s[1]]));
                      *a = r;
                    } else {
                      for (int64_t i = 0; i < n; ++i)
                        a[i * s[0]] = combine(a[i * s[0]], static_cast<Acc>(v[i * s[1]]));
                    }
                  });
  for (Acc& a : acc) a = finish(a);
  cpu_kernels().copy(out, acc_view);
}

void reduce(ReduceOp op, const Tensor& out, const Tensor& x) {
  dispatch_all(x.dtype(), "reduce", [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (op != ReduceOp::Prod && reduce_fast(op, out, x)) return;
    }
    using A = std::conditional_t<std::is_same_v<T, bool>, int64_t, acc_t<T>>;
    const auto same = [](A a) { return a; };
    switch (op) {
      case ReduceOp::Sum:
        return reduce_into<T, A>(
            out, x, A(0), [](A a, A b) { return a + b; }, same);
      case ReduceOp::Mean:
        if constexpr (std::is_floating_point_v<A>) {
          // The sum divided in the accumulator's precision; 0 / 0 is NaN for an empty group.
          const A count = out.numel() == 0 ? A(1) : static_cast<A>(x.numel() / out.numel());
          return reduce_into<T, A>(
              out, x, A(0), [](A a, A b) { return a + b; }, [count](A a) { return a / count; });
        } else {
          unsupported_dtype(x.dtype(), "mean");
        }
      case ReduceOp::Prod:
        return reduce_into<T, A>(
            out, x, A(1), [](A a, A b) { return a * b; }, same);
      case ReduceOp::Max:
        return reduce_into<T, A>(
            out, x, lowest<A>(),
            [](A a, A b) { return nan_value(a) || nan_value(b) ? (nan_value(a) ? a : b) : (b > a ? b : a); },
            same);
      case ReduceOp::Min:
        return reduce_into<T, A>(
            out, x, highest<A>(),
            [](A a, A b) { return nan_value(a) || nan_value(b) ? (nan_value(a) ? a : b) : (b < a ? b : a); },
            same);
    }
  });
}

// ---- along one dim: arg_reduce and cumsum ----
// Both walk "lanes": the 1-d runs of x along `dim`, one per output position of the keepdim shape.
// When dim is x's innermost dim each lane is scanned in one go; otherwise the lanes are advanced
// together one step of dim at a time, so that every sweep reads memory in order.

// Strides of `t` over the keepdim shape `keep` (0 where keep has size 1).
Shape lane_strides(const Tensor& t, const Shape& keep) {
  Shape s(keep.size(), 0);
  for (size_t d = 0; d < keep.size(); ++d) s[d] = keep[d] == 1 ? 0 : t.stride(static_cast<int64_t>(d));
  return s;
}

bool scan_lanes(const Tensor& x, int64_t dim, int64_t lanes) {
  return std::abs(x.stride(dim)) == 1 || lanes == 1;
}

template <typename T>
bool replaces(T v, T best, bool is_max) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(best)) return false;  // the first NaN wins, as PyTorch
    if (std::isnan(v)) return true;
  }
  return is_max ? v > best : v < best;
}

void arg_reduce(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim, bool is_max) {
  if (values.numel() == 0) return;
  if (x.dim() == 0) {
    cpu_kernels().copy(values, x);
    cpu_kernels().fill(indices, int64_t{0});
    return;
  }
  const Shape& keep = values.shape();
  const int64_t n = x.size(dim), step = x.stride(dim);
  const Shape sv = lane_strides(values, keep), si = lane_strides(indices, keep), sx = lane_strides(x, keep);
  const auto plan = make_plan<3>(keep, {sv.data(), si.data(), sx.data()});
  dispatch_all(x.dtype(), "arg_reduce", [&]<typename T>() {
    const std::array<int64_t, 3> elsize{sizeof(T), sizeof(int64_t), sizeof(T)};
    std::array<char*, 3> base{static_cast<char*>(values.data_ptr()), static_cast<char*>(indices.data_ptr()),
                              static_cast<char*>(x.data_ptr())};
    if (scan_lanes(x, dim, values.numel())) {
      run_plan<3>(plan, base, elsize,
                  [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t m) {
                    for (int64_t i = 0; i < m; ++i) {
                      const T* lane = reinterpret_cast<const T*>(p[2]) + i * s[2];
                      T best = lane[0];
                      int64_t at = 0;
                      for (int64_t k = 1; k < n; ++k) {
                        if (replaces(lane[k * step], best, is_max)) {
                          best = lane[k * step];
                          at = k;
                        }
                      }
                      reinterpret_cast<T*>(p[0])[i * s[0]] = best;
                      reinterpret_cast<int64_t*>(p[1])[i * s[1]] = at;
                    }
                  });
      return;
    }
    for (int64_t k = 0; k < n; ++k) {
      auto at = base;
      at[2] += k * step * static_cast<int64_t>(sizeof(T));
      run_plan<3>(plan, at, elsize,
                  [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t m) {
                    T* v = reinterpret_cast<T*>(p[0]);
                    int64_t* ix = reinterpret_cast<int64_t*>(p[1]);
                    const T* xs = reinterpret_cast<const T*>(p[2]);
                    for (int64_t i = 0; i < m; ++i) {
                      if (k == 0 || replaces(xs[i * s[2]], v[i * s[0]], is_max)) {
                        v[i * s[0]] = xs[i * s[2]];
                        ix[i * s[1]] = k;
                      }
                    }
                  });
    }
  });
}

// out and x have one shape and dtype; either may walk dim backwards (negative stride).
void cumsum(const Tensor& out, const Tensor& x, int64_t dim) {
  if (out.numel() == 0) return;
  if (x.dim() == 0) return cpu_kernels().copy(out, x);
  Shape keep = x.shape();
  keep[dim] = 1;
  const int64_t n = x.size(dim), so = out.stride(dim), sx = x.stride(dim);
  const Shape lo = lane_strides(out, keep), lx = lane_strides(x, keep);
  dispatch_numeric(x.dtype(), "cumsum", [&]<typename T>() {
    using A = acc_t<T>;  // double for floats, as PyTorch's CPU cumsum
    const std::array<int64_t, 2> elsize{sizeof(T), sizeof(T)};
    const std::array<char*, 2> base{static_cast<char*>(out.data_ptr()), static_cast<char*>(x.data_ptr())};
    if (scan_lanes(x, dim, keep.numel())) {
      const auto plan = make_plan<2>(keep, {lo.data(), lx.data()});
      run_plan<2>(plan, base, elsize,
                  [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t m) {
                    for (int64_t i = 0; i < m; ++i) {
                      T* o = reinterpret_cast<T*>(p[0]) + i * s[0];
                      const T* v = reinterpret_cast<const T*>(p[1]) + i * s[1];
                      A acc = 0;
                      for (int64_t k = 0; k < n; ++k) {
                        acc += static_cast<A>(v[k * sx]);
                        o[k * so] = static_cast<T>(acc);
                      }
                    }
                  });
      return;
    }
    // One running sum per lane, laid out contiguously over the keepdim shape.
    std::vector<A> acc(static_cast<size_t>(keep.numel()), A(0));
    Shape la = contiguous_strides(keep);
    for (size_t d = 0; d < keep.size(); ++d)
      if (keep[d] == 1) la[d] = 0;
    const auto plan = make_plan<3>(keep, {la.data(), lo.data(), lx.data()});
    for (int64_t k = 0; k < n; ++k) {
      const std::array<char*, 3> at{reinterpret_cast<char*>(acc.data()),
                                    base[0] + k * so * static_cast<int64_t>(sizeof(T)),
                                    base[1] + k * sx * static_cast<int64_t>(sizeof(T))};
      run_plan<3>(plan, at, {sizeof(A), sizeof(T), sizeof(T)},
                  [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t m) {
                    A* a = reinterpret_cast<A*>(p[0]);
                    T* o = reinterpret_cast<T*>(p[1]);
                    const T* v = reinterpret_cast<const T*>(p[2]);
                    for (int64_t i = 0; i < m; ++i) {
                      a[i * s[0]] += static_cast<A>(v[i * s[2]]);
                      o[i * s[1]] = static_cast<T>(a[i * s[0]]);
                    }
                  });
    }
  });
}

}  // namespace

void register_reduce(Kernels& k) {
  k.reduce = &reduce;
  k.arg_reduce = &arg_reduce;
  k.cumsum = &cumsum;
}

}  // namespace strata::backend::cpu
