// The dropout mask: a counter-based hash keyed by one 64-bit draw of the generator (see
// ops/dropout.cpp), so that it is filled in parallel and depends on nothing but the seed.
#include <algorithm>
#include <cstdint>

#include "backend/cpu/cpu_kernels.h"
#include "core/parallel.h"

namespace strata::backend::cpu {
namespace {

// splitmix64's finaliser: a bijective mix whose outputs for consecutive inputs are independent
// enough for a Bernoulli mask (it passes BigCrush as a counter-based generator).
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Fills `mask` (contiguous) with 0 / scale and, when `x` and `out` are given (contiguous, same
// dtype), writes out = x * mask in the same pass. Element i's uniform is half of the hash of pair
// i / 2 (the low half for even i). The hashes of a block are made first (scalar 64-bit products),
// then the block is masked in a loop the compiler vectorises.
template <typename T>
void fill_mask(T* mask, T* out, const T* x, int64_t n, uint64_t threshold, uint64_t key, T scale) {
  constexpr int64_t kPairs = 256;
  const auto sthr = static_cast<int32_t>(static_cast<uint32_t>(threshold) ^ 0x80000000U);
  const int64_t pairs = (n + 1) / 2;
  auto body = [&](int64_t begin, int64_t end) {
    uint32_t u[2 * kPairs];
    for (int64_t p0 = begin; p0 < end; p0 += kPairs) {
      const int64_t np = std::min(kPairs, end - p0);
      for (int64_t j = 0; j < np; ++j) {
        const uint64_t h = mix(key + static_cast<uint64_t>(p0 + j) * 0x9E3779B97F4A7C15ULL);
        u[2 * j] = static_cast<uint32_t>(h);
        u[2 * j + 1] = static_cast<uint32_t>(h >> 32);
      }
      const int64_t i0 = 2 * p0, len = std::min(2 * np, n - i0);
      // u >= thr as a signed comparison of the sign-flipped values (SSE2 has only signed ones),
      // and a product instead of a select: no branch, so the loops vectorise.
      T* m = mask + i0;
      if (out) {
        T* o = out + i0;
        const T* xi = x + i0;
        for (int64_t i = 0; i < len; ++i) {
          const T mi = static_cast<T>(static_cast<int32_t>(u[i] ^ 0x80000000U) >= sthr) * scale;
          m[i] = mi;
          o[i] = xi[i] * mi;
        }
      } else {
        for (int64_t i = 0; i < len; ++i)
          m[i] = static_cast<T>(static_cast<int32_t>(u[i] ^ 0x80000000U) >= sthr) * scale;
      }
    }
  };
  // Chunks of whole blocks, so that a block's pairs never straddle two chunks' element ranges.
  strata::detail::parallel_for(0, (pairs + kPairs - 1) / kPairs, 64,
                               [&](int64_t b, int64_t e) { body(b * kPairs, std::min(e * kPairs, pairs)); });
}

void dropout_mask(const Tensor& mask, const Tensor& out, const Tensor& x, uint64_t threshold, uint64_t key,
                  double scale) {
  const int64_t n = mask.numel();
  if (mask.dtype() == kFloat32) {
    fill_mask<float>(mask.data<float>(), out.defined() ? out.data<float>() : nullptr,
                     x.defined() ? x.data<float>() : nullptr, n, threshold, key, static_cast<float>(scale));
  } else {
    fill_mask<double>(mask.data<double>(), out.defined() ? out.data<double>() : nullptr,
                      x.defined() ? x.data<double>() : nullptr, n, threshold, key, scale);
  }
}

}  // namespace

void register_dropout_mask(Kernels& k) { k.dropout_mask = &dropout_mask; }

}  // namespace strata::backend::cpu
