// The per-thread caches of small metadata blocks and tensor memory: blocks of every size class
// round-trip, blocks freed on another thread than the one that allocated them are fine, and a
// thread that exits returns its cache.
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "backend/cpu/allocator.h"
#include "support/test_util.h"

using namespace strata;
using strata::test::expect_values;

TEST(SmallAlloc, EverySizeRoundTripsAndIsAligned) {
  std::vector<std::pair<void*, size_t>> blocks;
  for (size_t n = 0; n <= 1100; n += 7) {
    void* p = backend::cpu::allocate_small(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << n;
    std::memset(p, 0xab, n);
    blocks.emplace_back(p, n);
  }
  for (auto& [p, n] : blocks) backend::cpu::deallocate_small(p, n);
  // Reused blocks are whole again.
  for (size_t n = 0; n <= 1100; n += 7) {
    void* p = backend::cpu::allocate_small(n);
    std::memset(p, 0xcd, n);
    backend::cpu::deallocate_small(p, n);
  }
  for (size_t n : {size_t{0}, size_t{1}, size_t{64}, size_t{1000}, size_t{1} << 20}) {
    void* p = backend::cpu::allocate(n);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << n;
    std::memset(p, 0x11, n);
    backend::cpu::deallocate(p, n);
  }
}

TEST(SmallAlloc, TensorsCrossThreads) {
  // Tensors (metadata, storage, data, autograd nodes) made on one thread die on others.
  std::vector<Tensor> made(64);
  std::thread maker([&] {
    for (size_t i = 0; i < made.size(); ++i) {
      Tensor x = full({3}, static_cast<double>(i)).requires_grad_();
      made[i] = (x * 2.0).sum();
    }
  });
  maker.join();  // its cache is gone now
  std::atomic<int> ok{0};
  std::vector<std::thread> killers;
  for (int t = 0; t < 4; ++t)
    killers.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); i < made.size(); i += 4) {
        if (made[i].item<double>() == 6.0 * static_cast<double>(i)) ++ok;
        made[i].backward();
        made[i] = Tensor();
      }
    });
  for (auto& k : killers) k.join();
  EXPECT_EQ(ok.load(), 64);
  // And this thread still allocates normally afterwards.
  expect_values(ones({2}) + ones({2}), {2, 2});
}

TEST(SmallAlloc, ManyShortLivedThreads) {
  for (int round = 0; round < 20; ++round) {
    Tensor keep;
    std::thread t([&] {
      std::vector<Tensor> v;
      for (int i = 0; i < 50; ++i) v.push_back(ones({4}) * static_cast<double>(i));
      keep = v.back();
    });
    t.join();
    expect_values(keep, {49, 49, 49, 49});
  }
}
