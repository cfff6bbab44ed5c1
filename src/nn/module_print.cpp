// `std::cout << model`: the module tree in PyTorch's repr layout.
#include <sstream>

#include "nn/module_internal.h"

namespace strata::nn {
namespace {

// Indents every line but the first by `spaces` (PyTorch's _addindent).
std::string add_indent(const std::string& text, int spaces) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out.append(static_cast<size_t>(spaces), ' ');
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  if (text.empty()) return lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string repr(const Module& m) {
  std::vector<std::string> lines = split_lines(m.extra_repr());
  const size_t extra_lines = lines.size();
  for (const auto& [name, child] : m.named_children())
    lines.push_back(fmt::format("({}): {}", name, add_indent(repr(*child), 2)));
  std::string out = fmt::format("{}(", m.type_name());
  if (lines.size() == 1 && extra_lines == 1) {
    out += lines[0];
  } else if (!lines.empty()) {
    out += "\n  ";
    for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n  " : "") + lines[i];
    out += "\n";
  }
  return out + ")";
}

}  // namespace

namespace detail {
std::string describe_module(const Module& m) { return fmt::format("{}({})", m.type_name(), m.extra_repr()); }
}  // namespace detail

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << repr(module); }

}  // namespace strata::nn
