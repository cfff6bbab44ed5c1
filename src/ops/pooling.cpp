// Placeholder: the pooling ops are being written (issue 5).
#include "ops/registry.h"

namespace strata::ops {

void register_pooling_ops(std::vector<OpInfo>& /*ops*/) {}

}  // namespace strata::ops
