#pragma once
/// \file shape.h
/// `Shape`: a small, fixed-capacity list of sizes (or strides). It lives inline in the tensor, so
/// building a shape never touches the heap. Prints as `[4, 10]`.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace strata {

using IntList = std::span<const int64_t>;

class Shape {
 public:
  /// The most dimensions a tensor may have.
  static constexpr int kMaxDims = 12;

  Shape() = default;
  Shape(std::initializer_list<int64_t> sizes) { assign(sizes.begin(), sizes.size()); }
  Shape(IntList sizes) { assign(sizes.data(), sizes.size()); }  // NOLINT(google-explicit-constructor)
  Shape(const std::vector<int64_t>& sizes) { assign(sizes.data(), sizes.size()); }  // NOLINT
  explicit Shape(size_t rank, int64_t fill) {
    resize(rank);
    std::fill(begin(), end(), fill);
  }

  size_t size() const { return rank_; }
  bool empty() const { return rank_ == 0; }
  int64_t& operator[](size_t i) { return data_[i]; }
  int64_t operator[](size_t i) const { return data_[i]; }
  int64_t* begin() { return data_; }
  int64_t* end() { return data_ + rank_; }
  const int64_t* begin() const { return data_; }
  const int64_t* end() const { return data_ + rank_; }
  const int64_t* data() const { return data_; }
  int64_t back() const { return data_[rank_ - 1]; }
  void resize(size_t rank) {
    if (rank > static_cast<size_t>(kMaxDims)) throw_too_many_dims(rank);
    for (size_t i = rank_; i < rank; ++i) data_[i] = 0;
    rank_ = rank;
  }
  void push_back(int64_t v) {
    resize(rank_ + 1);
    data_[rank_ - 1] = v;
  }
  void insert(size_t pos, int64_t v);
  void erase(size_t pos);
  operator IntList() const { return {data_, rank_}; }  // NOLINT(google-explicit-constructor)
  std::vector<int64_t> vec() const { return {begin(), end()}; }

  /// Product of the sizes (1 for a 0-d shape).
  int64_t numel() const {
    int64_t n = 1;
    for (size_t i = 0; i < rank_; ++i) n *= data_[i];
    return n;
  }
  bool operator==(const Shape& o) const { return rank_ == o.rank_ && std::equal(begin(), end(), o.begin()); }
  std::string str() const;

 private:
  [[noreturn]] static void throw_too_many_dims(size_t rank);
  void assign(const int64_t* p, size_t n);
  int64_t data_[kMaxDims] = {};
  size_t rank_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Shape& shape);

/// Row-major strides of a contiguous tensor of this shape.
Shape contiguous_strides(const Shape& shape);

}  // namespace strata
