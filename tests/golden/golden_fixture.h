#pragma once
// Reads the PyTorch golden files written by tools/gen_fixtures.py and compares strata's tensors
// with them at PyTorch's assert_close tolerances. The file format is described in that script.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <strata/strata.h>
#include <nlohmann/json.hpp>

namespace golden {

using Json = nlohmann::json;

/// An op's parameters from a case, with errors that name the missing or mistyped key.
class Params {
 public:
  explicit Params(const Json& j) : j_(j) {}
  bool has(const char* key) const { return j_.contains(key); }
  int64_t i(const char* key) const { return at(key).get<int64_t>(); }
  bool b(const char* key) const { return at(key).get<bool>(); }
  std::string str(const char* key) const { return at(key).get<std::string>(); }
  /// A number, or "inf" / "-inf" / "nan" (JSON has no literal for them).
  double d(const char* key) const { return number(at(key)); }
  std::optional<int64_t> opt_i(const char* key) const {
    const Json& v = at(key);
    return v.is_null() ? std::nullopt : std::optional<int64_t>(v.get<int64_t>());
  }
  strata::Shape shape(const char* key) const { return strata::Shape(at(key).get<std::vector<int64_t>>()); }
  std::vector<int64_t> ints(const char* key) const { return at(key).get<std::vector<int64_t>>(); }
  /// Written as 2 or 2.0 in the file, which PyTorch promotes differently: keep the distinction.
  strata::Scalar scalar(const char* key) const { return to_scalar(at(key), key); }
  std::optional<strata::Scalar> opt_scalar(const char* key) const {
    const Json& v = at(key);
    return v.is_null() ? std::nullopt : std::optional<strata::Scalar>(to_scalar(v, key));
  }

  static double number(const Json& v) {
    if (v.is_number()) return v.get<double>();
    const std::string s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    throw std::runtime_error("golden fixture: '" + s + "' is not a number");
  }

 private:
  const Json& at(const char* key) const {
    if (!j_.contains(key))
      throw std::runtime_error(std::string("golden fixture: case has no parameter '") + key + "'");
    return j_.at(key);
  }
  static strata::Scalar to_scalar(const Json& v, const char* key) {
    if (v.is_boolean()) return strata::Scalar(v.get<bool>());
    if (v.is_number_integer()) return strata::Scalar(v.get<int64_t>());
    if (v.is_number_float()) return strata::Scalar(v.get<double>());
    throw std::runtime_error(std::string("golden fixture: parameter '") + key + "' is not a number");
  }
  const Json& j_;
};

inline strata::DType dtype_from_name(const std::string& name) {
  using namespace strata;
  for (DType d : {kBool, kUInt8, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64})
    if (dtype_name(d) == name) return d;
  throw std::runtime_error("golden fixture: unknown dtype '" + name + "'");
}

inline strata::Shape shape_of(const Json& t) {
  return strata::Shape(t.at("shape").get<std::vector<int64_t>>());
}

/// The values of a recorded tensor as doubles (exact for every dtype the fixtures use).
inline std::vector<double> values_of(const Json& t) {
  std::vector<double> out;
  for (const Json& v : t.at("data"))
    out.push_back(v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : Params::number(v));
  return out;
}

/// A tensor as recorded: `noncontig` gives it transposed strides (same values); `requires_grad`
/// makes it a leaf that takes a gradient.
inline strata::Tensor make_input(const Json& t) {
  using namespace strata;
  const DType dtype = dtype_from_name(t.at("dtype").get<std::string>());
  const Shape shape = shape_of(t);
  const std::vector<double> v = values_of(t);
  Tensor x;
  if (dtype == kFloat32) {
    // Each float32 value is written so that its nearest double rounds back to it exactly.
    x = from_vector(std::vector<float>(v.begin(), v.end()), shape);
  } else if (dtype == kFloat64) {
    x = from_vector(v, shape);
  } else if (dtype == kBool) {
    std::vector<bool> b;
    for (double e : v) b.push_back(e != 0.0);
    x = from_vector(b, shape);
  } else {
    std::vector<int64_t> n;
    for (double e : v) n.push_back(static_cast<int64_t>(e));
    x = from_vector(n, shape, {.dtype = dtype});
  }
  if (t.value("noncontig", false)) {
    x = x.transpose(-2, -1).contiguous().transpose(-2, -1);
    if (x.is_contiguous() && x.numel() > 1)
      throw std::runtime_error("golden fixture: could not make input non-contiguous");
  }
  if (t.value("requires_grad", false)) x.requires_grad_();
  return x;
}

struct Tolerance {
  double rtol = 0.0, atol = 0.0;
};

/// torch.testing.assert_close's defaults; integers and bools must match exactly.
inline Tolerance tolerance_for(strata::DType dtype) {
  if (dtype == strata::kFloat32) return {1.3e-6, 1e-5};
  if (dtype == strata::kFloat64) return {1e-7, 1e-7};
  return {};
}

inline std::string index_str(int64_t flat, const strata::Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::string s = "[";
  for (size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

inline std::string num_str(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

/// Same dtype, same shape, and every element within atol + rtol * |expected| (nan matches nan,
/// an infinity only the same infinity). The message names the first bad element.
inline ::testing::AssertionResult matches(const std::string& what, const strata::Tensor& got,
                                          const Json& expected) {
  using namespace strata;
  if (!got.defined()) return ::testing::AssertionFailure() << what << ": strata gave an undefined tensor";
  const DType dtype = dtype_from_name(expected.at("dtype").get<std::string>());
  const Shape shape = shape_of(expected);
  if (got.dtype() != dtype)
    return ::testing::AssertionFailure() << what << ": dtype " << got.dtype() << ", expected " << dtype;
  if (!(got.shape() == shape))
    return ::testing::AssertionFailure() << what << ": shape " << got.shape() << ", expected " << shape;
  const std::vector<double> want = values_of(expected);
  const std::vector<double> have = got.to_vector<double>();
  const Tolerance tol = tolerance_for(dtype);
  int64_t bad = 0, first = -1;
  double worst = 0.0;
  for (size_t k = 0; k < want.size(); ++k) {
    const double e = want[k], g = have[k];
    bool ok;
    if (std::isnan(e) || std::isnan(g))
      ok = std::isnan(e) && std::isnan(g);
    else if (std::isinf(e) || std::isinf(g))
      ok = e == g;
    else
      ok = std::fabs(g - e) <= tol.atol + tol.rtol * std::fabs(e);
    if (ok) continue;
    if (first < 0) first = static_cast<int64_t>(k);
    ++bad;
    if (std::isfinite(e) && std::isfinite(g)) worst = std::max(worst, std::fabs(g - e));
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  const auto f = static_cast<size_t>(first);
  return ::testing::AssertionFailure()
         << what << ": " << bad << " of " << want.size() << " elements differ (rtol " << tol.rtol << ", atol "
         << tol.atol << "); first at " << index_str(first, shape) << ": got " << num_str(have[f])
         << ", expected " << num_str(want[f]) << "; largest finite difference " << num_str(worst);
}

inline bool all_zero(const Json& t) {
  for (double v : values_of(t))
    if (v != 0.0) return false;
  return true;
}

inline Json load_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open golden fixture " + path);
  return Json::parse(in);
}

/// One layer case of tools/gen_nn_fixtures.py's format (also gen_conv_fixtures.py's): loads the
/// case's parameters into `layer` (converted to the input's dtype), runs it, and compares the
/// output, the input gradient and every parameter gradient of sum(output * upstream) with
/// PyTorch's.
inline void expect_layer_case_matches(strata::nn::Module& layer, const Json& c) {
  strata::Tensor x = make_input(c.at("input"));
  layer.to(x.dtype());
  strata::nn::StateDict params;
  for (const auto& [key, value] : c.at("params").items()) params.insert(key, make_input(value));
  ASSERT_TRUE(layer.load_state_dict(params).ok());
  x.requires_grad_();
  strata::Tensor out = layer(x);
  EXPECT_TRUE(matches("output", out, c.at("output")));
  (out * make_input(c.at("upstream"))).sum().backward();
  EXPECT_TRUE(matches("grad input", x.grad(), c.at("grad_input")));
  for (const auto& [key, p] : layer.named_parameters())
    EXPECT_TRUE(matches("grad " + key, p.grad(), c.at("grad_params").at(key)));
}

}  // namespace golden
