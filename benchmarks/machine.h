#pragma once
// What the table says about the machine it was measured on: the CPU, how busy it was, and one
// core's fp32 peak, measured rather than taken from a data sheet.
#include <string>

namespace strata_bench {

std::string cpu_model_name();
// CPUs this process may run on.
int available_cpus();
// The 1-minute load average (/proc/loadavg), or -1 when it cannot be read.
double load_average();

struct FmaPeak {
  double gflops = 0;  // one core's fp32 FMA throughput; 0 when the CPU has neither AVX2+FMA nor AVX-512
  std::string isa;    // "avx2+fma", "avx512f" or "none"
};
// Times independent chains of vector FMAs on the calling thread (enough chains to cover the FMA
// latency on every current x86 core) and keeps the best of many short runs, so that a moment's
// load from elsewhere lowers no more than a few of them. Takes about 0.1 s.
FmaPeak measure_fp32_peak();

}  // namespace strata_bench
