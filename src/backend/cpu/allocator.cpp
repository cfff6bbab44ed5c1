// A caching allocator for CPU tensor memory. Freed blocks are kept per thread in power-of-two size
// classes and handed out again, so a training loop's steady state allocates nothing from the
// system. Blocks are 64-byte aligned (a cache line, an AVX-512 vector).
//
// Small blocks (tensor metadata, storages, autograd nodes: a few per op) have their own per-thread
// free lists in 16-byte size classes. malloc would do, but a training step frees dozens of blocks of
// one size at once, more than glibc's per-thread cache holds, and the rest then take its slow path.
#include "backend/cpu/allocator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <new>
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

namespace {

constexpr size_t kGrain = 16;
constexpr size_t kSmallClasses = 64;  // blocks up to 1 KiB
constexpr uint32_t kMaxSmallCached = 4096;

// Free blocks are linked through their first word. Trivially destructible, so a block returned
// while the thread exits (after the drain below ran) still finds it, closed.
struct SmallLists {
  void* head[kSmallClasses + 1];
  uint32_t count[kSmallClasses + 1];
  bool closed;
};
thread_local constinit SmallLists small_lists{};

// Frees the thread's cached blocks when it exits; registered by the first block cached.
struct SmallListsDrain {
  ~SmallListsDrain() {
    for (size_t c = 0; c <= kSmallClasses; ++c)
      while (void* p = small_lists.head[c]) {
        small_lists.head[c] = *static_cast<void**>(p);
        std::free(p);
      }
    small_lists.closed = true;
  }
};
thread_local SmallListsDrain small_lists_drain;

size_t small_class(size_t nbytes) { return (nbytes + kGrain - 1) / kGrain; }

}  // namespace

void* allocate_small(size_t nbytes) {
  const size_t cls = small_class(nbytes);
  if (cls <= kSmallClasses) {
    SmallLists& lists = small_lists;
    if (void* p = lists.head[cls]) {
      lists.head[cls] = *static_cast<void**>(p);
      --lists.count[cls];
      return p;
    }
  }
  void* p = std::malloc(std::max<size_t>(cls, 1) * kGrain);
  if (!p) throw std::bad_alloc();
  return p;
}

void deallocate_small(void* p, size_t nbytes) noexcept {
  const size_t cls = small_class(nbytes);
  SmallLists& lists = small_lists;
  if (cls <= kSmallClasses && !lists.closed && lists.count[cls] < kMaxSmallCached) {
    if (lists.count[cls] == 0) (void)&small_lists_drain;  // make sure the drain runs at thread exit
    *static_cast<void**>(p) = lists.head[cls];
    lists.head[cls] = p;
    ++lists.count[cls];
    return;
  }
  std::free(p);
}

}  // namespace strata::backend::cpu
