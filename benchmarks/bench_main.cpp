// strata_bench: the workloads of workloads.h through strata, libtorch and OpenBLAS, then a table of
// medians and ratios. scripts/bench.sh runs it many times, one process per library and thread
// setting, and merges the results; run alone it measures one thread count in one process.
//
//   strata_bench [--library=all|strata|libtorch] [--threads=1|2] [--torch_setting=NAME]
//                [--out=FILE] [--summary_out=FILE] [--quick] [Google Benchmark flags...]
//   strata_bench --merge [--summary_out=FILE] FILE...
//
// --library      which library's workloads this process runs (libtorch's processes also run the
//                direct OpenBLAS GEMM); "all" (the default) runs every library in this one process
// --threads      1 or 2: strata::set_num_threads, and which libtorch settings apply (settings.h)
// --torch_setting  one of settings.h's libtorch settings for that thread count (default t1 / blas2)
// --out          this process's measurements as JSON, for --merge
// --summary_out  the table as JSON
// --markdown_out the table as Markdown
// --quick        2 short repetitions per workload: to see that everything runs, not to measure
// --merge        read the --out files of earlier processes and print (and write) their table
// --list_libraries  print the libraries this build measures ("strata libtorch openblas") and exit
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "machine.h"
#include "merge.h"
#include "results.h"
#include "settings.h"
#include "workloads.h"

namespace strata_bench {
namespace {

struct Options {
  std::string library = "all";
  int threads = 1;
  std::string torch_setting;
  std::string out, summary_out, markdown_out;
  bool quick = false;
  bool merge = false;
  bool list_libraries = false;
  std::vector<std::string> merge_files;
  std::vector<char*> benchmark_args;  // argv[0] and everything not ours, for Google Benchmark
};

bool starts_with(const char* arg, const char* prefix) {
  return std::strncmp(arg, prefix, std::strlen(prefix)) == 0;
}

// Returns false after saying why on stderr.
bool parse(int argc, char** argv, Options& o) {
  o.benchmark_args.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (starts_with(a, "--library="))
      o.library = a + 10;
    else if (starts_with(a, "--threads="))
      o.threads = std::atoi(a + 10);
    else if (starts_with(a, "--torch_setting="))
      o.torch_setting = a + 16;
    else if (starts_with(a, "--out="))
      o.out = a + 6;
    else if (starts_with(a, "--summary_out="))
      o.summary_out = a + 14;
    else if (starts_with(a, "--markdown_out="))
      o.markdown_out = a + 15;
    else if (std::strcmp(a, "--quick") == 0)
      o.quick = true;
    else if (std::strcmp(a, "--list_libraries") == 0)
      o.list_libraries = true;
    else if (std::strcmp(a, "--merge") == 0)
      o.merge = true;
    else if (o.merge && !starts_with(a, "--"))
      o.merge_files.push_back(a);
    else
      o.benchmark_args.push_back(argv[i]);
  }
  if (o.library != "all" && o.library != "strata" && o.library != "libtorch") {
    std::cerr << "strata_bench: --library must be all, strata or libtorch, not " << o.library << "\n";
    return false;
  }
  if (o.threads != 1 && o.threads != 2) {
    std::cerr << "strata_bench: --threads must be 1 or 2 (the settings compared are defined for those)\n";
    return false;
  }
  if (o.torch_setting.empty()) o.torch_setting = o.threads == 1 ? "t1" : "blas2";
  const Setting* s = find_setting(o.torch_setting);
  if (s == nullptr || std::string(s->library) != "libtorch" || s->threads != o.threads) {
    std::cerr << "strata_bench: --torch_setting=" << o.torch_setting << " is not a libtorch setting for "
              << o.threads << " thread(s); those are:";
    for (const Setting& setting : kSettings)
      if (std::string(setting.library) == "libtorch" && setting.threads == o.threads)
        std::cerr << " " << setting.name;
    std::cerr << "\n";
    return false;
  }
  return true;
}

// The libraries read their thread variables while loading, before main(): when this process's
// environment is not the one its setting asks for, set it and start this program again.
void match_environment_or_reexec(const Setting& setting, char** argv) {
  bool changed = false;
  for (size_t i = 0; i < kThreadVariables.size(); ++i) {
    const char* want = setting.env[i];
    const char* have = std::getenv(kThreadVariables[i]);
    if (want == nullptr && have != nullptr) {
      unsetenv(kThreadVariables[i]);
      changed = true;
    } else if (want != nullptr && (have == nullptr || std::strcmp(want, have) != 0)) {
      setenv(kThreadVariables[i], want, 1);
      changed = true;
    }
  }
  if (!changed) return;
  if (std::getenv("STRATA_BENCH_RESTARTED") != nullptr) {
    std::cerr << "strata_bench: the environment did not take after a restart; the thread counts may be off\n";
    return;
  }
  setenv("STRATA_BENCH_RESTARTED", "1", 1);
  execv("/proc/self/exe", argv);
  std::perror("strata_bench: could not restart with the setting's environment; thread counts may be off");
}

bool has_flag(const std::vector<char*>& args, const char* flag) {
  for (const char* a : args)
    if (starts_with(a, flag)) return true;
  return false;
}

void register_library(const std::string& library, const WorkloadFns& fns, const Options& o) {
  const bool own_repetitions = has_flag(o.benchmark_args, "--benchmark_repetitions");
  const bool own_min_time = has_flag(o.benchmark_args, "--benchmark_min_time");
  for (size_t i = 0; i < kNumWorkloads; ++i) {
    const Workload& w = kWorkloads[i];
    if (fns[i] == nullptr || (o.threads > 1 && !w.two_threads)) continue;
    benchmark::internal::Benchmark* b =
        benchmark::RegisterBenchmark((std::string(w.name) + "/" + library).c_str(), fns[i]);
    // Process CPU time counts every thread's work (a library that quietly uses more threads
    // cannot hide it); at 2 threads the table compares wall-clock time instead.
    b->MeasureProcessCPUTime();
    if (o.threads > 1) b->UseRealTime();
    if (!own_repetitions) b->Repetitions(o.quick ? 2 : w.repetitions);
    if (w.iterations > 0)
      b->Iterations(w.iterations);
    else if (!own_min_time)
      b->MinTime(o.quick ? w.min_time / 10 : w.min_time);
    if (w.flops > 0) b->Unit(benchmark::kMillisecond);
  }
}

bool write_json_file(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  if (!out) {
    std::cerr << "strata_bench: could not write " << path << "\n";
    return false;
  }
  return true;
}

bool print_and_write(const std::vector<ProcessRun>& runs, const Options& o) {
  const Summary summary = merge(runs);
  print_table(std::cout, summary);
  if (!o.summary_out.empty()) {
    if (!write_json_file(o.summary_out, summary_json(summary))) return false;
    std::cout << "\nwrote " << o.summary_out << "\n";
  }
  if (!o.markdown_out.empty()) {
    std::ofstream md(o.markdown_out);
    print_markdown(md, summary);
    if (!md) {
      std::cerr << "strata_bench: could not write " << o.markdown_out << "\n";
      return false;
    }
    std::cout << "wrote " << o.markdown_out << "\n";
  }
  return true;
}

int run_merge(const Options& o) {
  if (o.merge_files.empty()) {
    std::cerr << "strata_bench: --merge needs the JSON files written by --out\n";
    return 2;
  }
  std::vector<ProcessRun> runs;
  for (const std::string& path : o.merge_files) {
    try {
      std::ifstream in(path);
      if (!in) throw std::runtime_error("cannot open it");
      runs.push_back(process_run_from_json(nlohmann::json::parse(in)));
    } catch (const std::exception& e) {
      std::cerr << "strata_bench: " << path << " is not a strata_bench --out file: " << e.what() << "\n";
      return 1;
    }
  }
  return print_and_write(runs, o) ? 0 : 1;
}

int run_benchmarks(Options& o, char** argv) {
  const Setting& torch_setting = *find_setting(o.torch_setting);
  match_environment_or_reexec(o.library == "strata" ? *find_setting("strata") : torch_setting, argv);

  ProcessRun run;
  run.library = o.library;
  run.threads = o.threads;
  run.torch_setting = o.library == "strata" ? "" : o.torch_setting;
  run.pid = static_cast<int>(getpid());
  run.cpu_model = cpu_model_name();
  run.cpus = available_cpus();
  run.load_average = load_average();
  const FmaPeak peak = measure_fp32_peak();
  run.peak_gflops = peak.gflops;
  run.peak_isa = peak.isa;

  // Defaults unless given: repetitions interleaved in random order, so that a burst of load
  // from elsewhere on the machine spreads over the workloads instead of hitting one.
  std::vector<char*> args = o.benchmark_args;
  std::vector<std::string> defaults;
  if (!has_flag(args, "--benchmark_enable_random_interleaving"))
    defaults.push_back("--benchmark_enable_random_interleaving=true");
  if (!has_flag(args, "--benchmark_display_aggregates_only") &&
      !has_flag(args, "--benchmark_report_aggregates_only"))
    defaults.push_back("--benchmark_display_aggregates_only=true");
  for (std::string& d : defaults) args.push_back(d.data());
  args.push_back(nullptr);
  int n = static_cast<int>(args.size()) - 1;
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;

  std::map<std::string, std::string> settings;
  if (o.library != "libtorch") {
    register_library("strata", strata_workloads(o.threads), o);
    settings["strata"] = "strata";
  }
  if (o.library != "strata") {
#ifdef STRATA_BENCH_WITH_TORCH
    register_library("libtorch", libtorch_workloads(torch_setting.intra_op), o);
    run.libtorch_version = libtorch_version();
    settings["libtorch"] = torch_setting.name;
#endif
#ifdef STRATA_BENCH_WITH_OPENBLAS
    register_library("openblas", openblas_workloads(torch_setting.blas_threads), o);
    run.openblas_version = openblas_version();
    settings["openblas"] = torch_setting.name;
#endif
  }

  Collector collector(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                            : benchmark::ConsoleReporter::OO_Tabular,
                      o.threads, settings);
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  run.measurements = collector.measurements();

  if (!o.out.empty() && !write_json_file(o.out, to_json(run))) return 1;
  return print_and_write({run}, o) ? 0 : 1;
}

}  // namespace
}  // namespace strata_bench

int main(int argc, char** argv) {
  strata_bench::Options options;
  if (!strata_bench::parse(argc, argv, options)) return 2;
  if (options.list_libraries) {
    std::cout << "strata";
#ifdef STRATA_BENCH_WITH_TORCH
    std::cout << " libtorch";
#endif
#ifdef STRATA_BENCH_WITH_OPENBLAS
    std::cout << " openblas";
#endif
    std::cout << "\n";
    return 0;
  }
  if (options.merge) return strata_bench::run_merge(options);
  return strata_bench::run_benchmarks(options, argv);
}
