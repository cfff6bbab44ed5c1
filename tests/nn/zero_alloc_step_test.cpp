// A steady-state training step allocates nothing from the heap: tensor memory comes from the
// caching allocator, metadata and autograd nodes from per-thread free lists, and the graph's own
// bookkeeping reuses its buffers. Every heap entry point of this executable is counted (operator
// new in all its forms and the C allocation functions, interposed over glibc's), and the count
// over the measured steps must be zero.
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "nn/test_models.h"
#include "support/test_util.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

namespace {
std::atomic<long> g_allocations{0};
void count() { g_allocations.fetch_add(1, std::memory_order_relaxed); }

void* checked(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

extern "C" {
void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t alignment, size_t n) {
  count();
  return __libc_memalign(alignment, n);
}
void* memalign(size_t alignment, size_t n) {
  count();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
  count();
  *out = __libc_memalign(alignment, n);
  return *out == nullptr ? ENOMEM : 0;
}
}

void* operator new(size_t n) { return checked(malloc(n)); }
void* operator new[](size_t n) { return checked(malloc(n)); }
void* operator new(size_t n, std::align_val_t a) { return checked(aligned_alloc(static_cast<size_t>(a), n)); }
void* operator new[](size_t n, std::align_val_t a) {
  return checked(aligned_alloc(static_cast<size_t>(a), n));
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return malloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return malloc(n); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { free(p); }

namespace strata {
namespace {

long allocations() { return g_allocations.load(std::memory_order_relaxed); }

TEST(ZeroAllocStep, TheCounterSeesAllocations) {
  // Stored through a volatile pointer, so the compiler cannot elide the pairs.
  static int* volatile sink_new = nullptr;
  static void* volatile sink_malloc = nullptr;
  const long before = allocations();
  sink_new = new int(3);
  delete sink_new;
  sink_malloc = std::malloc(10);
  std::free(sink_malloc);
  EXPECT_EQ(allocations() - before, 2);
}

// Heap allocations over 100 steps of SimpleNet 10-32-2 at batch 4, after 20 steps of warm-up.
template <typename Optimizer, typename Options>
long allocations_in_steady_state(const Options& options) {
  manual_seed(0);
  test::SimpleNet model(10, 32, 2);
  Optimizer optimizer(model.parameters(), options);
  const Tensor x = randn({4, 10});
  const Tensor target = tensor<int64_t>({0, 1, 1, 0}, {.dtype = kInt64});
  auto step = [&]() -> Tensor {
    optimizer.zero_grad();
    Tensor loss = nn::functional::cross_entropy(model(x), target);
    loss.backward();
    optimizer.step();
    return loss;
  };
  for (int i = 0; i < 20; ++i) step();  // fills the caches

  const long before = allocations();
  float last = 0;
  for (int i = 0; i < 100; ++i) last = step().template item<float>();
  const long during = allocations() - before;
  EXPECT_TRUE(std::isfinite(last));
  return during;
}

TEST(ZeroAllocStep, SimpleNetTrainingStepWithSGDAllocatesNothing) {
  EXPECT_EQ(allocations_in_steady_state<optim::SGD>(optim::SGDOptions{.lr = 0.01}), 0);
  EXPECT_EQ(allocations_in_steady_state<optim::SGD>(optim::SGDOptions{.lr = 0.01, .momentum = 0.9}), 0);
}

TEST(ZeroAllocStep, SimpleNetTrainingStepWithAdamAllocatesNothing) {
  EXPECT_EQ(allocations_in_steady_state<optim::Adam>(optim::AdamOptions{.lr = 0.001}), 0);
}

}  // namespace
}  // namespace strata
