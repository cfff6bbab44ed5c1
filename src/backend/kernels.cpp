// The per-device kernel tables. Picking a table is an array index, never a map lookup.
#include "backend/kernels.h"

#include "backend/cpu/allocator.h"
#include "backend/cpu/cpu_kernels.h"

namespace strata::backend {
namespace cpu {
void register_optim_update(Kernels& k);  // backend/cpu/optim_update.cpp
}  // namespace cpu

const Kernels& cpu_kernels() {
  static const Kernels table = [] {
    Kernels k;
    cpu::register_elementwise(k);
    cpu::register_reduce(k);
    cpu::register_softmax(k);
    cpu::register_matmul(k);
    cpu::register_indexing(k);
    cpu::register_random(k);
    cpu::register_dropout_mask(k);
    cpu::register_conv(k);
    cpu::register_pooling(k);
    cpu::register_optim_update(k);
    cpu::register_normalization(k);
    return k;
  }();
  return table;
}

const Kernels& kernels(Device device, const char* op) {
  if (device.is_cpu()) return cpu_kernels();
  fail(
      "[{}] tensor is on {}, but this build of strata has no CUDA backend; keep tensors on cpu "
      "or rebuild strata with CUDA",
      op, device.str());
}

void* allocate(size_t nbytes, Device device) {
  if (!device.is_cpu())
    fail("[allocate] this build of strata has no CUDA backend; cannot allocate on {}", device.str());
  return cpu::allocate(nbytes);
}

void deallocate(void* ptr, size_t nbytes, Device /*device*/) { cpu::deallocate(ptr, nbytes); }

}  // namespace strata::backend
