// strata::summary: one row per module, filled in by forward hooks during a single pass.
#include "strata/nn/summary.h"

#include <algorithm>

#include <fmt/format.h>

namespace strata::nn::detail {

SummaryRecorder::SummaryRecorder(Module& root) : root_(root) {
  for (const auto& [name, m] : root.named_modules()) {
    Row row;
    row.name = name;
    row.type = std::string(m->type_name());
    row.parameters = m->num_parameters();
    row.depth = name.empty() ? 0 : 1 + static_cast<int>(std::count(name.begin(), name.end(), '.'));
    rows_.push_back(row);
  }
  const auto modules = root.modules();
  for (size_t i = 0; i < modules.size(); ++i)
    handles_.push_back(
        modules[i]->register_forward_hook([this, i](Module&, std::span<const Tensor>, const Tensor& out) {
          if (out.defined()) rows_[i].output = out.shape();
        }));
}

SummaryRecorder::~SummaryRecorder() {
  for (HookHandle& h : handles_) h.remove();
}

std::string SummaryRecorder::table() const {
  std::vector<std::string> labels;
  size_t width = 12;
  for (const Row& r : rows_) {
    std::string label =
        std::string(static_cast<size_t>(r.depth) * 2, ' ') +
        (r.name.empty() ? r.type : fmt::format("{} ({})", r.name.substr(r.name.rfind('.') + 1), r.type));
    width = std::max(width, label.size());
    labels.push_back(std::move(label));
  }
  const std::string rule(width + 34, '=');
  std::string out =
      fmt::format("{:<{}}  {:<20}  {:>10}\n{}\n", "Layer (type)", width, "Output shape", "Params", rule);
  for (size_t i = 0; i < rows_.size(); ++i)
    out += fmt::format("{:<{}}  {:<20}  {:>10}\n", labels[i], width,
                       rows_[i].output ? rows_[i].output->str() : "-", rows_[i].parameters);
  out += fmt::format("{}\nTotal params: {}\nTrainable params: {}\n", rule, root_.num_parameters(),
                     root_.num_parameters(true));
  return out;
}

}  // namespace strata::nn::detail
