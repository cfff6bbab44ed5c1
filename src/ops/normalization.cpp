// Placeholder: the normalization ops are being written (issue 5).
#include "ops/registry.h"

namespace strata::ops {

void register_normalization_ops(std::vector<OpInfo>& /*ops*/) {}

}  // namespace strata::ops
