#pragma once
// The list of ops, for the test that checks each has a CPU kernel and a gradient (or says it has
// none). Each op family adds its entries in one function; nothing here is consulted at run time.
#include <string_view>
#include <vector>

#include "backend/kernels.h"

namespace strata::ops {

struct OpInfo {
  std::string_view name;
  /// Whether a gradient flows through the op.
  bool differentiable = true;
  /// The backward function (nullptr for composites, whose gradient comes from their parts).
  const void* backward = nullptr;
  /// Does this backend's table hold the kernel the op calls? nullptr for composites.
  bool (*has_kernel)(const backend::Kernels&) = nullptr;
  /// For composites: the ops it is built from, space-separated.
  std::string_view composite_of;
};

const std::vector<OpInfo>& op_registry();

void register_elementwise_ops(std::vector<OpInfo>& ops);
void register_unary_ops(std::vector<OpInfo>& ops);
void register_view_ops(std::vector<OpInfo>& ops);
void register_reduction_ops(std::vector<OpInfo>& ops);
void register_linalg_ops(std::vector<OpInfo>& ops);
void register_join_ops(std::vector<OpInfo>& ops);
void register_indexing_ops(std::vector<OpInfo>& ops);
void register_copy_ops(std::vector<OpInfo>& ops);
void register_conv_ops(std::vector<OpInfo>& ops);           // ops/conv.cpp
void register_pooling_ops(std::vector<OpInfo>& ops);        // ops/pooling.cpp
void register_normalization_ops(std::vector<OpInfo>& ops);  // ops/normalization.cpp
void register_attention_ops(std::vector<OpInfo>& ops);      // ops/attention.cpp (and dropout)

}  // namespace strata::ops
