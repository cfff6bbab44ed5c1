// Helpers the normalization modules share (see normalization_common.h).
#include "nn/normalization_common.h"

#include <fmt/format.h>

namespace strata::nn::detail {

std::string python_float(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // 1 -> 1.0; inf/nan keep their 'n'
  return s;
}

std::string python_tuple(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::string module_label(const Module& m) {
  return fmt::format("{} ({} {})", m.path(), m.type_name(), m.extra_repr());
}

void check_normalized_shape(const char* type, const Shape& shape) {
  if (shape.empty()) fail("[{}] normalized_shape must name at least one dim, got []", type);
  for (int64_t s : shape)
    if (s < 0) fail("[{}] normalized_shape {} has a negative size", type, shape.str());
}

void check_input_dtype(const Module& m, const Tensor& x, const Tensor& state) {
  if (state.defined() && state.dtype() != x.dtype())
    fail(
        "{}: input {} is {} but the layer's tensors are {}; convert the input to {} or the model with "
        "model.to({})",
        module_label(m), x.shape().str(), dtype_name(x.dtype()), dtype_name(state.dtype()),
        dtype_name(state.dtype()), dtype_name(x.dtype()));
}

void check_trailing_input(const Module& m, const Tensor& x, const Shape& normalized_shape,
                          const Tensor& param) {
  if (!x.defined()) fail("{}: the input is an undefined tensor", module_label(m));
  const auto k = static_cast<int64_t>(normalized_shape.size());
  bool ok = x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i)
    ok = x.size(x.dim() - k + i) == normalized_shape[static_cast<size_t>(i)];
  if (!ok)
    fail(
        "{}: input {} does not end in normalized_shape {}; the input's last {} dim(s) must be {}. Check the "
        "layer before it, or construct the layer with the input's trailing shape",
        module_label(m), x.shape().str(), normalized_shape.str(), k, normalized_shape.str());
  if (!x.is_floating_point())
    fail("{}: input {} is not floating point; convert it with x.to(strata::kFloat32)", module_label(m),
         x.describe());
  check_input_dtype(m, x, param);
  if (param.defined() && !(x.device() == param.device()))
    fail(
        "{}: {}.weight is on {}, input is on {}. Move the input with x.to({}) or the model with model.to({})",
        module_label(m), m.path(), param.device().str(), x.device().str(), param.device().str(),
        x.device().str());
}

}  // namespace strata::nn::detail
