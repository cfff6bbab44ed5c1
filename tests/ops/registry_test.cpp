// Every op has a CPU kernel and a gradient, or says it is not differentiable, or is built from
// other registered ops.
#include <set>

#include "ops/registry.h"
#include "support/test_util.h"

using namespace strata;

TEST(Registry, EveryOpHasAKernelAndAGradient) {
  const auto& ops = ops::op_registry();
  ASSERT_GT(ops.size(), 50u);
  std::set<std::string_view> names;
  for (const auto& op : ops) names.insert(op.name);
  for (const auto& op : ops) {
    SCOPED_TRACE(std::string(op.name));
    if (!op.composite_of.empty()) {
      EXPECT_EQ(op.has_kernel, nullptr) << "a composite runs its parts' kernels";
      std::string parts(op.composite_of);
      size_t start = 0;
      while (start < parts.size()) {
        size_t end = parts.find(' ', start);
        if (end == std::string::npos) end = parts.size();
        EXPECT_TRUE(names.count(std::string_view(parts).substr(start, end - start)))
            << "part '" << parts.substr(start, end - start) << "' is not a registered op";
        start = end + 1;
      }
      continue;
    }
    ASSERT_NE(op.has_kernel, nullptr) << "no kernel requirement declared";
    EXPECT_TRUE(op.has_kernel(backend::cpu_kernels())) << "the CPU backend has no kernel for it";
    if (op.differentiable) {
      EXPECT_NE(op.backward, nullptr) << "differentiable but no backward";
    }
  }
}

TEST(Registry, TheIssuesOpListIsRegistered) {
  std::set<std::string_view> names;
  for (const auto& op : ops::op_registry()) names.insert(op.name);
  for (const char* name :
       {"add",       "sub",          "mul",     "div",         "pow",         "neg",         "abs",
        "sign",      "exp",          "log",     "log1p",       "sqrt",        "rsqrt",       "sin",
        "cos",       "tanh",         "sigmoid", "relu",        "gelu",        "silu",        "softplus",
        "clamp",     "where",        "maximum", "minimum",     "eq",          "ne",          "lt",
        "le",        "gt",           "ge",      "logical_and", "logical_or",  "logical_xor", "logical_not",
        "sum",       "mean",         "prod",    "max",         "min",         "argmax",      "argmin",
        "var",       "std",          "norm",    "logsumexp",   "cumsum",      "matmul",      "mm",
        "bmm",       "linear",       "softmax", "log_softmax", "cat",         "stack",       "split",
        "chunk",     "index_select", "gather",  "scatter",     "scatter_add", "masked_fill", "one_hot",
        "embedding", "tril",         "triu",    "view",        "reshape",     "transpose",   "permute",
        "expand",    "narrow",       "select",  "slice",       "clone"})
    EXPECT_TRUE(names.count(name)) << name << " is not in the op registry";
}
