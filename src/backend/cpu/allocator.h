#pragma once
// CPU memory for tensors (see allocator.cpp for the caching policy), and small host blocks for the
// objects every op creates whatever its device: tensor metadata, storages, autograd nodes.
#include <cstddef>

namespace strata::backend::cpu {
void* allocate(size_t nbytes);
void deallocate(void* p, size_t nbytes);

/// A block of at least `nbytes`, 16-byte aligned, from a per-thread free list of its size class.
void* allocate_small(size_t nbytes);
/// Returns a block from allocate_small(nbytes) (any thread may return it).
void deallocate_small(void* p, size_t nbytes) noexcept;

/// A stateless allocator over allocate_small, for std::allocate_shared: the control block and the
/// object share one pooled block.
template <typename T>
struct SmallAllocator {
  using value_type = T;
  static_assert(alignof(T) <= 16, "small blocks are 16-byte aligned");
  SmallAllocator() = default;
  template <typename U>
  SmallAllocator(const SmallAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(size_t n) { return static_cast<T*>(allocate_small(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { deallocate_small(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const SmallAllocator<U>&) const noexcept {
    return true;
  }
};
}  // namespace strata::backend::cpu
