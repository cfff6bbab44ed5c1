// strata_bench: the same workloads through strata and (when built with it) libtorch, in one
// process, then a table of medians and ratios. Google Benchmark's flags all work; the defaults
// below are chosen for a stable comparison on a small, shared machine. Extra flag:
//   --summary_out=FILE   also write the table as JSON.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "summary.h"
#include "workloads.h"

namespace {

bool has_flag(const std::vector<char*>& args, const char* flag) {
  for (const char* a : args)
    if (std::strncmp(a, flag, std::strlen(flag)) == 0) return true;
  return false;
}

#ifdef STRATA_BENCH_WITH_TORCH
// libtorch's OpenMP and BLAS read their thread counts from the environment while the shared
// libraries load, before main() can call anything; so when the variables are not already 1,
// set them and start this program again.
void pin_library_threads_or_reexec(char** argv) {
  bool changed = false;
  for (const char* var : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}) {
    const char* value = std::getenv(var);
    if (value == nullptr || std::strcmp(value, "1") != 0) {
      setenv(var, "1", 1);
      changed = true;
    }
  }
  if (!changed) return;
  execv("/proc/self/exe", argv);
  std::perror("strata_bench: could not restart with OMP_NUM_THREADS=1; libtorch may use more threads");
}
#endif

}  // namespace

int main(int argc, char** argv) {
#ifdef STRATA_BENCH_WITH_TORCH
  pin_library_threads_or_reexec(argv);
#endif
  std::vector<char*> args;
  std::string summary_out;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--summary_out=", 14) == 0)
      summary_out = argv[i] + 14;
    else
      args.push_back(argv[i]);
  }
  // Defaults unless given: enough repetitions for a median, interleaved in random order so that a
  // burst of load from elsewhere on the machine hits both libraries alike.
  std::vector<std::string> defaults;
  if (!has_flag(args, "--benchmark_repetitions")) defaults.push_back("--benchmark_repetitions=12");
  if (!has_flag(args, "--benchmark_min_time")) defaults.push_back("--benchmark_min_time=0.2");
  if (!has_flag(args, "--benchmark_enable_random_interleaving"))
    defaults.push_back("--benchmark_enable_random_interleaving=true");
  if (!has_flag(args, "--benchmark_display_aggregates_only") &&
      !has_flag(args, "--benchmark_report_aggregates_only"))
    defaults.push_back("--benchmark_display_aggregates_only=true");
  for (std::string& d : defaults) args.push_back(d.data());
  args.push_back(nullptr);

  int n = static_cast<int>(args.size()) - 1;
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;

  strata_bench::register_strata_workloads();
  std::string libtorch_version;
#ifdef STRATA_BENCH_WITH_TORCH
  libtorch_version = strata_bench::register_libtorch_workloads();
#endif

  strata_bench::MedianCollector collector(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                                                : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();

  const strata_bench::Summary summary = strata_bench::summarize(collector, libtorch_version);
  strata_bench::print_table(std::cout, summary);
  if (!summary_out.empty()) {
    if (!strata_bench::write_json(summary_out, summary)) return 1;
    std::cout << "\nwrote " << summary_out << "\n";
  }
  return 0;
}
