// Chooses the per-target loops of simd.h: Highway's dynamic dispatch picks the best compiled
// target the CPU supports, once; tests switch targets through use_target().
#include "backend/cpu/simd.h"

#include "backend/cpu/simd_targets.h"  // before any Highway header: the same targets as the loops
#include "hwy/highway.h"
#include "hwy/targets.h"

namespace strata::backend::cpu::simd {
namespace {

// Fills t with the loops of the target Highway currently chooses.
void fill_current(Table& t) {
  t = Table{};
  fill_elementwise(t);
  fill_rows(t);
}

Table& default_table() {
  static Table t = [] {
    Table table;
    fill_current(table);
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
  // SupportedAndGeneratedTargets lists the lowest bit (the best target) first.
  for (int64_t id : hwy::SupportedAndGeneratedTargets()) out.push_back({id, hwy::TargetName(id)});
  return out;
}

void use_target(int64_t id) {
  if (id == 0) {
    detail::g_table.store(&default_table(), std::memory_order_release);
    return;
  }
  static Table forced;
  hwy::SetSupportedTargetsForTest(id);
  fill_current(forced);
  hwy::SetSupportedTargetsForTest(0);
  detail::g_table.store(&forced, std::memory_order_release);
}

}  // namespace strata::backend::cpu::simd
