// Placeholder: filled by the register_indexing work.
#include "backend/cpu/cpu_kernels.h"

namespace strata::backend::cpu {
void register_indexing(Kernels&) {}
}  // namespace strata::backend::cpu
