// Placeholder: filled by the register_join_ops work.
#include "ops/registry.h"

namespace strata::ops {
void register_join_ops(std::vector<OpInfo>&) {}
}  // namespace strata::ops
