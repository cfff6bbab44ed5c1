#include "strata/shape.h"

#include "strata/error.h"

namespace strata {

void Shape::throw_too_many_dims(size_t rank) {
  fail("[Shape] {} dimensions requested; strata tensors have at most {}", rank, kMaxDims);
}

void Shape::assign(const int64_t* p, size_t n) {
  resize(n);
  std::copy(p, p + n, data_);
}

void Shape::insert(size_t pos, int64_t v) {
  resize(rank_ + 1);
  for (size_t i = rank_ - 1; i > pos; --i) data_[i] = data_[i - 1];
  data_[pos] = v;
}

void Shape::erase(size_t pos) {
  for (size_t i = pos; i + 1 < rank_; ++i) data_[i] = data_[i + 1];
  --rank_;
}

std::string Shape::str() const {
  std::string s = "[";
  for (size_t i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s += std::to_string(data_[i]);
  }
  return s + "]";
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape.str(); }

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size(), 1);
  int64_t running = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = running;
    running *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

}  // namespace strata
