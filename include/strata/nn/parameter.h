#pragma once
/// \file parameter.h
/// `nn::Parameter` and `nn::Buffer`: the tensors a module owns. Declare them as members and list
/// them in `STRATA_MODULE`; they are then found by `parameters()` / `buffers()`, saved by
/// `state_dict()`, moved by `to()`, and named for error messages ("SimpleNet.fc1.weight").
///
///     struct Scale : nn::Module {
///       nn::Parameter gain{strata::ones({8})};
///       nn::Buffer steps{strata::zeros({}, {.dtype = strata::kInt64})};
///       Tensor forward(const Tensor& x) { return x * gain; }
///       STRATA_MODULE(Scale, gain, steps)
///     };
#include "strata/tensor.h"

namespace strata::nn {

/// A trainable tensor: a leaf that requires grad (unless `requires_grad` is false). It shares
/// memory with the tensor it is built from but not its history. A default-constructed Parameter
/// is empty (an optional bias, say) and is skipped by every traversal.
///
/// Creating a Parameter inside `forward()` is an error: it would be a fresh, untrained tensor on
/// every call. Assigning one Parameter to another ties them (both names share one tensor).
class Parameter : public Tensor {
 public:
  Parameter() noexcept;
  Parameter(const Tensor& data, bool requires_grad = true);  // NOLINT: implicit, like assignment
  Parameter(const Parameter& other);
  Parameter(Parameter&& other) noexcept;
  Parameter& operator=(const Parameter& other) = default;
  Parameter& operator=(Parameter&& other) noexcept = default;
  ~Parameter();
};

/// A tensor that is part of a module's state but not trained (running statistics, say).
/// Non-persistent buffers move with `to()` but are left out of `state_dict()`.
class Buffer : public Tensor {
 public:
  Buffer() noexcept;
  Buffer(const Tensor& data, bool persistent = true);  // NOLINT: implicit, like assignment
  Buffer(const Buffer& other);
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(const Buffer& other) = default;
  Buffer& operator=(Buffer&& other) noexcept = default;
  /// New contents; the buffer stays persistent or not.
  Buffer& operator=(const Tensor& data);
  ~Buffer();

  bool persistent() const { return persistent_; }

 private:
  bool persistent_ = true;
};

}  // namespace strata::nn
