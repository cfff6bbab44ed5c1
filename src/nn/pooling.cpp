// Pooling modules: the functional ops, with errors that name the module's path and configuration.
#include "strata/nn/pooling.h"

#include <string_view>

#include "strata/error.h"

namespace strata::nn {
namespace {

namespace F = functional;

// PyTorch prints a size as given: `2`, or `(2, 3)` for a tuple.
std::string repr(const Size2& s) { return s.pair ? fmt::format("({}, {})", s.h, s.w) : std::to_string(s.h); }

// Runs `fn`, turning an op's error "[op] message" into "Net.pool (MaxPool2d(kernel_size=2, ...)):
// message" so that the user sees which layer, configured how, refused the input.
template <typename Fn>
auto named(const Module& m, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    std::string_view msg = e.what();
    if (!msg.empty() && msg.front() == '[') {
      const size_t close = msg.find("] ");
      if (close != std::string_view::npos) msg.remove_prefix(close + 2);
    }
    fail("{} ({}({})): {}", m.path(), m.type_name(), m.extra_repr(), msg);
  }
}

}  // namespace

MaxPool2d::MaxPool2d(Size2 kernel_size, std::optional<Size2> stride, Size2 padding, Size2 dilation,
                     bool return_indices, bool ceil_mode)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      dilation_(dilation),
      return_indices_(return_indices),
      ceil_mode_(ceil_mode) {}

Tensor MaxPool2d::forward(const Tensor& x) {
  return named(*this,
               [&] { return F::max_pool2d(x, kernel_size_, stride_, padding_, dilation_, ceil_mode_); });
}

std::pair<Tensor, Tensor> MaxPool2d::forward_with_indices(const Tensor& x) {
  return named(*this, [&] {
    return F::max_pool2d_with_indices(x, kernel_size_, stride_, padding_, dilation_, ceil_mode_);
  });
}

std::string MaxPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}", repr(kernel_size_),
                     repr(stride_), repr(padding_), repr(dilation_), ceil_mode_);
}

MaxPool1d::MaxPool1d(int64_t kernel_size, std::optional<int64_t> stride, int64_t padding, int64_t dilation,
                     bool return_indices, bool ceil_mode)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      dilation_(dilation),
      return_indices_(return_indices),
      ceil_mode_(ceil_mode) {}

Tensor MaxPool1d::forward(const Tensor& x) {
  return named(*this,
               [&] { return F::max_pool1d(x, kernel_size_, stride_, padding_, dilation_, ceil_mode_); });
}

std::pair<Tensor, Tensor> MaxPool1d::forward_with_indices(const Tensor& x) {
  return named(*this, [&] {
    return F::max_pool1d_with_indices(x, kernel_size_, stride_, padding_, dilation_, ceil_mode_);
  });
}

std::string MaxPool1d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}", kernel_size_,
                     stride_, padding_, dilation_, ceil_mode_);
}

AvgPool2d::AvgPool2d(Size2 kernel_size, std::optional<Size2> stride, Size2 padding, bool ceil_mode,
                     bool count_include_pad, std::optional<int64_t> divisor_override)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      ceil_mode_(ceil_mode),
      count_include_pad_(count_include_pad),
      divisor_override_(divisor_override) {}

Tensor AvgPool2d::forward(const Tensor& x) {
  return named(*this, [&] {
    return F::avg_pool2d(x, kernel_size_, stride_, padding_, ceil_mode_, count_include_pad_,
                         divisor_override_);
  });
}

// PyTorch's AvgPool2d shows only these three.
std::string AvgPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", repr(kernel_size_), repr(stride_),
                     repr(padding_));
}

AvgPool1d::AvgPool1d(int64_t kernel_size, std::optional<int64_t> stride, int64_t padding, bool ceil_mode,
                     bool count_include_pad)
    : kernel_size_(kernel_size),
      stride_(stride.value_or(kernel_size)),
      padding_(padding),
      ceil_mode_(ceil_mode),
      count_include_pad_(count_include_pad) {}

Tensor AvgPool1d::forward(const Tensor& x) {
  return named(*this, [&] {
    return F::avg_pool1d(x, kernel_size_, stride_, padding_, ceil_mode_, count_include_pad_);
  });
}

// PyTorch's AvgPool1d keeps its sizes as 1-tuples.
std::string AvgPool1d::extra_repr() const {
  return fmt::format("kernel_size=({},), stride=({},), padding=({},)", kernel_size_, stride_, padding_);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 output_size) : output_size_(output_size) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  return named(*this, [&] { return F::adaptive_avg_pool2d(x, output_size_); });
}

std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + repr(output_size_); }

AdaptiveAvgPool1d::AdaptiveAvgPool1d(int64_t output_size) : output_size_(output_size) {}

Tensor AdaptiveAvgPool1d::forward(const Tensor& x) {
  return named(*this, [&] { return F::adaptive_avg_pool1d(x, output_size_); });
}

std::string AdaptiveAvgPool1d::extra_repr() const { return fmt::format("output_size={}", output_size_); }

}  // namespace strata::nn
