#include "ops/registry.h"

namespace strata::ops {

const std::vector<OpInfo>& op_registry() {
  static const std::vector<OpInfo> ops = [] {
    std::vector<OpInfo> v;
    register_elementwise_ops(v);
    register_unary_ops(v);
    register_view_ops(v);
    register_reduction_ops(v);
    register_linalg_ops(v);
    register_join_ops(v);
    register_indexing_ops(v);
    register_copy_ops(v);
    register_conv_ops(v);
    register_pooling_ops(v);
    register_normalization_ops(v);
    register_attention_ops(v);
    return v;
  }();
  return ops;
}

}  // namespace strata::ops
