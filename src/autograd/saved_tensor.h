#pragma once
// A tensor kept for backward, with the version it had when saved: using it after an in-place
// change would give a wrong gradient, so unpack() refuses.
#include <memory>

#include "autograd/node.h"
#include "strata/tensor.h"

namespace strata::autograd {

class SavedTensor {
 public:
  SavedTensor() = default;
  /// An op's input: kept by reference (it cannot point back to the op's node).
  static SavedTensor input(const Tensor& t);
  /// An op's own output: kept without its grad_fn (that would be a reference cycle) and re-linked
  /// to the node on unpack.
  static SavedTensor output(const Tensor& t);

  bool defined() const { return data_.defined(); }
  /// The tensor, checked against in-place modification. `op` and `what` name it in the error.
  Tensor unpack(std::string_view op, const char* what) const;

 private:
  Tensor data_;
  std::weak_ptr<Node> grad_fn_;  // for outputs only
  uint32_t output_nr_ = 0;
  uint32_t version_ = 0;
  bool is_output_ = false;
};

}  // namespace strata::autograd
