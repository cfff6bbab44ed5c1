#pragma once
// Turns Google Benchmark's results into the strata-vs-libtorch table and its JSON twin.
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace strata_bench {

// strata's target for these workloads: at most a quarter of libtorch's time.
inline constexpr double kTargetRatio = 0.25;

// Per-iteration times of one benchmark, medians over its repetitions (or the single run's times
// when there is one repetition).
struct Times {
  double cpu_ns = 0;   // CPU time of the benchmark's thread: what the table compares
  double real_ns = 0;  // wall-clock time: includes any time the thread waited for a core
};

// Shows every result on the console as usual, and keeps each benchmark's median times.
class MedianCollector : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;
  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;

  int num_cpus() const { return num_cpus_; }
  double mhz_per_cpu() const { return mhz_per_cpu_; }
  std::optional<Times> median(const std::string& name) const;
  std::optional<std::string> error(const std::string& name) const;
  int64_t repetitions() const { return repetitions_; }

 private:
  int num_cpus_ = 0;
  double mhz_per_cpu_ = 0;
  int64_t repetitions_ = 1;
  std::map<std::string, Times> median_;
  std::map<std::string, std::string> errors_;
};

struct Row {
  std::string workload, description;
  std::optional<Times> strata, libtorch;
  std::string strata_error;
  std::optional<double> ratio() const {
    if (!strata || !libtorch || libtorch->cpu_ns <= 0) return std::nullopt;
    return strata->cpu_ns / libtorch->cpu_ns;
  }
};

struct Summary {
  std::vector<Row> rows;
  std::string libtorch_version;  // empty: built without libtorch
  std::string cpu_model;
  int num_cpus = 0;
  double mhz_per_cpu = 0;
  int64_t repetitions = 1;
};

Summary summarize(const MedianCollector& results, const std::string& libtorch_version);
void print_table(std::ostream& os, const Summary& summary);
// Returns false (after saying why on stderr) when the file cannot be written.
bool write_json(const std::string& path, const Summary& summary);

}  // namespace strata_bench
