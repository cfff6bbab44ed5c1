#pragma once
// What the reduction op files share: which dims a reduction removes, the shapes it produces, and
// each file's registry hook (register_reduction_ops in reduce.cpp calls the others).
#include <string_view>
#include <vector>

#include "ops/common.h"
#include "ops/registry.h"

namespace strata::ops::reduction {

/// Marks the reduced dims of a tensor with `ndim` dims; empty `dims` means all. A repeated or
/// out-of-range dim is an error naming `op`.
std::vector<bool> reduced_mask(std::string_view op, const Shape& dims, int64_t ndim);
/// The mask's dims as a list (empty for a 0-d tensor, where "all dims" is the only reduction).
Shape mask_dims(const std::vector<bool>& mask);
/// `shape` with the reduced dims kept as size 1.
Shape keepdim_shape(const Shape& shape, const std::vector<bool>& mask);
/// The output shape: reduced dims removed, or kept as 1 with `keepdim`.
Shape final_shape(const Shape& shape, const std::vector<bool>& mask, bool keepdim);
/// How many elements each output element reduces over.
int64_t reduced_count(const Shape& shape, const std::vector<bool>& mask);
/// `keep` (a fresh tensor of keepdim shape) reshaped to the final shape without a copy or a graph.
Tensor drop_reduced(const Tensor& keep, const Shape& final);
/// Runs the reduce kernel into a new tensor of keepdim shape and `dtype`. No autograd.
Tensor reduce_keep(std::string_view op, backend::ReduceOp kind, const Tensor& x,
                   const std::vector<bool>& mask, DType dtype);

void register_extrema_ops(std::vector<OpInfo>& ops);
void register_statistics_ops(std::vector<OpInfo>& ops);
void register_softmax_ops(std::vector<OpInfo>& ops);

}  // namespace strata::ops::reduction
