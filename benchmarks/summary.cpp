#include "summary.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "workloads.h"

namespace strata_bench {

bool MedianCollector::ReportContext(const Context& context) {
  num_cpus_ = context.cpu_info.num_cpus;
  mhz_per_cpu_ = context.cpu_info.cycles_per_second / 1e6;
  return ConsoleReporter::ReportContext(context);
}

void MedianCollector::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    const std::string name = run.run_name.function_name;
    if (run.error_occurred) {
      errors_[name] = run.error_message;
      continue;
    }
    // Times per iteration, converted to ns from whatever unit the benchmark reports in.
    const double to_ns = 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
    const Times times{run.GetAdjustedCPUTime() * to_ns, run.GetAdjustedRealTime() * to_ns};
    if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
      median_[name] = times;
      repetitions_ = std::max<int64_t>(repetitions_, run.repetitions);
    } else if (run.run_type == Run::RT_Iteration && run.repetitions <= 1) {
      median_[name] = times;
    }
  }
  ConsoleReporter::ReportRuns(runs);
}

std::optional<Times> MedianCollector::median(const std::string& name) const {
  auto it = median_.find(name);
  if (it == median_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> MedianCollector::error(const std::string& name) const {
  auto it = errors_.find(name);
  if (it == errors_.end()) return std::nullopt;
  return it->second;
}

namespace {

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown CPU";
}

std::string format_time(const std::optional<Times>& t) {
  if (!t) return "-";
  const double ns = t->cpu_ns;
  if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.2f} us", ns / 1e3);
  return fmt::format("{:.2f} ms", ns / 1e6);
}

nlohmann::json times_json(const std::optional<Times>& t) {
  if (!t) return nullptr;
  return {{"cpu_ns", t->cpu_ns}, {"real_ns", t->real_ns}};
}

}  // namespace

Summary summarize(const MedianCollector& results, const std::string& libtorch_version) {
  Summary s;
  s.libtorch_version = libtorch_version;
  s.cpu_model = cpu_model_name();
  s.num_cpus = results.num_cpus();
  s.mhz_per_cpu = results.mhz_per_cpu();
  s.repetitions = results.repetitions();
  for (const Workload& w : kWorkloads) {
    Row row{w.name, w.description, results.median(benchmark_name(w, "strata")),
            results.median(benchmark_name(w, "libtorch")), ""};
    row.strata_error = results.error(benchmark_name(w, "strata")).value_or("");
    // Workloads filtered out of this run (--benchmark_filter) are left out of the table.
    if (row.strata || row.libtorch || !row.strata_error.empty()) s.rows.push_back(std::move(row));
  }
  return s;
}

void print_table(std::ostream& os, const Summary& s) {
  if (s.rows.empty()) return;  // nothing ran (--benchmark_list_tests, or a filter that matched nothing)
  const std::string against =
      s.libtorch_version.empty() ? "libtorch not built in" : "libtorch " + s.libtorch_version + ", 1 thread";
  os << fmt::format("\nstrata vs {} -- median CPU time per iteration over {} repetition(s)\n", against,
                    s.repetitions);
  os << fmt::format("{} ({} cpus)\n\n", s.cpu_model, s.num_cpus);
  os << fmt::format("{:<12} {:>12} {:>12} {:>16}  {}\n", "workload", "strata", "libtorch", "strata/libtorch",
                    fmt::format("target <= {:.2f}", kTargetRatio));
  for (const Row& r : s.rows) {
    auto ratio = r.ratio();
    os << fmt::format("{:<12} {:>12} {:>12} {:>16}  {}\n", r.workload,
                      r.strata_error.empty() ? format_time(r.strata) : "error", format_time(r.libtorch),
                      ratio ? fmt::format("{:.3f}", *ratio) : "-",
                      ratio ? (*ratio <= kTargetRatio ? "met" : "NOT met") : "");
  }
  for (const Row& r : s.rows)
    if (!r.strata_error.empty()) os << fmt::format("\n{} (strata) failed: {}\n", r.workload, r.strata_error);
  os.flush();
}

bool write_json(const std::string& path, const Summary& s) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Row& r : s.rows) {
    auto ratio = r.ratio();
    nlohmann::json j = {{"workload", r.workload}, {"description", r.description}};
    j["strata"] = times_json(r.strata);
    j["libtorch"] = times_json(r.libtorch);
    j["ratio"] = ratio ? nlohmann::json(*ratio) : nlohmann::json();
    j["meets_target"] = ratio ? nlohmann::json(*ratio <= kTargetRatio) : nlohmann::json();
    if (!r.strata_error.empty()) j["strata_error"] = r.strata_error;
    rows.push_back(std::move(j));
  }
  nlohmann::json doc = {
      {"statistic", "median over repetitions of the time per iteration, in ns; ratio compares cpu_ns"},
      {"repetitions", s.repetitions},
      {"target_ratio", kTargetRatio},
      {"machine", {{"cpu", s.cpu_model}, {"num_cpus", s.num_cpus}, {"mhz_per_cpu", s.mhz_per_cpu}}},
      {"libtorch", s.libtorch_version.empty()
                       ? nlohmann::json()
                       : nlohmann::json({{"version", s.libtorch_version}, {"threads", 1}})},
      {"workloads", rows},
  };
  std::ofstream out(path);
  out << doc.dump(2) << "\n";
  if (!out) {
    std::cerr << "strata_bench: could not write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace strata_bench
