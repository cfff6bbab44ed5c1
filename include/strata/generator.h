#pragma once
/// \file generator.h
/// Seeded random numbers. `manual_seed(s)` reseeds the default generator; a `Generator` object
/// gives an independent, reproducible stream for one purpose (a data loader's shuffling, say).
#include <cstdint>
#include <random>

namespace strata {

class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) { manual_seed(seed); }
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    engine_.seed(seed);
    has_spare_normal_ = false;
  }
  uint64_t initial_seed() const { return seed_; }
  /// 64 random bits.
  uint64_t next() { return engine_(); }
  /// Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Standard normal (Box-Muller; the second value of each pair is kept for the next call).
  double normal();

 private:
  std::mt19937_64 engine_;
  uint64_t seed_ = 0;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

/// The generator factories use when none is passed.
Generator& default_generator();
/// Reseeds the default generator.
void manual_seed(uint64_t seed);

}  // namespace strata
