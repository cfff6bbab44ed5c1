// Indexing CPU kernels: index_select, index_add, gather, scatter, tril/triu, over any strides.
// The op layer has already checked every index value, so these loops trust them. Each kernel walks
// the dims other than the indexed one with a strided plan, and handles the indexed dim itself.
#include <algorithm>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/loops.h"

namespace strata::backend::cpu {
namespace {

template <typename F>
void dispatch_index(DType d, const char* op, F&& f) {
  switch (d) {
    case kInt32:
      return f.template operator()<int32_t>();
    case kInt64:
      return f.template operator()<int64_t>();
    default:
      unsupported_dtype(d, op);
  }
}

// Accumulation that also works for bool (logical or), as PyTorch's index_add_ on bool tensors.
template <typename T>
void accumulate(T& dst, T v) {
  if constexpr (std::is_same_v<T, bool>)
    dst = dst || v;
  else
    dst = static_cast<T>(dst + v);
}

// Visits every position of `shape` with the dims in `skip` held at 0 (they are dropped from the
// plan); f receives one element pointer per operand.
template <int N>
struct OuterLoop {
  LoopPlan<N> plan;
  std::array<int64_t, N> elsize{};
  bool empty = false;

  OuterLoop(Shape shape, std::initializer_list<int64_t> skip, const std::array<const Tensor*, N>& ops) {
    for (int64_t d : skip) shape[d] = 1;
    empty = shape.numel() == 0;
    std::array<const int64_t*, N> st;
    for (int k = 0; k < N; ++k) {
      st[k] = ops[k]->strides().data();
      elsize[k] = static_cast<int64_t>(element_size(ops[k]->dtype()));
    }
    plan = make_plan<N>(shape, st);
  }

  template <typename F>
  void run(const std::array<char*, N>& base, F&& f) const {
    if (empty) return;
    run_plan<N>(plan, base, elsize,
                [&](const std::array<char*, N>& p, const std::array<int64_t, N>& s, int64_t n) {
                  std::array<char*, N> q = p;
                  for (int64_t j = 0; j < n; ++j) {
                    f(q);
                    for (int k = 0; k < N; ++k) q[k] += s[k] * elsize[k];
                  }
                });
  }
};

char* byte_ptr(const Tensor& t) { return static_cast<char*>(t.data_ptr()); }

void index_select(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  if (out.numel() == 0) return;
  const OuterLoop<2> loop(out.shape(), {dim}, {&out, &x});
  dispatch_storage(x.dtype(), "index_select", [&]<typename T>() {
    dispatch_index(index.dtype(), "index_select", [&]<typename I>() {
      const I* idx = index.data<I>();
      const int64_t es = sizeof(T), is = index.stride(0);
      for (int64_t i = 0; i < index.numel(); ++i) {
        char* o = byte_ptr(out) + i * out.stride(dim) * es;
        char* src = byte_ptr(x) + static_cast<int64_t>(idx[i * is]) * x.stride(dim) * es;
        loop.run({o, src}, [](const std::array<char*, 2>& q) {
          *reinterpret_cast<T*>(q[0]) = *reinterpret_cast<const T*>(q[1]);
        });
      }
    });
  });
}

void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  if (src.numel() == 0) return;
  const OuterLoop<2> loop(src.shape(), {dim}, {&out, &src});
  dispatch_all(out.dtype(), "index_add", [&]<typename T>() {
    dispatch_index(index.dtype(), "index_add", [&]<typename I>() {
      const I* idx = index.data<I>();
      const int64_t es = sizeof(T), is = index.stride(0);
      // Sequential over the index, so repeated indices accumulate deterministically.
      for (int64_t i = 0; i < index.numel(); ++i) {
        char* o = byte_ptr(out) + static_cast<int64_t>(idx[i * is]) * out.stride(dim) * es;
        char* s = byte_ptr(src) + i * src.stride(dim) * es;
        loop.run({o, s}, [](const std::array<char*, 2>& q) {
          accumulate(*reinterpret_cast<T*>(q[0]), *reinterpret_cast<const T*>(q[1]));
        });
      }
    });
  });
}

// out (index's shape)[..., i, ...] = x[..., index[..., i, ...], ...] along dim.
void gather(const Tensor& out, const Tensor& x, int64_t dim, const Tensor& index) {
  if (out.numel() == 0) return;
  const OuterLoop<3> loop(index.shape(), {dim}, {&out, &x, &index});
  dispatch_storage(x.dtype(), "gather", [&]<typename T>() {
    dispatch_index(index.dtype(), "gather", [&]<typename I>() {
      const int64_t xs = x.stride(dim);
      for (int64_t i = 0; i < index.size(dim); ++i) {
        char* o = byte_ptr(out) + i * out.stride(dim) * static_cast<int64_t>(sizeof(T));
        char* ix = byte_ptr(index) + i * index.stride(dim) * static_cast<int64_t>(sizeof(I));
        loop.run({o, byte_ptr(x), ix}, [xs](const std::array<char*, 3>& q) {
          const int64_t k = static_cast<int64_t>(*reinterpret_cast<const I*>(q[2]));
          *reinterpret_cast<T*>(q[0]) = reinterpret_cast<const T*>(q[1])[k * xs];
        });
      }
    });
  });
}

template <bool Accumulate>
void scatter_impl(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  const OuterLoop<3> loop(index.shape(), {dim}, {&out, &index, &src});
  auto body = [&]<typename T>() {
    dispatch_index(index.dtype(), "scatter", [&]<typename I>() {
      const int64_t os = out.stride(dim);
      for (int64_t i = 0; i < index.size(dim); ++i) {
        char* ix = byte_ptr(index) + i * index.stride(dim) * static_cast<int64_t>(sizeof(I));
        char* s = byte_ptr(src) + i * src.stride(dim) * static_cast<int64_t>(sizeof(T));
        loop.run({byte_ptr(out), ix, s}, [os](const std::array<char*, 3>& q) {
          const int64_t k = static_cast<int64_t>(*reinterpret_cast<const I*>(q[1]));
          T& dst = reinterpret_cast<T*>(q[0])[k * os];
          if constexpr (Accumulate)
            accumulate(dst, *reinterpret_cast<const T*>(q[2]));
          else
            dst = *reinterpret_cast<const T*>(q[2]);
        });
      }
    });
  };
  if constexpr (Accumulate)
    dispatch_all(out.dtype(), "scatter_add", body);
  else
    dispatch_storage(out.dtype(), "scatter", body);
}

void scatter(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src, bool accumulate) {
  if (index.numel() == 0) return;
  if (accumulate)
    scatter_impl<true>(out, dim, index, src);
  else
    scatter_impl<false>(out, dim, index, src);
}

// Keeps element (r, c) of each matrix when c - r <= diagonal (tril) or c - r >= diagonal (triu).
void tril_triu(const Tensor& out, const Tensor& x, int64_t diagonal, bool upper) {
  if (out.numel() == 0) return;
  const int64_t nd = x.dim();
  const int64_t rows = x.size(nd - 2), cols = x.size(nd - 1);
  const OuterLoop<2> loop(x.shape(), {nd - 2, nd - 1}, {&out, &x});
  dispatch_storage(x.dtype(), "tril_triu", [&]<typename T>() {
    const int64_t ors = out.stride(nd - 2), ocs = out.stride(nd - 1);
    const int64_t xrs = x.stride(nd - 2), xcs = x.stride(nd - 1);
    loop.run({byte_ptr(out), byte_ptr(x)}, [&](const std::array<char*, 2>& q) {
      T* o = reinterpret_cast<T*>(q[0]);
      const T* v = reinterpret_cast<const T*>(q[1]);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
          const bool keep = upper ? c - r >= diagonal : c - r <= diagonal;
          o[r * ors + c * ocs] = keep ? v[r * xrs + c * xcs] : T(0.0f);
        }
      }
    });
  });
}

}  // namespace

void register_indexing(Kernels& k) {
  k.index_select = &index_select;
  k.index_add = &index_add;
  k.gather = &gather;
  k.scatter = &scatter;
  k.tril_triu = &tril_triu;
}

}  // namespace strata::backend::cpu
