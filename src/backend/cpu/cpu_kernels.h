#pragma once
// Each CPU kernel file fills its part of the CPU kernel table.
#include "backend/kernels.h"

namespace strata::backend::cpu {
void register_elementwise(Kernels& k);
void register_reduce(Kernels& k);
void register_softmax(Kernels& k);
void register_matmul(Kernels& k);
void register_indexing(Kernels& k);
void register_random(Kernels& k);
void register_dropout_mask(Kernels& k);
void register_conv(Kernels& k);
void register_pooling(Kernels& k);
void register_normalization(Kernels& k);  // backend/cpu/normalization.cpp
}  // namespace strata::backend::cpu
