#include "merge.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "settings.h"

namespace strata_bench {

std::optional<double> Row::ratio() const {
  if (!strata || !best() || best()->stats.median_ns <= 0) return std::nullopt;
  return strata->median_ns / best()->stats.median_ns;
}

std::optional<bool> Row::met() const {
  auto r = ratio();
  if (!r) return std::nullopt;
  return *r <= workload->target;
}

namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Key: library, setting, threads, workload.
using Key = std::tuple<std::string, std::string, int, std::string>;

struct Gathered {
  std::vector<double> times;
  std::vector<double> busy_cores;
  std::string error;
};

bool is_reference(const Workload& w, const std::string& library) {
  if (library == "strata") return false;
  return w.reference == Reference::kBestLibrary || library == "libtorch";
}

std::string format_time(double ns) {
  if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.3g} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.3g} ms", ns / 1e6);
  return fmt::format("{:.3g} s", ns / 1e9);
}

std::string format_stats(const Stats& s) {
  return fmt::format("{} ({})", format_time(s.median_ns), format_time(s.min_ns));
}

std::string candidate_name(const Candidate& c) {
  return c.library == c.setting ? c.library : c.library + " " + c.setting;
}

double gflops(const Workload& w, double ns) { return ns > 0 ? w.flops / ns : 0; }

nlohmann::json stats_json(const Stats& s, const Workload& w, int threads, double peak) {
  nlohmann::json j = {{"median_ns", s.median_ns},
                      {"min_ns", s.min_ns},
                      {"processes", s.processes},
                      {"busy_cores_median", s.busy_cores}};
  if (w.flops > 0) {
    j["gflops_median"] = gflops(w, s.median_ns);
    j["gflops_best"] = gflops(w, s.min_ns);
    if (peak > 0) j["share_of_peak_median"] = gflops(w, s.median_ns) / (peak * threads);
  }
  return j;
}

}  // namespace

Summary merge(const std::vector<ProcessRun>& runs) {
  Summary s;
  std::map<Key, Gathered> gathered;
  for (const ProcessRun& run : runs) {
    ++s.processes;
    if (s.cpu_model.empty()) {
      s.cpu_model = run.cpu_model;
      s.cpus = run.cpus;
      s.load_at_start = run.load_average;
    }
    if (run.load_average >= 0) {
      s.load_min = s.load_min < 0 ? run.load_average : std::min(s.load_min, run.load_average);
      s.load_max = std::max(s.load_max, run.load_average);
    }
    if (run.peak_gflops > s.peak_gflops) {
      s.peak_gflops = run.peak_gflops;
      s.peak_isa = run.peak_isa;
    }
    if (!run.libtorch_version.empty()) s.libtorch_version = run.libtorch_version;
    if (!run.openblas_version.empty()) s.openblas_version = run.openblas_version;
    for (const Measurement& m : run.measurements) {
      Gathered& g = gathered[{m.library, m.setting, m.threads, m.workload}];
      if (m.error.empty()) {
        g.times.push_back(m.time_ns);
        g.busy_cores.push_back(m.real_ns > 0 ? m.cpu_ns / m.real_ns : 0);
      } else
        g.error = m.error;
    }
  }

  for (const Workload& w : kWorkloads) {
    for (int threads : {1, 2}) {
      Row row;
      row.workload = &w;
      row.threads = threads;
      bool measured = false;
      for (const auto& [key, g] : gathered) {
        const auto& [library, setting, t, workload] = key;
        if (t != threads || workload != w.name) continue;
        measured = true;
        std::optional<Stats> stats;
        if (!g.times.empty())
          stats = Stats{median_of(g.times), *std::min_element(g.times.begin(), g.times.end()),
                        static_cast<int>(g.times.size()), median_of(g.busy_cores)};
        if (library == "strata") {
          row.strata = stats;
          if (!stats) row.strata_error = g.error;
        } else if (is_reference(w, library)) {
          if (stats)
            row.references.push_back({library, setting, *stats});
          else
            row.errors.push_back(library + " " + setting + ": " + g.error);
        }
      }
      if (!measured) continue;  // filtered out, or not run at this thread count
      std::sort(row.references.begin(), row.references.end(),
                [](const Candidate& a, const Candidate& b) { return a.stats.median_ns < b.stats.median_ns; });
      s.rows.push_back(std::move(row));
    }
  }
  return s;
}

void print_table(std::ostream& os, const Summary& s) {
  if (s.rows.empty()) {
    os << "\nno measurements to summarise\n";
    return;
  }
  const std::string against =
      s.libtorch_version.empty() ? "libtorch (not built in)" : "libtorch " + s.libtorch_version;
  os << fmt::format("\nstrata vs {}: median over processes (min in brackets) of each process's median time\n",
                    against);
  os << fmt::format(
      "per iteration; 1 thread: the process's CPU time, 2 threads: wall-clock time. Busy cores (2\n"
      "threads): median CPU time / wall-clock time, strata / reference; near 1 on work that\n"
      "splits, the process did not get the second core.\n");
  os << fmt::format(
      "{} processes on {}, {} CPUs; load average {:.2f} at start, {:.2f}-{:.2f} at process starts\n",
      s.processes, s.cpu_model, s.cpus, s.load_at_start, s.load_min, s.load_max);
  if (s.peak_gflops > 0)
    os << fmt::format("fp32 peak measured: {:.1f} GFLOP/s per core ({} FMA chains)\n", s.peak_gflops,
                      s.peak_isa);
  if (!s.openblas_version.empty()) os << fmt::format("OpenBLAS: {}\n", s.openblas_version);

  os << fmt::format("\n{:<19} {:>3}  {:<22} {:<16} {:<22} {:>7}  {:<8} {:<3}  {}\n", "workload", "thr",
                    "strata", "vs (fastest)", "its time", "ratio", "target", "met", "busy cores");
  for (const Row& r : s.rows) {
    const Candidate* best = r.best();
    const auto ratio = r.ratio();
    const auto met = r.met();
    std::string strata = r.strata ? format_stats(*r.strata) : (r.strata_error.empty() ? "-" : "error");
    // At 2 threads, strata's and the reference's CPU time / wall time: shows a starved process.
    std::string busy;
    if (r.threads > 1)
      busy = fmt::format("{} / {}", r.strata ? fmt::format("{:.1f}", r.strata->busy_cores) : "-",
                         best ? fmt::format("{:.1f}", best->stats.busy_cores) : "-");
    os << fmt::format("{:<19} {:>3}  {:<22} {:<16} {:<22} {:>7}  {:<8} {:<3}  {}\n", r.workload->name,
                      r.threads, strata, best ? candidate_name(*best) : "-",
                      best ? format_stats(best->stats) : "-", ratio ? fmt::format("{:.3f}", *ratio) : "-",
                      fmt::format("<= {:.3g}", r.workload->target), met ? (*met ? "yes" : "NO") : "", busy);
  }

  // libtorch's 2-thread settings side by side (those measured), to show which one won where.
  std::vector<const Setting*> settings;
  for (const Setting& setting : kSettings) {
    if (std::string(setting.library) != "libtorch" || setting.threads != 2) continue;
    bool measured = false;
    for (const Row& r : s.rows)
      for (const Candidate& c : r.references)
        measured = measured || (r.threads == 2 && c.library == "libtorch" && c.setting == setting.name);
    if (measured) settings.push_back(&setting);
  }
  if (!settings.empty()) {
    os << "\nlibtorch at 2 threads, each setting's median:";
    for (const Setting* setting : settings)
      os << fmt::format("\n  {:<8} {}", setting->name, setting->description);
    os << fmt::format("\n{:<19}", "workload");
    for (const Setting* setting : settings) os << fmt::format(" {:>11}", setting->name);
    os << "\n";
    for (const Row& r : s.rows) {
      if (r.threads != 2) continue;
      os << fmt::format("{:<19}", r.workload->name);
      for (const Setting* setting : settings) {
        auto it = std::find_if(r.references.begin(), r.references.end(), [&](const Candidate& c) {
          return c.library == "libtorch" && c.setting == setting->name;
        });
        os << fmt::format(" {:>11}", it == r.references.end() ? "-" : format_time(it->stats.median_ns));
      }
      os << "\n";
    }
  }

  // GEMM throughput: every library, its share of the peak of the cores it may use.
  bool any_gemm = false;
  for (const Row& r : s.rows) any_gemm = any_gemm || r.workload->flops > 0;
  if (any_gemm) {
    os << fmt::format(
        "\nGEMM: GFLOP/s of the median (of the min) and the median's share of the fp32 peak\n"
        "({:.1f} GFLOP/s per core, times the thread count)\n",
        s.peak_gflops);
    for (const Row& r : s.rows) {
      if (r.workload->flops <= 0) continue;
      auto line = [&](const std::string& who, const Stats& st) {
        const double g = gflops(*r.workload, st.median_ns);
        const std::string share =
            s.peak_gflops > 0 ? fmt::format("{:.0f}%", 100 * g / (s.peak_gflops * r.threads)) : "-";
        os << fmt::format("{:<19} {:>3}  {:<16} {:>7.1f} ({:>5.1f})  {:>5}\n", r.workload->name, r.threads,
                          who, g, gflops(*r.workload, st.min_ns), share);
      };
      if (r.strata) line("strata", *r.strata);
      for (const Candidate& c : r.references) line(candidate_name(c), c.stats);
    }
  }

  for (const Row& r : s.rows) {
    if (!r.strata_error.empty())
      os << fmt::format("\n{} at {} thread(s), strata failed: {}", r.workload->name, r.threads,
                        r.strata_error);
    for (const std::string& e : r.errors)
      os << fmt::format("\n{} at {} thread(s), {}", r.workload->name, r.threads, e);
  }
  os << "\n";
  os.flush();
}

void print_markdown(std::ostream& os, const Summary& s) {
  os << fmt::format(
      "{} processes on {} ({} CPUs), load average {:.2f} at start ({:.2f}-{:.2f} at process starts); "
      "fp32 peak {:.1f} GFLOP/s per core. Median over processes (min) of each process's median time; "
      "1 thread: process CPU time, 2 threads: wall-clock.\n\n",
      s.processes, s.cpu_model, s.cpus, s.load_at_start, s.load_min, s.load_max, s.peak_gflops);
  os << "| workload | threads | strata | vs | its time | ratio | target | met |\n";
  os << "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |\n";
  for (const Row& r : s.rows) {
    const Candidate* best = r.best();
    const auto ratio = r.ratio();
    const auto met = r.met();
    std::string strata = r.strata ? format_stats(*r.strata) : (r.strata_error.empty() ? "-" : "error");
    os << fmt::format("| `{}` | {} | {} | {} | {} | {} | ≤ {:.3g} | {} |\n", r.workload->name, r.threads,
                      strata, best ? candidate_name(*best) : "-", best ? format_stats(best->stats) : "-",
                      ratio ? fmt::format("{:.3f}", *ratio) : "-", r.workload->target,
                      met ? (*met ? "yes" : "**no**") : "");
  }
  os.flush();
}

nlohmann::json summary_json(const Summary& s) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Row& r : s.rows) {
    const Workload& w = *r.workload;
    nlohmann::json j = {{"workload", w.name},
                        {"description", w.description},
                        {"threads", r.threads},
                        {"target_ratio", w.target},
                        {"compared_with", w.reference == Reference::kLibtorch ? "libtorch, fastest setting"
                                                                              : "fastest library measured"}};
    j["strata"] = r.strata ? stats_json(*r.strata, w, r.threads, s.peak_gflops) : nlohmann::json();
    if (!r.strata_error.empty()) j["strata_error"] = r.strata_error;
    nlohmann::json refs = nlohmann::json::array();
    for (const Candidate& c : r.references) {
      nlohmann::json cj = stats_json(c.stats, w, r.threads, s.peak_gflops);
      cj["library"] = c.library;
      cj["setting"] = c.setting;
      refs.push_back(std::move(cj));
    }
    j["reference"] = refs.empty() ? nlohmann::json() : refs.front();
    j["all_references"] = std::move(refs);
    if (!r.errors.empty()) j["reference_errors"] = r.errors;
    const auto ratio = r.ratio();
    const auto met = r.met();
    j["ratio"] = ratio ? nlohmann::json(*ratio) : nlohmann::json();
    j["meets_target"] = met ? nlohmann::json(*met) : nlohmann::json();
    rows.push_back(std::move(j));
  }
  nlohmann::json settings = nlohmann::json::object();
  for (const Setting& setting : kSettings) settings[setting.name] = setting.description;
  return {
      {"statistic",
       "per process: the median over repetitions of the time per iteration (1 thread: the process's CPU "
       "time; "
       "2 threads: wall-clock time); per row: the median and min of that over processes, in ns; ratio = "
       "strata "
       "median / the fastest reference's median"},
      {"processes", s.processes},
      {"machine",
       {{"cpu", s.cpu_model},
        {"cpus", s.cpus},
        {"load_average_at_start", s.load_at_start},
        {"load_average_range", {s.load_min, s.load_max}},
        {"fp32_peak_gflops_one_core", s.peak_gflops},
        {"fp32_peak_isa", s.peak_isa}}},
      {"libtorch_version",
       s.libtorch_version.empty() ? nlohmann::json() : nlohmann::json(s.libtorch_version)},
      {"openblas_version",
       s.openblas_version.empty() ? nlohmann::json() : nlohmann::json(s.openblas_version)},
      {"settings", settings},
      {"rows", std::move(rows)},
  };
}

}  // namespace strata_bench
