#pragma once
// Transitional: these ops are declared in strata/ops.h but still being written, and a static
// library with an undefined function would not link. Declaring them weak lets the golden test link
// now and report each missing op as a failure (never a skip). Delete this file, and the
// `pending::` arguments in golden_ops.h, once every op below is defined.
#include <strata/ops.h>

namespace strata {
#define STRATA_GOLDEN_WEAK __attribute__((weak))
STRATA_GOLDEN_WEAK Tensor prod(const Tensor& x);
STRATA_GOLDEN_WEAK Tensor prod(const Tensor& x, int64_t dim, bool keepdim);
STRATA_GOLDEN_WEAK Tensor max(const Tensor& x);
STRATA_GOLDEN_WEAK Tensor min(const Tensor& x);
STRATA_GOLDEN_WEAK ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim);
STRATA_GOLDEN_WEAK ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim);
STRATA_GOLDEN_WEAK Tensor argmax(const Tensor& x);
STRATA_GOLDEN_WEAK Tensor argmax(const Tensor& x, int64_t dim, bool keepdim);
STRATA_GOLDEN_WEAK Tensor argmin(const Tensor& x);
STRATA_GOLDEN_WEAK Tensor argmin(const Tensor& x, int64_t dim, bool keepdim);
STRATA_GOLDEN_WEAK Tensor var(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim);
STRATA_GOLDEN_WEAK Tensor std(const Tensor& x, const Shape& dims, int64_t correction, bool keepdim);
STRATA_GOLDEN_WEAK Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim);
STRATA_GOLDEN_WEAK Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim);
STRATA_GOLDEN_WEAK Tensor cumsum(const Tensor& x, int64_t dim);
STRATA_GOLDEN_WEAK Tensor softmax(const Tensor& x, int64_t dim);
STRATA_GOLDEN_WEAK Tensor log_softmax(const Tensor& x, int64_t dim);
STRATA_GOLDEN_WEAK Tensor matmul(const Tensor& a, const Tensor& b);
STRATA_GOLDEN_WEAK Tensor mm(const Tensor& a, const Tensor& b);
STRATA_GOLDEN_WEAK Tensor bmm(const Tensor& a, const Tensor& b);
STRATA_GOLDEN_WEAK Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
STRATA_GOLDEN_WEAK Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
STRATA_GOLDEN_WEAK Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
STRATA_GOLDEN_WEAK std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim);
STRATA_GOLDEN_WEAK std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
STRATA_GOLDEN_WEAK std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim);
STRATA_GOLDEN_WEAK Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
STRATA_GOLDEN_WEAK Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
STRATA_GOLDEN_WEAK Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
STRATA_GOLDEN_WEAK Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
STRATA_GOLDEN_WEAK Tensor one_hot(const Tensor& indices, int64_t num_classes);
STRATA_GOLDEN_WEAK Tensor embedding(const Tensor& weight, const Tensor& indices);
STRATA_GOLDEN_WEAK Tensor tril(const Tensor& x, int64_t diagonal);
STRATA_GOLDEN_WEAK Tensor triu(const Tensor& x, int64_t diagonal);
#undef STRATA_GOLDEN_WEAK
}  // namespace strata

namespace golden::pending {

template <typename F>
bool defined(F* f) {
  return f != nullptr;
}

using strata::Tensor;
using strata::ValuesIndices;
using TensorList = std::vector<Tensor>;
using Shape = strata::Shape;

inline bool prod() {
  return defined<Tensor(const Tensor&)>(&strata::prod) &&
         defined<Tensor(const Tensor&, int64_t, bool)>(&strata::prod);
}
inline bool max() {
  return defined<Tensor(const Tensor&)>(&strata::max) &&
         defined<ValuesIndices(const Tensor&, int64_t, bool)>(&strata::max);
}
inline bool min() {
  return defined<Tensor(const Tensor&)>(&strata::min) &&
         defined<ValuesIndices(const Tensor&, int64_t, bool)>(&strata::min);
}
inline bool argmax() {
  return defined<Tensor(const Tensor&)>(&strata::argmax) &&
         defined<Tensor(const Tensor&, int64_t, bool)>(&strata::argmax);
}
inline bool argmin() {
  return defined<Tensor(const Tensor&)>(&strata::argmin) &&
         defined<Tensor(const Tensor&, int64_t, bool)>(&strata::argmin);
}
inline bool var() { return defined(&strata::var); }
inline bool std_() { return defined(&strata::std); }
inline bool norm() { return defined(&strata::norm); }
inline bool logsumexp() { return defined(&strata::logsumexp); }
inline bool cumsum() { return defined(&strata::cumsum); }
inline bool softmax() { return defined(&strata::softmax); }
inline bool log_softmax() { return defined(&strata::log_softmax); }
inline bool matmul() { return defined(&strata::matmul); }
inline bool mm() { return defined(&strata::mm); }
inline bool bmm() { return defined(&strata::bmm); }
inline bool linear() { return defined(&strata::linear); }
inline bool cat() { return defined(&strata::cat); }
inline bool stack() { return defined(&strata::stack); }
inline bool split() {
  return defined<TensorList(const Tensor&, int64_t, int64_t)>(&strata::split) &&
         defined<TensorList(const Tensor&, const std::vector<int64_t>&, int64_t)>(&strata::split);
}
inline bool chunk() { return defined(&strata::chunk); }
inline bool index_select() { return defined(&strata::index_select); }
inline bool gather() { return defined(&strata::gather); }
inline bool scatter() { return defined(&strata::scatter); }
inline bool scatter_add() { return defined(&strata::scatter_add); }
inline bool one_hot() { return defined(&strata::one_hot); }
inline bool embedding() { return defined(&strata::embedding); }
inline bool tril() { return defined(&strata::tril); }
inline bool triu() { return defined(&strata::triu); }

}  // namespace golden::pending
