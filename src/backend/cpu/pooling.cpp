// Placeholder: the pooling kernels are being written (issue 5).
#include "backend/cpu/cpu_kernels.h"

namespace strata::backend::cpu {

void register_pooling(Kernels& /*k*/) {}

}  // namespace strata::backend::cpu
