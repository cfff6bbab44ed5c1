#pragma once
// How each process of a benchmark run sets up its library's threads. libtorch's OpenMP runtime and
// OpenBLAS read their thread counts from the environment while they load, before main() runs, so
// every setting is a process of its own, started with its environment (bench_main.cpp restarts
// itself when the environment does not match).
#include <array>
#include <string_view>

namespace strata_bench {

// The variables that steer the libraries' threads. A setting gives each a value or leaves it unset.
inline constexpr std::array<const char*, 6> kThreadVariables = {"OMP_NUM_THREADS",  "OPENBLAS_NUM_THREADS",
                                                                "GOTO_NUM_THREADS", "MKL_NUM_THREADS",
                                                                "OMP_WAIT_POLICY",  "STRATA_NUM_THREADS"};

struct Setting {
  const char* name;
  const char* library;  // "strata", or "libtorch" (whose processes also run the direct OpenBLAS rows)
  int threads;          // the thread count it is compared at; 0: any (strata's, given by --threads)
  int intra_op;         // torch::set_num_threads(intra_op); 0: not called (libtorch's own default)
  int blas_threads;     // OpenBLAS's threads for the direct cblas_sgemm rows
  std::array<const char*, kThreadVariables.size()> env;  // per kThreadVariables; nullptr: unset
  const char* description;
};

inline constexpr Setting kSettings[] = {
    // strata runs in a clean environment: what it does with threads is its own doing.
    {"strata", "strata", 0, 0, 0, {}, "strata::set_num_threads(threads), no thread variables set"},
    {"t1",
     "libtorch",
     1,
     1,
     1,
     {"1", "1", "1", "1", nullptr, nullptr},
     "torch::set_num_threads(1), OMP/OPENBLAS_NUM_THREADS=1"},
    {"blas2",
     "libtorch",
     2,
     1,
     2,
     {"1", "2", "2", "1", nullptr, nullptr},
     "intra-op 1 thread (torch::set_num_threads(1), OMP_NUM_THREADS=1), OPENBLAS_NUM_THREADS=2"},
    {"both2",
     "libtorch",
     2,
     2,
     2,
     {"2", "2", "2", "2", "PASSIVE", nullptr},
     "torch::set_num_threads(2), OMP/OPENBLAS_NUM_THREADS=2, OMP_WAIT_POLICY=PASSIVE"},
    // What a program gets without asking: libtorch picks its intra-op count itself and OpenBLAS
    // starts one thread per CPU. Not run by scripts/bench.sh unless asked for.
    {"default2", "libtorch", 2, 0, 2, {}, "libtorch's and OpenBLAS's defaults, no thread variables set"},
};

inline const Setting* find_setting(std::string_view name) {
  for (const Setting& s : kSettings)
    if (name == s.name) return &s;
  return nullptr;
}

}  // namespace strata_bench
