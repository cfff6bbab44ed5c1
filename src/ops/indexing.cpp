// Placeholder: filled by the register_indexing_ops work.
#include "ops/registry.h"

namespace strata::ops {
void register_indexing_ops(std::vector<OpInfo>&) {}
}  // namespace strata::ops
