// Reduction kernels. The output is viewed with stride 0 along reduced dims and the input is
// walked once in memory order, accumulating into a buffer of the accumulator type.
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/loops.h"
#include "strata/factories.h"

namespace strata::backend::cpu {
namespace {

template <typename T>
bool nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

template <typename T, typename Acc, typename F>
void reduce_into(const Tensor& out, const Tensor& x, Acc init, F combine) {
  // acc has out's shape; viewed over x's shape with stride 0 on the reduced dims.
  std::vector<Acc> acc(static_cast<size_t>(out.numel()), init);
  Tensor acc_view = from_blob(acc.data(), out.shape(), dtype_of_v<Acc>);
  Shape st = contiguous_strides(out.shape());
  for (size_t d = 0; d < st.size(); ++d)
    if (out.size(static_cast<int64_t>(d)) == 1) st[d] = 0;
  Tensor acc_expanded = from_blob(acc.data(), out.shape(), dtype_of_v<Acc>);
  acc_expanded.impl().set_shape(x.shape(), st, 0);
  for_each_run<2>({&acc_expanded, &x}, [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    Acc* a = reinterpret_cast<Acc*>(p[0]);
    const T* v = reinterpret_cast<const T*>(p[1]);
    if (s[0] == 0) {
      Acc r = *a;
      for (int64_t i = 0; i < n; ++i) r = combine(r, static_cast<Acc>(v[i * s[1]]));
      *a = r;
    } else {
      for (int64_t i = 0; i < n; ++i) a[i * s[0]] = combine(a[i * s[0]], static_cast<Acc>(v[i * s[1]]));
    }
  });
  cpu_kernels().copy(out, acc_view);
}

void reduce(ReduceOp op, const Tensor& out, const Tensor& x) {
  dispatch_all(x.dtype(), "reduce", [&]<typename T>() {
    using A = std::conditional_t<std::is_same_v<T, bool>, int64_t, acc_t<T>>;
    switch (op) {
      case ReduceOp::Sum: return reduce_into<T, A>(out, x, A(0), [](A a, A b) { return a + b; });
      case ReduceOp::Prod: return reduce_into<T, A>(out, x, A(1), [](A a, A b) { return a * b; });
      case ReduceOp::Max:
        return reduce_into<T, A>(out, x, std::numeric_limits<A>::lowest(), [](A a, A b) {
          return nan_value(a) || nan_value(b) ? (nan_value(a) ? a : b) : (b > a ? b : a);
        });
      case ReduceOp::Min:
        return reduce_into<T, A>(out, x, std::numeric_limits<A>::max(), [](A a, A b) {
          return nan_value(a) || nan_value(b) ? (nan_value(a) ? a : b) : (b < a ? b : a);
        });
    }
  });
}

}  // namespace

void register_reduce(Kernels& k) { k.reduce = &reduce; }

}  // namespace strata::backend::cpu
