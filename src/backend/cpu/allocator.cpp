// A caching allocator for CPU tensor memory. Freed blocks are kept per thread in power-of-two size
// classes and handed out again, so a training loop's steady state allocates nothing from the
// system. Blocks are 64-byte aligned (a cache line, an AVX-512 vector).
//
// Small blocks (tensor metadata, storages, autograd nodes: a few per op) have their own per-thread
// free lists in 16-byte size classes. malloc would do, but a training step frees dozens of blocks of
// one size at once, more than glibc's per-thread cache holds, and the rest then take its slow path.
#include "backend/cpu/allocator.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "strata/error.h"

namespace strata::backend::cpu {
namespace {

constexpr size_t kMinClass = 6;   // 64 bytes
constexpr size_t kMaxClass = 26;  // 64 MiB: larger blocks go straight back to the system
constexpr size_t kMaxCachedBytesPerClass = size_t{128} << 20;

constexpr size_t kGrain = 16;
constexpr size_t kSmallClasses = 64;  // small blocks up to 1 KiB
constexpr size_t kMaxSmallCached = 4096;

// Free blocks linked through their first word (every block has room for a pointer).
struct FreeList {
  void* head;
  size_t count;
  void* pop() {
    void* p = head;
    if (p) {
      head = *static_cast<void**>(p);
      --count;
    }
    return p;
  }
  void push(void* p) {
    *static_cast<void**>(p) = head;
    head = p;
    ++count;
  }
  void release_all() {
    while (void* p = pop()) std::free(p);
  }
};

// This thread's cached blocks. Trivially destructible, so it stays readable after the drain below
// ran at thread or program exit: a block freed then (by a tensor a static holds, say) finds the
// lists closed and goes straight back to the system.
struct ThreadLists {
  FreeList data[kMaxClass + 1];
  FreeList small[kSmallClasses + 1];
  bool closed;
  bool drain_registered;
};
thread_local constinit ThreadLists lists{};

// Frees the cached blocks when the thread exits; registered by the first block cached in a list.
struct ListsDrain {
  ~ListsDrain() {
    for (FreeList& l : lists.data) l.release_all();
    for (FreeList& l : lists.small) l.release_all();
    lists.closed = true;
  }
};
thread_local ListsDrain lists_drain;

// Once per thread, out of the hot path.
[[gnu::noinline, gnu::cold]] void register_drain(ThreadLists& t) {
  (void)&lists_drain;  // odr-use: makes sure the drain runs at thread exit
  t.drain_registered = true;
}

// Caches p in l (one of t's lists) unless t is closed or l is full; false when p must be freed.
bool cache_block(ThreadLists& t, FreeList& l, void* p, size_t limit) {
  if (t.closed || l.count >= limit) [[unlikely]]
    return false;
  if (!t.drain_registered) [[unlikely]]
    register_drain(t);
  l.push(p);
  return true;
}

size_t size_class(size_t nbytes) {
  const size_t rounded = std::bit_ceil(std::max<size_t>(nbytes, size_t{1} << kMinClass));
  return static_cast<size_t>(std::countr_zero(rounded));
}

size_t small_class(size_t nbytes) { return (nbytes + kGrain - 1) / kGrain; }

}  // namespace

void* allocate(size_t nbytes) {
  const size_t cls = size_class(nbytes);
  if (cls <= kMaxClass)
    if (void* p = lists.data[cls].pop()) return p;
  void* p = std::aligned_alloc(64, size_t{1} << cls);
  if (!p) fail("[allocate] out of memory allocating {} bytes on cpu", nbytes);
  return p;
}

void deallocate(void* p, size_t nbytes) {
  if (!p) return;
  const size_t cls = size_class(nbytes);
  ThreadLists& t = lists;
  if (cls <= kMaxClass && cache_block(t, t.data[cls], p, kMaxCachedBytesPerClass >> cls)) return;
  std::free(p);
}

void* allocate_small(size_t nbytes) {
  const size_t cls = small_class(nbytes);
  if (cls <= kSmallClasses)
    if (void* p = lists.small[cls].pop()) return p;
  void* p = std::malloc(std::max<size_t>(cls, 1) * kGrain);
  if (!p) throw std::bad_alloc();
  return p;
}

void deallocate_small(void* p, size_t nbytes) noexcept {
  const size_t cls = small_class(nbytes);
  ThreadLists& t = lists;
  if (cls <= kSmallClasses && cache_block(t, t.small[cls], p, kMaxSmallCached)) return;
  std::free(p);
}

}  // namespace strata::backend::cpu
