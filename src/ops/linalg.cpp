// Placeholder: filled by the register_linalg_ops work.
#include "ops/registry.h"

namespace strata::ops {
void register_linalg_ops(std::vector<OpInfo>&) {}
}  // namespace strata::ops
