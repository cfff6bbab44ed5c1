#pragma once
// CPU memory for tensors (see allocator.cpp for the caching policy).
#include <cstddef>

namespace strata::backend::cpu {
void* allocate(size_t nbytes);
void deallocate(void* p, size_t nbytes);
}  // namespace strata::backend::cpu
