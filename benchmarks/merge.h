#pragma once
// Turns the measurements of many processes into the strata-vs-libtorch table: per workload and
// thread count, the median and the minimum over processes of each process's median, strata's
// ratio to the fastest reference, and whether it meets the workload's target.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results.h"
#include "workloads.h"

namespace strata_bench {

// Over processes, of each process's median time per iteration.
struct Stats {
  double median_ns = 0;
  double min_ns = 0;
  int processes = 0;
  // Median of CPU time / wall-clock time: how many cores were busy on average. At 2 threads a
  // figure near 1 for work that should split means the process did not get the second core.
  double busy_cores = 0;
};

// One library under one setting, e.g. libtorch under "blas2".
struct Candidate {
  std::string library, setting;
  Stats stats;
};

struct Row {
  const Workload* workload = nullptr;
  int threads = 1;
  std::optional<Stats> strata;
  std::string strata_error;
  std::vector<Candidate> references;  // everything strata is compared with here, fastest median first
  std::vector<std::string> errors;    // "library/setting: message" of failed reference runs
  const Candidate* best() const { return references.empty() ? nullptr : &references.front(); }
  std::optional<double> ratio() const;
  std::optional<bool> met() const;
};

struct Summary {
  std::vector<Row> rows;
  std::string cpu_model;
  int cpus = 0;
  int processes = 0;
  double load_at_start = -1, load_min = -1, load_max = -1;
  double peak_gflops = 0;  // one core's, the best any process measured
  std::string peak_isa;
  std::string libtorch_version, openblas_version;
};

Summary merge(const std::vector<ProcessRun>& runs);
void print_table(std::ostream& os, const Summary& summary);
// The main table as Markdown, with a line on the machine and the load, to paste into a README.
void print_markdown(std::ostream& os, const Summary& summary);
nlohmann::json summary_json(const Summary& summary);

}  // namespace strata_bench
