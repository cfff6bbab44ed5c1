// Placeholder: the conv ops are being written (issue 5).
#include "ops/registry.h"

namespace strata::ops {

void register_conv_ops(std::vector<OpInfo>& /*ops*/) {}

}  // namespace strata::ops
