// A caching allocator for CPU tensor memory. Freed blocks are kept per thread in power-of-two size
// classes and handed out again, so a training loop's steady state allocates nothing from the
// system. Blocks are 64-byte aligned (a cache line, an AVX-512 vector).
#include "backend/cpu/allocator.h"

#include <array>
#include <bit>
#include <cstdlib>
#include <vector>

#include "strata/error.h"

namespace strata::backend::cpu {
namespace {

constexpr size_t kMinClass = 6;   // 64 bytes
constexpr size_t kMaxClass = 26;  // 64 MiB: larger blocks go straight back to the system
constexpr size_t kMaxCachedBytesPerClass = size_t{128} << 20;

// Set when this thread's cache has been destroyed (at thread or program exit): a tensor that
// outlives it (one held by a static, say) is then freed straight to the system. A plain bool
// has no destructor, so it stays readable after the cache is gone.
thread_local bool cache_destroyed = false;

struct ThreadCache {
  std::array<std::vector<void*>, kMaxClass + 1> free_blocks;
  ~ThreadCache() {
    cache_destroyed = true;
    for (auto& blocks : free_blocks)
      for (void* p : blocks) std::free(p);
  }
};

ThreadCache& cache() {
  thread_local ThreadCache c;
  return c;
}

size_t size_class(size_t nbytes) {
  const size_t rounded = std::bit_ceil(std::max<size_t>(nbytes, size_t{1} << kMinClass));
  return static_cast<size_t>(std::countr_zero(rounded));
}

}  // namespace

void* allocate(size_t nbytes) {
  const size_t cls = size_class(nbytes);
  if (cls <= kMaxClass && !cache_destroyed) {
    auto& blocks = cache().free_blocks[cls];
    if (!blocks.empty()) {
      void* p = blocks.back();
      blocks.pop_back();
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size_t{1} << cls);
  if (!p) fail("[allocate] out of memory allocating {} bytes on cpu", nbytes);
  return p;
}

void deallocate(void* p, size_t nbytes) {
  if (!p) return;
  const size_t cls = size_class(nbytes);
  if (cls <= kMaxClass && !cache_destroyed) {
    auto& blocks = cache().free_blocks[cls];
    if ((blocks.size() + 1) * (size_t{1} << cls) <= kMaxCachedBytesPerClass) {
      blocks.push_back(p);
      return;
    }
  }
  std::free(p);
}

}  // namespace strata::backend::cpu
