#pragma once
// The state behind a Tensor handle. Users never touch this; it is public only so that the
// handle's accessors can be inlined (shape(), dtype() cost a load, not a call).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "strata/device.h"
#include "strata/dtype.h"
#include "strata/shape.h"

namespace strata {
class Tensor;
namespace autograd {
class Node;
}
namespace detail {

/// One buffer of memory, shared by a tensor and all of its views.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  /// Bumped by every in-place write; lets backward notice a saved tensor that changed.
  uint32_t version = 0;
  /// True when the memory belongs to someone else (from_blob); then it is not freed here.
  bool borrowed = false;

  Storage(size_t nbytes, Device device);
  Storage(void* data, size_t nbytes, Device device);  // borrowed
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape sizes;
  Shape strides;       // in elements
  int64_t offset = 0;  // in elements
  int64_t numel = 0;
  DType dtype = kFloat32;
  bool contiguous = true;
  /// A Python-style number wrapped as a 0-d tensor: it takes part in type promotion only weakly.
  bool wrapped_number = false;
  /// Created by a view op: in-place autograd through views is refused, not silently wrong.
  bool is_view = false;

  // Autograd state. grad_fn is null for leaves.
  bool requires_grad = false;
  bool retains_grad = false;
  uint32_t output_nr = 0;
  std::shared_ptr<autograd::Node> grad_fn;
  /// A leaf's gradient sink; it refers back to this impl weakly, so holding it here makes no cycle.
  std::shared_ptr<autograd::Node> grad_accumulator;
  std::shared_ptr<TensorImpl> grad;
  /// The full name of a parameter ("SimpleNet.fc1.weight"), used in error messages.
  std::shared_ptr<const std::string> name;

  void set_shape(const Shape& shape, const Shape& strides, int64_t offset);
  void* data_ptr() const {
    return static_cast<char*>(storage->data) + offset * static_cast<int64_t>(element_size(dtype));
  }
};

}  // namespace detail
}  // namespace strata
