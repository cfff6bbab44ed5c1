// Chooses the per-target loops of simd.h: the best compiled target the CPU runs, once; tests
// switch targets through use_target().
#include "backend/cpu/simd.h"

#include "backend/cpu/simd_targets.h"  // before any Highway header: the same targets as the loops
#include "hwy/highway.h"
#include "hwy/targets.h"  // TargetName (inline; nothing of libhwy is linked)

namespace strata::backend::cpu::simd {
namespace {

// Whether this CPU (and OS: __builtin_cpu_supports counts AVX only when the OS saves its
// registers) runs every instruction Highway's target may use (hwy/ops/set_macros-inl.h's
// HWY_TARGET_STR_*, less PCLMUL/AES, see simd_targets.h).
bool cpu_runs(int64_t target) {
  if (target == HWY_STATIC_TARGET) return true;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool sse4 =
      __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("sse4.2");
  const bool avx2 = sse4 && __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") &&
                    __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
                    __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  const bool avx3 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                    __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  switch (target) {
    case HWY_SSE4:
      return sse4;
    case HWY_AVX2:
      return avx2;
    case HWY_AVX3:
      return avx3;
    default:
      break;
  }
#endif
  return false;
}

void fill(Table& t, int64_t target) {
  t = Table{};
  fill_elementwise(t, target);
  fill_rows(t, target);
}

const Table& default_table() {
  static const Table t = [] {
    Table table;
    fill(table, supported_targets().front().id);
    return table;
  }();
  return t;
}

}  // namespace

namespace detail {
std::atomic<const Table*> g_table{nullptr};

const Table& init_table() {
  const Table& t = default_table();
  const Table* expected = nullptr;
  g_table.compare_exchange_strong(expected, &t, std::memory_order_acq_rel);
  return *g_table.load(std::memory_order_acquire);
}
}  // namespace detail

std::vector<Target> supported_targets() {
  std::vector<Target> out;
  // The lowest bit is the best target.
  for (int64_t targets = HWY_TARGETS; targets != 0; targets &= targets - 1) {
    const int64_t target = targets & -targets;
    if (cpu_runs(target)) out.push_back({target, hwy::TargetName(target)});
  }
  return out;
}

void use_target(int64_t id) {
  if (id == 0) {
    detail::g_table.store(&default_table(), std::memory_order_release);
    return;
  }
  static Table forced;
  fill(forced, id);
  detail::g_table.store(&forced, std::memory_order_release);
}

}  // namespace strata::backend::cpu::simd
