// nn::init against PyTorch 1.13 (tests/fixtures/init/init.json, from tools/gen_init_fixtures.py) and
// against the statistics of the distributions it samples.
//
// The random initialisers draw one number per element in row-major order from the generator
// (uniform(): lo + (hi - lo) * u; normal(): mean + std * z), so replaying a Generator with the same
// seed tells the exact range or std an initialiser used, whatever the tensor's shape.
#include "strata/nn/init.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <numbers>
#include <string>
#include <vector>

#include "support/test_util.h"

namespace {

using namespace strata;
namespace init = strata::nn::init;
using init::FanMode;
using init::Nonlinearity;
using strata::test::expect_error;
using Json = nlohmann::json;

const Json& fixture() {
  static const Json json = [] {
    std::ifstream in(std::string(STRATA_FIXTURES_DIR) + "/init/init.json");
    EXPECT_TRUE(in.good()) << "missing tests/fixtures/init/init.json: run tools/gen_init_fixtures.py";
    return Json::parse(in);
  }();
  return json;
}

Shape shape_of(const Json& j) { return Shape(j.get<std::vector<int64_t>>()); }

Nonlinearity nonlinearity_named(const std::string& name) {
  static const std::map<std::string, Nonlinearity> names = {
      {"linear", Nonlinearity::Linear},   {"conv1d", Nonlinearity::Conv1d},
      {"conv2d", Nonlinearity::Conv2d},   {"conv3d", Nonlinearity::Conv3d},
      {"sigmoid", Nonlinearity::Sigmoid}, {"tanh", Nonlinearity::Tanh},
      {"relu", Nonlinearity::ReLU},       {"leaky_relu", Nonlinearity::LeakyReLU},
      {"selu", Nonlinearity::SELU}};
  return names.at(name);
}

DType dtype_named(const std::string& name) {
  if (name == "float32") return kFloat32;
  if (name == "float64") return kFloat64;
  if (name == "int64") return kInt64;
  ADD_FAILURE() << "unknown dtype " << name;
  return kFloat32;
}

std::vector<double> values(const Tensor& t) { return t.to(kFloat64).to_vector<double>(); }

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double std_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// ---- golden values from PyTorch ----

TEST(InitGolden, CalculateGain) {
  for (const Json& c : fixture().at("gains")) {
    const std::optional<double> param =
        c.at("param").is_null() ? std::nullopt : std::optional<double>(c.at("param").get<double>());
    EXPECT_DOUBLE_EQ(init::calculate_gain(nonlinearity_named(c.at("nonlinearity")), param),
                     c.at("gain").get<double>())
        << c.dump();
  }
}

TEST(InitGolden, FanInAndFanOut) {
  for (const Json& c : fixture().at("fans")) {
    const init::Fans fans = init::calculate_fan_in_and_fan_out(empty(shape_of(c.at("shape"))));
    EXPECT_EQ(fans.fan_in, c.at("fan_in").get<int64_t>()) << c.dump();
    EXPECT_EQ(fans.fan_out, c.at("fan_out").get<int64_t>()) << c.dump();
  }
}

// Runs the initialiser a fixture case names, on `t`, drawing from `gen`.
void run_case(const Json& c, const Tensor& t, Generator* gen) {
  const std::string name = c.at("init");
  const Json& args = c.at("args");
  const double gain = args.value("gain", 1.0);
  const double a = args.value("a", name == "trunc_normal" ? -2.0 : 0.0);
  const FanMode mode =
      args.value("mode", std::string("fan_in")) == "fan_in" ? FanMode::FanIn : FanMode::FanOut;
  const Nonlinearity nl = nonlinearity_named(args.value("nonlinearity", std::string("leaky_relu")));
  if (name == "xavier_uniform") {
    init::xavier_uniform_(t, gain, gen);
  } else if (name == "xavier_normal") {
    init::xavier_normal_(t, gain, gen);
  } else if (name == "kaiming_uniform") {
    init::kaiming_uniform_(t, a, mode, nl, gen);
  } else if (name == "kaiming_normal") {
    init::kaiming_normal_(t, a, mode, nl, gen);
  } else if (name == "trunc_normal") {
    init::trunc_normal_(t, args.value("mean", 0.0), args.value("std", 1.0), a, args.value("b", 2.0), gen);
  } else {
    ADD_FAILURE() << "unknown initialiser " << name;
  }
}

TEST(InitGolden, ScalesMatchPyTorch) {
  int checked = 0;
  for (const Json& c : fixture().at("scales")) {
    const std::string what = c.dump();
    Tensor t = empty(shape_of(c.at("shape")), {.dtype = kFloat64});
    Generator gen(1234), replay(1234);
    run_case(c, t, &gen);
    const auto got = values(t);
    if (c.at("init") == "trunc_normal") {
      // x = mean + std * sqrt(2) * erfinv(u), u uniform on torch's [low, high): invert with erf.
      const Json& args = c.at("args");
      const double mean = args.value("mean", 0.0), std = args.value("std", 1.0);
      const double low = c.at("low"), high = c.at("high");
      for (double x : got) {
        const double u = low + (high - low) * replay.uniform();
        ASSERT_NEAR(std::erf((x - mean) / (std * std::numbers::sqrt2)), u, 1e-12) << what;
      }
    } else if (c.at("kind") == "uniform") {
      const double low = c.at("low"), high = c.at("high");
      for (double x : got) ASSERT_NEAR(x, low + (high - low) * replay.uniform(), 1e-14 * high) << what;
    } else {
      const double mean = c.at("mean"), std = c.at("std");
      for (double x : got) ASSERT_NEAR(x, mean + std * replay.normal(), 1e-13 * std) << what;
    }
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

TEST(InitGolden, EyeAndConstant) {
  for (const Json& c : fixture().at("fills")) {
    const Json& want = c.at("result");
    const DType dtype = dtype_named(want.at("dtype"));
    Tensor t = full(shape_of(want.at("shape")), 7, {.dtype = dtype});
    if (c.at("init") == "eye")
      init::eye_(t);
    else
      init::constant_(t, c.at("value").get<double>());
    EXPECT_EQ(t.dtype(), dtype);
    EXPECT_EQ(values(t), want.at("values").get<std::vector<double>>()) << c.dump();
  }
}

TEST(Init, ZerosAndOnes) {
  Tensor t = full({2, 3}, 5.0, {.dtype = kFloat64});
  init::zeros_(t);
  EXPECT_EQ(values(t), std::vector<double>(6, 0.0));
  init::ones_(t);
  EXPECT_EQ(values(t), std::vector<double>(6, 1.0));
  Tensor i = zeros({3}, {.dtype = kInt64});
  init::ones_(i);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 1}));
}

// ---- statistics on a large tensor ----

TEST(InitStatistics, KaimingUniformStaysInsideItsBound) {
  manual_seed(0);
  for (DType dtype : {kFloat32, kFloat64}) {
    Tensor w = empty({256, 512}, {.dtype = dtype});
    init::kaiming_uniform_(w);  // a = 0, fan_in = 512, leaky_relu: gain sqrt(2)
    const double bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(512.0);
    const double limit = dtype == kFloat32 ? static_cast<double>(static_cast<float>(bound)) : bound;
    const auto v = values(w);
    double largest = 0;
    for (double x : v) largest = std::max(largest, std::abs(x));
    EXPECT_LE(largest, limit);
    EXPECT_GT(largest, 0.999 * bound);  // the whole range is used
    EXPECT_NEAR(std_of(v), bound / std::sqrt(3.0), 0.03 * bound / std::sqrt(3.0));
    EXPECT_NEAR(mean_of(v), 0.0, 0.01 * bound);
  }
}

TEST(InitStatistics, UniformAndXavierUniform) {
  Generator gen(3);
  Tensor w = empty({256, 512}, {.dtype = kFloat64});
  init::uniform_(w, -1.0, 3.0, &gen);
  auto v = values(w);
  for (double x : v) ASSERT_TRUE(x >= -1.0 && x < 3.0) << x;
  EXPECT_NEAR(mean_of(v), 1.0, 0.02);
  EXPECT_NEAR(std_of(v), 4.0 / std::sqrt(12.0), 0.01);

  init::xavier_uniform_(w, 2.0, &gen);
  const double bound = 2.0 * std::sqrt(6.0 / (256 + 512));
  v = values(w);
  for (double x : v) ASSERT_LE(std::abs(x), bound);
  EXPECT_NEAR(std_of(v), bound / std::sqrt(3.0), 0.02 * bound / std::sqrt(3.0));
}

TEST(InitStatistics, NormalKaimingNormalXavierNormal) {
  Generator gen(4);
  const double n = 256.0 * 512.0;
  struct Case {
    std::function<void(const Tensor&)> fill;
    double mean, std;
  };
  const std::vector<Case> cases = {
      {[&](const Tensor& t) { init::normal_(t, 3.0, 0.5, &gen); }, 3.0, 0.5},
      {[&](const Tensor& t) { init::kaiming_normal_(t, 0.0, FanMode::FanOut, Nonlinearity::ReLU, &gen); },
       0.0, std::sqrt(2.0) / std::sqrt(256.0)},
      {[&](const Tensor& t) {
         init::kaiming_normal_(t, std::sqrt(5.0), FanMode::FanIn, Nonlinearity::LeakyReLU, &gen);
       },
       0.0, std::sqrt(2.0 / 6.0) / std::sqrt(512.0)},
      {[&](const Tensor& t) { init::xavier_normal_(t, 2.0, &gen); }, 0.0, 2.0 * std::sqrt(2.0 / 768.0)},
  };
  for (size_t i = 0; i < cases.size(); ++i)
    for (DType dtype : {kFloat32, kFloat64}) {
      Tensor w = empty({256, 512}, {.dtype = dtype});
      cases[i].fill(w);
      const auto v = values(w);
      EXPECT_NEAR(mean_of(v), cases[i].mean, 5 * cases[i].std / std::sqrt(n)) << "case " << i;
      EXPECT_NEAR(std_of(v), cases[i].std, 0.02 * cases[i].std) << "case " << i;
    }
}

// Mean and std of Normal(mean, std) truncated to [a, b].
std::pair<double, double> truncated_moments(double mean, double std, double a, double b) {
  auto pdf = [](double x) {
    return std::isinf(x) ? 0.0 : std::exp(-0.5 * x * x) / std::sqrt(2 * std::numbers::pi);
  };
  auto cdf = [](double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); };
  const double alpha = (a - mean) / std, beta = (b - mean) / std;
  const double z = cdf(beta) - cdf(alpha);
  const double shift = (pdf(alpha) - pdf(beta)) / z;
  const double ta = std::isinf(alpha) ? 0.0 : alpha * pdf(alpha),
               tb = std::isinf(beta) ? 0.0 : beta * pdf(beta);
  const double var = std * std * (1 + (ta - tb) / z - shift * shift);
  return {mean + std * shift, std::sqrt(var)};
}

TEST(InitStatistics, TruncNormalMatchesTheTruncatedDistribution) {
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    double mean, std, a, b;
  };
  const std::vector<Case> cases = {{0, 1, -2, 2},       {0.5, 2, -1, 3},        {0, 1, 0, inf},
                                   {1, 0.5, -inf, 0.5}, {0, 0.02, -0.04, 0.04}, {0, 1, 1.5, 4}};
  Generator gen(5);
  for (const Case& c : cases)
    for (DType dtype : {kFloat32, kFloat64}) {
      Tensor w = empty({256, 512}, {.dtype = dtype});
      init::trunc_normal_(w, c.mean, c.std, c.a, c.b, &gen);
      const auto v = values(w);
      for (double x : v) ASSERT_TRUE(x >= c.a && x <= c.b) << x << " outside [" << c.a << ", " << c.b << "]";
      const auto [mean, std] = truncated_moments(c.mean, c.std, c.a, c.b);
      EXPECT_NEAR(mean_of(v), mean, 5 * std / std::sqrt(256.0 * 512.0)) << c.mean << " " << c.a << " " << c.b;
      EXPECT_NEAR(std_of(v), std, 0.02 * std) << c.mean << " " << c.a << " " << c.b;
    }
  Tensor point = empty({10}, {.dtype = kFloat64});
  init::trunc_normal_(point, 0.0, 1.0, 0.25, 0.25, &gen);
  EXPECT_EQ(values(point), std::vector<double>(10, 0.25));
}

// ---- orthogonal_ ----

// rows x cols view of the values (dims after the first flattened).
struct Matrix {
  int64_t rows, cols;
  std::vector<double> v;
  double operator()(int64_t i, int64_t j) const { return v[i * cols + j]; }
};

Matrix matrix_of(const Tensor& t) { return {t.size(0), t.numel() / t.size(0), values(t)}; }

// Largest |(M M^T)_ij - gain^2 I_ij| for a wide M, or of M^T M for a tall one.
double orthogonality_error(const Matrix& m, double gain) {
  const bool wide = m.rows < m.cols;
  const int64_t k = wide ? m.rows : m.cols, inner = wide ? m.cols : m.rows;
  double worst = 0;
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double dot = 0;
      for (int64_t l = 0; l < inner; ++l) dot += wide ? m(i, l) * m(j, l) : m(l, i) * m(l, j);
      worst = std::max(worst, std::abs(dot - (i == j ? gain * gain : 0.0)));
    }
  return worst;
}

TEST(InitOrthogonal, OrthonormalRowsOrColumns) {
  Generator gen(6);
  for (const Shape& shape : {Shape{5, 3}, Shape{3, 5}, Shape{4, 2, 3}, Shape{6, 6}, Shape{1, 5}, Shape{5, 1},
                             Shape{64, 128}, Shape{200, 50}})
    for (double gain : {1.0, 2.0}) {
      Tensor w = empty(shape, {.dtype = kFloat64});
      init::orthogonal_(w, gain, &gen);
      EXPECT_LT(orthogonality_error(matrix_of(w), gain), 1e-10) << shape << " gain " << gain;
      Tensor f = empty(shape, {.dtype = kFloat32});
      init::orthogonal_(f, gain, &gen);
      EXPECT_LT(orthogonality_error(matrix_of(f), gain), 1e-5) << shape << " float32, gain " << gain;
    }
}

// orthogonal_ is the Q of the QR of a normal sample, signed so that R has a positive diagonal
// (PyTorch's sign correction): Q^T A (or Q A^T for a wide sample) is upper triangular with a
// positive diagonal.
TEST(InitOrthogonal, IsTheQOfTheSampleWithPositiveR) {
  for (const Shape& shape : {Shape{5, 3}, Shape{3, 5}, Shape{4, 2, 3}, Shape{4, 4}}) {
    Generator gen(7), replay(7);
    Tensor w = empty(shape, {.dtype = kFloat64});
    init::orthogonal_(w, 1.0, &gen);
    const Matrix q = matrix_of(w);
    Matrix a{q.rows, q.cols, std::vector<double>(q.v.size())};
    for (double& x : a.v) x = replay.normal();
    const bool wide = q.rows < q.cols;
    const int64_t k = wide ? q.rows : q.cols, inner = wide ? q.cols : q.rows;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        double r = 0;
        for (int64_t l = 0; l < inner; ++l) r += wide ? q(i, l) * a(j, l) : q(l, i) * a(l, j);
        if (i > j) {
          EXPECT_NEAR(r, 0.0, 1e-10) << shape << " R(" << i << ", " << j << ")";
        } else if (i == j) {
          EXPECT_GT(r, 0.0) << shape << " R(" << i << ", " << i << ")";
        }
      }
  }
}

TEST(InitOrthogonal, EmptyIsANoOp) {
  Tensor w = empty({0, 3});
  EXPECT_EQ(init::orthogonal_(w).impl_ptr(), w.impl_ptr());
}

// ---- determinism and generators ----

using Init = std::function<void(const Tensor&, Generator*)>;
const std::vector<std::pair<std::string, Init>>& random_inits() {
  static const std::vector<std::pair<std::string, Init>> inits = {
      {"uniform_", [](const Tensor& t, Generator* g) { init::uniform_(t, -2, 1, g); }},
      {"normal_", [](const Tensor& t, Generator* g) { init::normal_(t, 1, 2, g); }},
      {"trunc_normal_", [](const Tensor& t, Generator* g) { init::trunc_normal_(t, 0, 1, -1, 2, g); }},
      {"xavier_uniform_", [](const Tensor& t, Generator* g) { init::xavier_uniform_(t, 1.5, g); }},
      {"xavier_normal_", [](const Tensor& t, Generator* g) { init::xavier_normal_(t, 1.5, g); }},
      {"kaiming_uniform_",
       [](const Tensor& t, Generator* g) {
         init::kaiming_uniform_(t, std::sqrt(5.0), FanMode::FanIn, Nonlinearity::LeakyReLU, g);
       }},
      {"kaiming_normal_",
       [](const Tensor& t, Generator* g) {
         init::kaiming_normal_(t, 0, FanMode::FanOut, Nonlinearity::ReLU, g);
       }},
      {"orthogonal_", [](const Tensor& t, Generator* g) { init::orthogonal_(t, 2.0, g); }},
  };
  return inits;
}

TEST(InitDeterminism, SameSeedSameValues) {
  for (const auto& [name, fill] : random_inits()) {
    Tensor a = empty({4, 6}, {.dtype = kFloat64}), b = empty({4, 6}, {.dtype = kFloat64});
    manual_seed(11);
    fill(a, nullptr);
    manual_seed(11);
    fill(b, nullptr);
    EXPECT_EQ(values(a), values(b)) << name;
    fill(b, nullptr);  // the stream moved on
    EXPECT_NE(values(a), values(b)) << name;
    // float32 gets the same draws, rounded.
    Tensor f = empty({4, 6}, {.dtype = kFloat32});
    manual_seed(11);
    fill(f, nullptr);
    strata::test::expect_values(f, values(a), 0.0, 1e-6);
  }
}

TEST(InitDeterminism, UsesTheGivenGeneratorAndLeavesTheDefaultAlone) {
  for (const auto& [name, fill] : random_inits()) {
    Tensor with_gen = empty({4, 6}, {.dtype = kFloat64}), again = empty({4, 6}, {.dtype = kFloat64});
    Tensor with_default = empty({4, 6}, {.dtype = kFloat64});
    manual_seed(1);
    Generator gen(2);
    fill(with_gen, &gen);
    const double next_default = default_generator().uniform();
    EXPECT_EQ(next_default, Generator(1).uniform()) << name << " drew from the default generator";
    Generator gen_again(2);
    fill(again, &gen_again);
    EXPECT_EQ(values(with_gen), values(again)) << name;
    manual_seed(2);  // the default stream, same seed: same values as the generator
    fill(with_default, nullptr);
    EXPECT_EQ(values(with_default), values(with_gen)) << name;
    manual_seed(3);
    fill(with_default, nullptr);
    EXPECT_NE(values(with_default), values(with_gen)) << name;
  }
}

// ---- in place, outside autograd ----

TEST(InitInPlace, KeepsTheTensorAndItsLeafStatus) {
  std::vector<std::pair<std::string, Init>> all = random_inits();
  all.push_back({"constant_", [](const Tensor& t, Generator*) { init::constant_(t, 0.5); }});
  all.push_back({"zeros_", [](const Tensor& t, Generator*) { init::zeros_(t); }});
  all.push_back({"ones_", [](const Tensor& t, Generator*) { init::ones_(t); }});
  all.push_back({"eye_", [](const Tensor& t, Generator*) { init::eye_(t); }});
  for (const auto& [name, fill] : all)
    for (DType dtype : {kFloat32, kFloat64}) {
      Tensor w = zeros({3, 5}, {.dtype = dtype, .requires_grad = true});
      const auto* impl = w.impl_ptr().get();
      void* data = w.data_ptr();
      fill(w, nullptr);
      EXPECT_EQ(w.impl_ptr().get(), impl) << name;
      EXPECT_EQ(w.data_ptr(), data) << name;
      EXPECT_TRUE(w.is_leaf()) << name;
      EXPECT_TRUE(w.requires_grad()) << name;
      EXPECT_EQ(w.grad_fn(), nullptr) << name;
      EXPECT_TRUE(is_grad_enabled()) << name;
      if (name != "zeros_") {
        EXPECT_NE(values(w), std::vector<double>(15, 0.0)) << name;
      }
      // The leaf still trains: its gradient accumulates as usual.
      (w * 2.0).sum().backward();
      strata::test::expect_values(w.grad(), std::vector<double>(15, 2.0));
    }
}

TEST(InitInPlace, ReturnsTheSameTensor) {
  Tensor w = empty({3, 4});
  EXPECT_EQ(init::kaiming_uniform_(w).impl_ptr(), w.impl_ptr());
  EXPECT_EQ(init::zeros_(w).impl_ptr(), w.impl_ptr());
  EXPECT_EQ(init::eye_(w).impl_ptr(), w.impl_ptr());
}

TEST(InitInPlace, NonContiguousViewsAreWrittenThrough) {
  std::vector<std::pair<std::string, Init>> all = random_inits();
  all.push_back({"eye_", [](const Tensor& t, Generator*) { init::eye_(t); }});
  all.push_back({"constant_", [](const Tensor& t, Generator*) { init::constant_(t, -0.25); }});
  for (const auto& [name, fill] : all) {
    // A transposed view: same logical values as a contiguous tensor from the same seed.
    Tensor base = zeros({5, 4}, {.dtype = kFloat64});
    Tensor view = base.t();
    ASSERT_FALSE(view.is_contiguous());
    Tensor plain = zeros({4, 5}, {.dtype = kFloat64});
    Generator g1(9), g2(9);
    fill(view, &g1);
    fill(plain, &g2);
    EXPECT_EQ(values(view), values(plain)) << name;
    EXPECT_EQ(values(base), values(plain.t())) << name;

    // A strided slice: the columns outside it stay zero.
    Tensor wide = zeros({4, 10}, {.dtype = kFloat32});
    Tensor every_other = wide.slice(1, 0, 10, 2);
    Generator g3(9);
    fill(every_other, &g3);
    strata::test::expect_values(every_other, values(plain), 0.0, 1e-6);
    EXPECT_EQ(values(wide.slice(1, 1, 10, 2)), std::vector<double>(20, 0.0)) << name;
  }
}

TEST(InitInPlace, ZeroElementTensors) {
  for (const auto& [name, fill] : random_inits()) {
    Tensor w = empty({0, 3}, {.dtype = kFloat64});
    fill(w, nullptr);
    EXPECT_EQ(w.numel(), 0) << name;
  }
  // PyTorch's kaiming returns (with a warning) before looking at the dims of an empty tensor.
  Tensor flat = empty({0});
  EXPECT_EQ(init::kaiming_uniform_(flat).impl_ptr(), flat.impl_ptr());
  EXPECT_EQ(init::kaiming_normal_(flat).impl_ptr(), flat.impl_ptr());
  Tensor scalar = tensor(0.0);
  init::uniform_(scalar, 2.0, 3.0);
  EXPECT_GE(scalar.item<double>(), 2.0);
}

// ---- errors ----

TEST(InitErrors, IntegerTensorsForRandomInitialisers) {
  expect_error([] { init::normal_(zeros({3}, {.dtype = kInt64})); },
               "[init.normal_] needs a floating tensor, got [3] int64 cpu");
  expect_error(
      [] {
        init::uniform_(zeros({2, 2}, {.dtype = kBool}));
      },
      "[init.uniform_] needs a floating tensor, got [2, 2] bool cpu");
  expect_error(
      [] {
        init::kaiming_uniform_(zeros({2, 2}, {.dtype = kInt32}));
      },
      "[init.kaiming_uniform_] needs a floating tensor");
  expect_error([] { init::xavier_normal_(zeros({2, 2}, {.dtype = kInt64})); }, "[init.xavier_normal_]");
  expect_error([] { init::trunc_normal_(zeros({2}, {.dtype = kInt64})); }, "[init.trunc_normal_]");
  expect_error([] { init::orthogonal_(zeros({2, 2}, {.dtype = kUInt8})); }, "[init.orthogonal_]");
}

TEST(InitErrors, TooFewDims) {
  expect_error([] { init::calculate_fan_in_and_fan_out(empty({3})); },
               "[init.calculate_fan_in_and_fan_out] fan in and fan out need a tensor with at least 2 dims");
  expect_error([] { init::calculate_fan_in_and_fan_out(empty({3})); }, "got [3] float32 cpu");
  expect_error([] { init::calculate_fan_in_and_fan_out(tensor(1.0)); }, "got [] float32 cpu");
  Tensor named = empty({5});
  named.set_name("fc.weight");
  expect_error([&] { init::xavier_uniform_(named); }, "[init.xavier_uniform_] fan in and fan out");
  expect_error([&] { init::xavier_uniform_(named); }, "fc.weight [5] float32 cpu");
  expect_error([] { init::kaiming_normal_(empty({5})); }, "[init.kaiming_normal_] fan in and fan out need");
  expect_error([] { init::orthogonal_(empty({4})); },
               "[init.orthogonal_] needs a tensor with at least 2 dims");
  expect_error(
      [] {
        init::eye_(empty({2, 2, 2}));
      },
      "[init.eye_] needs a 2-d tensor, got [2, 2, 2] float32 cpu");
  expect_error([] { init::eye_(empty({3})); }, "[init.eye_] needs a 2-d tensor");
}

TEST(InitErrors, BadParameters) {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor t = empty({3});
  expect_error([&] { init::uniform_(t, 1.0, 0.0); },
               "[init.uniform_] needs finite bounds with a <= b, got a = 1, b = 0");
  expect_error([&] { init::uniform_(t, -inf, 0.0); }, "[init.uniform_] needs finite bounds");
  expect_error([&] { init::normal_(t, 0.0, -1.0); },
               "[init.normal_] needs a finite mean and a finite std >= 0");
  expect_error([&] { init::normal_(t, strata::test::kNaN, 1.0); }, "[init.normal_]");
  expect_error([&] { init::trunc_normal_(t, 0.0, 1.0, 1.0, 0.0); },
               "[init.trunc_normal_] needs bounds a <= b");
  expect_error([&] { init::trunc_normal_(t, 0.0, 0.0); },
               "[init.trunc_normal_] needs a finite mean and a finite std > 0");
  expect_error([] { init::calculate_gain(Nonlinearity::LeakyReLU, strata::test::kNaN); },
               "[init.calculate_gain] LeakyReLU's negative slope must be a finite number");
  expect_error([&] { init::orthogonal_(empty({2, 2}), inf); }, "[init.orthogonal_] gain must be finite");
  expect_error(
      [&] {
        init::xavier_normal_(empty({2, 2}), strata::test::kNaN);
      },
      "[init.xavier_normal_] gain must be finite, got nan");
  expect_error([] { init::zeros_(Tensor()); }, "[init.zeros_] the tensor is undefined");
  expect_error([] { init::normal_(Tensor()); }, "[init.normal_] the tensor is undefined");
  // A failed call leaves grad mode as it was.
  EXPECT_TRUE(is_grad_enabled());
  // Other nonlinearities ignore the parameter, as in PyTorch.
  EXPECT_DOUBLE_EQ(init::calculate_gain(Nonlinearity::ReLU, strata::test::kNaN), std::sqrt(2.0));
}

}  // namespace
