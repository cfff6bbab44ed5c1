#pragma once
/// \file summary.h
/// `strata::summary(model, inputs...)`: runs the model once (without recording gradients) and
/// prints each module's output shape and parameter count, indented by depth.
///
///     strata::summary(model, strata::randn({4, 10}));
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "strata/autograd.h"
#include "strata/nn/module.h"

namespace strata {
namespace nn::detail {

/// Hooks every module of `root` for the duration of one forward pass and formats what it saw.
class SummaryRecorder {
 public:
  explicit SummaryRecorder(Module& root);
  ~SummaryRecorder();
  SummaryRecorder(const SummaryRecorder&) = delete;
  SummaryRecorder& operator=(const SummaryRecorder&) = delete;
  std::string table() const;

 private:
  struct Row {
    std::string name, type;
    std::optional<Shape> output;
    int64_t parameters = 0;
    int depth = 0;
  };
  Module& root_;
  std::vector<Row> rows_;
  std::vector<HookHandle> handles_;
};

}  // namespace nn::detail

/// The summary table as a string.
template <typename M, typename... Args>
std::string summary_string(M& model, Args&&... inputs) {
  nn::detail::SummaryRecorder recorder(model);
  {
    NoGradGuard no_grad;
    model(std::forward<Args>(inputs)...);
  }
  return recorder.table();
}

/// Prints the summary table to std::cout.
template <typename M, typename... Args>
void summary(M& model, Args&&... inputs) {
  std::cout << summary_string(model, std::forward<Args>(inputs)...);
}

}  // namespace strata
