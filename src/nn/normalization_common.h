#pragma once
// What the normalization modules share: naming themselves in errors, PyTorch-style reprs, and the
// input checks that come before the functional op.
#include <string>

#include "strata/nn/module.h"

namespace strata::nn::detail {

/// Python's repr of a float (1e-05, 0.1, 1.0), so extra_repr reads like PyTorch's.
std::string python_float(double v);
/// Python's repr of a tuple of ints: (8,) or (2, 3).
std::string python_tuple(const Shape& shape);
/// "Net.ln (LayerNorm (8,), eps=1e-05, elementwise_affine=true)": the path and configuration.
std::string module_label(const Module& m);

/// Throws unless `shape` is a non-empty list of sizes >= 0.
void check_normalized_shape(const char* type, const Shape& shape);
/// Throws, naming the module, when `state` (a parameter or buffer; may be undefined) has another
/// floating dtype than x.
void check_input_dtype(const Module& m, const Tensor& x, const Tensor& state);
/// Throws, naming the module, unless x is a defined floating-point tensor ending in
/// `normalized_shape` on the device of `param` (when defined).
void check_trailing_input(const Module& m, const Tensor& x, const Shape& normalized_shape,
                          const Tensor& param);

}  // namespace strata::nn::detail
