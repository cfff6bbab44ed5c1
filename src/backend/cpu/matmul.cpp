// Placeholder: filled by the register_matmul work.
#include "backend/cpu/cpu_kernels.h"

namespace strata::backend::cpu {
void register_matmul(Kernels&) {}
}  // namespace strata::backend::cpu
