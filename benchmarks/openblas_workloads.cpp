// OpenBLAS's cblas_sgemm called directly on preallocated buffers: the GEMM workloads with no
// framework around them, the "best library measured here" that strata's matmul is held to. Built
// only when CMake finds OpenBLAS's headers and library.
#include <cblas.h>

#include <random>
#include <vector>

#include "workloads.h"

namespace strata_bench {
namespace {

int g_threads = 1;

void sgemm(benchmark::State& state, int n) {
  // strata in the same process (a combined run) may have set OpenBLAS's process-wide thread
  // count; this run's count is set again before timing.
  openblas_set_num_threads(g_threads);
  std::vector<float> a(static_cast<size_t>(n) * n), b(a.size()), c(a.size());
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  for (float& v : a) v = normal(rng);
  for (float& v : b) v = normal(rng);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
}
void sgemm_64(benchmark::State& state) { sgemm(state, 64); }
void sgemm_1024(benchmark::State& state) { sgemm(state, 1024); }
void sgemm_4096(benchmark::State& state) { sgemm(state, 4096); }

}  // namespace

WorkloadFns openblas_workloads(int threads) {
  g_threads = threads;
  openblas_set_num_threads(threads);
  WorkloadFns fns{};
  fns.at(workload_index("matmul_64")) = sgemm_64;
  fns.at(workload_index("sgemm_1024")) = sgemm_1024;
  fns.at(workload_index("sgemm_4096")) = sgemm_4096;
  return fns;
}

std::string openblas_version() {
  // e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"
  const char* config = openblas_get_config();
  std::string s = config ? config : "OpenBLAS";
  const int parallel = openblas_get_parallel();
  s += parallel == 0 ? " (sequential)" : parallel == 1 ? " (pthreads)" : " (OpenMP)";
  return s;
}

}  // namespace strata_bench
