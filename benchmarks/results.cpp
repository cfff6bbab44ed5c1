#include "results.h"

namespace strata_bench {

nlohmann::json to_json(const ProcessRun& run) {
  nlohmann::json measurements = nlohmann::json::array();
  for (const Measurement& m : run.measurements) {
    nlohmann::json j = {{"workload", m.workload}, {"library", m.library},        {"setting", m.setting},
                        {"threads", m.threads},   {"time_ns", m.time_ns},        {"real_ns", m.real_ns},
                        {"cpu_ns", m.cpu_ns},     {"repetitions", m.repetitions}};
    if (!m.error.empty()) j["error"] = m.error;
    measurements.push_back(std::move(j));
  }
  return {{"library", run.library},
          {"threads", run.threads},
          {"torch_setting", run.torch_setting},
          {"pid", run.pid},
          {"machine", {{"cpu", run.cpu_model}, {"cpus", run.cpus}, {"load_average", run.load_average}}},
          {"fp32_peak_one_core", {{"gflops", run.peak_gflops}, {"isa", run.peak_isa}}},
          {"libtorch_version", run.libtorch_version},
          {"openblas_version", run.openblas_version},
          {"measurements", std::move(measurements)}};
}

ProcessRun process_run_from_json(const nlohmann::json& j) {
  ProcessRun run;
  run.library = j.at("library").get<std::string>();
  run.threads = j.at("threads").get<int>();
  run.torch_setting = j.at("torch_setting").get<std::string>();
  run.pid = j.at("pid").get<int>();
  const nlohmann::json& machine = j.at("machine");
  run.cpu_model = machine.at("cpu").get<std::string>();
  run.cpus = machine.at("cpus").get<int>();
  run.load_average = machine.at("load_average").get<double>();
  run.peak_gflops = j.at("fp32_peak_one_core").at("gflops").get<double>();
  run.peak_isa = j.at("fp32_peak_one_core").at("isa").get<std::string>();
  run.libtorch_version = j.at("libtorch_version").get<std::string>();
  run.openblas_version = j.at("openblas_version").get<std::string>();
  for (const nlohmann::json& mj : j.at("measurements")) {
    Measurement m;
    m.workload = mj.at("workload").get<std::string>();
    m.library = mj.at("library").get<std::string>();
    m.setting = mj.at("setting").get<std::string>();
    m.threads = mj.at("threads").get<int>();
    m.time_ns = mj.at("time_ns").get<double>();
    m.real_ns = mj.at("real_ns").get<double>();
    m.cpu_ns = mj.at("cpu_ns").get<double>();
    m.repetitions = mj.at("repetitions").get<int64_t>();
    m.error = mj.value("error", "");
    run.measurements.push_back(std::move(m));
  }
  return run;
}

void Collector::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    const std::string name = run.run_name.function_name;
    const auto slash = name.find('/');
    if (slash == std::string::npos) continue;
    Measurement& m = by_name_[name];
    m.workload = name.substr(0, slash);
    m.library = name.substr(slash + 1);
    auto setting = settings_.find(m.library);
    m.setting = setting == settings_.end() ? m.library : setting->second;
    m.threads = threads_;
    if (run.error_occurred) {
      m.error = run.error_message;
      continue;
    }
    // Per iteration, in ns, whatever unit the benchmark reports in. GetAdjustedCPUTime is the
    // process's CPU time: every workload is registered with MeasureProcessCPUTime.
    const double to_ns = 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
    const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
    if (!median && !single) continue;
    m.real_ns = run.GetAdjustedRealTime() * to_ns;
    m.cpu_ns = run.GetAdjustedCPUTime() * to_ns;
    m.time_ns = threads_ == 1 ? m.cpu_ns : m.real_ns;
    m.repetitions = std::max<int64_t>(1, run.repetitions);
  }
  ConsoleReporter::ReportRuns(runs);
}

std::vector<Measurement> Collector::measurements() const {
  std::vector<Measurement> out;
  for (const auto& [name, m] : by_name_) out.push_back(m);
  return out;
}

}  // namespace strata_bench
