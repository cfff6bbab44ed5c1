#pragma once
// One process's measurements: collected from Google Benchmark as it runs, written to a JSON file
// for the merge step (merge.h), and read back from it.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

namespace strata_bench {

struct Measurement {
  std::string workload, library, setting;
  int threads = 1;
  // The compared statistic: the median over this process's repetitions of the time per iteration,
  // of the process's CPU time at 1 thread and of the wall-clock time at 2 threads.
  double time_ns = 0;
  double real_ns = 0;  // median wall-clock time per iteration
  double cpu_ns = 0;   // median CPU time per iteration of the whole process (every thread)
  int64_t repetitions = 0;
  std::string error;  // non-empty: the benchmark failed and the times mean nothing
};

// What one process of strata_bench did, and where.
struct ProcessRun {
  std::string library;  // "strata", "libtorch" or "all"
  int threads = 1;
  std::string torch_setting;  // the libtorch setting (settings.h); empty in strata processes
  int pid = 0;
  std::string cpu_model;
  int cpus = 0;
  double load_average = -1;  // 1-minute load average when the process started
  double peak_gflops = 0;    // one core's fp32 FMA peak measured by this process
  std::string peak_isa;
  std::string libtorch_version, openblas_version;
  std::vector<Measurement> measurements;
};

nlohmann::json to_json(const ProcessRun& run);
// Throws nlohmann::json::exception when a field is missing or of the wrong type.
ProcessRun process_run_from_json(const nlohmann::json& j);

// Shows every result on the console as usual and keeps each benchmark's medians. Benchmarks are
// named "<workload>/<library>"; `settings` maps each library to the setting it runs under.
class Collector : public benchmark::ConsoleReporter {
 public:
  Collector(OutputOptions options, int threads, std::map<std::string, std::string> settings)
      : ConsoleReporter(options), threads_(threads), settings_(std::move(settings)) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  std::vector<Measurement> measurements() const;

 private:
  int threads_;
  std::map<std::string, std::string> settings_;
  std::map<std::string, Measurement> by_name_;
};

}  // namespace strata_bench
