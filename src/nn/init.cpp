// Parameter initialisers with torch.nn.init's formulas (PyTorch 1.13).
//
// Every random initialiser draws its numbers in float64, one per element in row-major order of the
// tensor's shape, then writes them with copy_: so a float32 and a float64 tensor, or a contiguous
// tensor and a transposed view, get the same values from the same seed, and the destination keeps
// its TensorImpl. Writes happen under NoGradGuard: parameters are leaves that require grad, and an
// initialiser is not part of any computation.
#include "strata/nn/init.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <string_view>
#include <vector>

#include "strata/autograd.h"
#include "strata/factories.h"

namespace strata::nn::init {
namespace {

constexpr double kSqrt3 = std::numbers::sqrt3;

void check_defined(std::string_view op, const Tensor& tensor) {
  if (!tensor.defined()) fail("[init.{}] the tensor is undefined; create it (e.g. strata::empty) first", op);
}

void check_floating(std::string_view op, const Tensor& tensor) {
  check_defined(op, tensor);
  if (!tensor.is_floating_point())
    fail("[init.{}] needs a floating tensor, got {}; initialise a float32 or float64 tensor and convert it",
         op, tensor.describe());
}

void check_gain(std::string_view op, double gain) {
  if (!std::isfinite(gain)) fail("[init.{}] gain must be finite, got {}", op, gain);
}

Generator& pick(Generator* generator) { return generator ? *generator : default_generator(); }

// Writes `values` (float64, the tensor's shape) into the tensor in place, outside autograd.
Tensor write(const Tensor& tensor, const std::vector<double>& values) {
  NoGradGuard no_grad;
  Tensor dst = tensor;
  dst.copy_(from_vector(values, tensor.shape(), {.dtype = kFloat64, .device = tensor.device()}));
  return tensor;
}

// One draw per element, in row-major order.
template <typename Draw>
Tensor fill_with(const Tensor& tensor, Draw draw) {
  std::vector<double> values(static_cast<size_t>(tensor.numel()));
  for (double& v : values) v = draw();
  return write(tensor, values);
}

Tensor fill_uniform(const Tensor& tensor, double low, double high, Generator* generator) {
  Generator& gen = pick(generator);
  return fill_with(tensor, [&] { return low + (high - low) * gen.uniform(); });
}

Tensor fill_normal(const Tensor& tensor, double mean, double std, Generator* generator) {
  Generator& gen = pick(generator);
  return fill_with(tensor, [&] { return mean + std * gen.normal(); });
}

// fan_in = size(1) * receptive field, fan_out = size(0) * receptive field.
Fans fans_of(std::string_view op, const Tensor& tensor) {
  check_defined(op, tensor);
  if (tensor.dim() < 2)
    fail("[init.{}] fan in and fan out need a tensor with at least 2 dims ([out, in, ...]), got {}", op,
         tensor.describe());
  auto mul = [&](int64_t a, int64_t b) {
    int64_t out = 0;
    // Only an empty tensor can have dims whose product overflows.
    if (__builtin_mul_overflow(a, b, &out))
      fail("[init.{}] the fans of {} overflow int64", op, tensor.describe());
    return out;
  };
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field = mul(receptive_field, tensor.size(d));
  return {mul(tensor.size(1), receptive_field), mul(tensor.size(0), receptive_field)};
}

// erf(x) = y for y in [-1, 1]: Winitzki's closed-form approximation (relative error ~2e-3), then
// Halley steps. Near +-1 the steps use erfc on the distance to +-1, which keeps the precision that
// erf(x) - y would lose to cancellation.
double erfinv(double y) {
  if (std::isnan(y)) return y;
  if (y <= -1.0) return -std::numeric_limits<double>::infinity();
  if (y >= 1.0) return std::numeric_limits<double>::infinity();
  if (y == 0.0) return 0.0;
  const double ay = std::abs(y);
  const double rest = 1.0 - ay;  // exact for ay >= 0.5
  const double log_term = std::log(rest * (1.0 + ay));
  constexpr double a = 0.147;
  const double t = 2.0 / (std::numbers::pi * a) + 0.5 * log_term;
  double x = std::sqrt(std::sqrt(t * t - log_term / a) - t);
  for (int i = 0; i < 3; ++i) {
    const double f = ay < 0.5 ? std::erf(x) - ay : rest - std::erfc(x);  // erf(x) - |y|
    const double slope = std::numbers::inv_sqrtpi * 2.0 * std::exp(-x * x);
    if (slope == 0.0) break;
    const double step = f / slope;
    x -= step / (1.0 + x * step);
  }
  return std::copysign(x, y);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Householder QR of the m x n row-major matrix `a` (m >= n), returning the m x n factor Q with the
// columns signed so that R's diagonal is positive (PyTorch's `q *= r.diag().sign()`), which makes the
// result independent of the QR algorithm. A zero diagonal (probability zero) keeps its column.
std::vector<double> orthonormal_columns(std::vector<double> a, int64_t m, int64_t n) {
  auto at = [&](std::vector<double>& mat, int64_t i, int64_t j) -> double& { return mat[i * n + j]; };
  std::vector<double> reflectors(static_cast<size_t>(m * n), 0.0);  // column k holds v_k on rows k..m-1
  std::vector<double> r_diag(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    double norm2 = 0.0;
    for (int64_t i = k; i < m; ++i) norm2 += at(a, i, k) * at(a, i, k);
    const double norm = std::sqrt(norm2);
    // alpha has the opposite sign of a_kk so that v_k = x - alpha e_1 does not cancel.
    const double alpha = at(a, k, k) > 0 ? -norm : norm;
    double v_norm2 = 0.0;
    for (int64_t i = k; i < m; ++i) {
      const double v = at(a, i, k) - (i == k ? alpha : 0.0);
      at(reflectors, i, k) = v;
      v_norm2 += v * v;
    }
    r_diag[k] = alpha;
    if (v_norm2 == 0.0) continue;  // the column is already zero below the diagonal: H_k = I
    const double v_norm = std::sqrt(v_norm2);
    for (int64_t i = k; i < m; ++i) at(reflectors, i, k) /= v_norm;
    for (int64_t j = k + 1; j < n; ++j) {
      double dot = 0.0;
      for (int64_t i = k; i < m; ++i) dot += at(reflectors, i, k) * at(a, i, j);
      for (int64_t i = k; i < m; ++i) at(a, i, j) -= 2.0 * dot * at(reflectors, i, k);
    }
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity, last reflector first.
  std::vector<double> q(static_cast<size_t>(m * n), 0.0);
  for (int64_t j = 0; j < n; ++j) at(q, j, j) = 1.0;
  for (int64_t k = n - 1; k >= 0; --k) {
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0.0;
      for (int64_t i = k; i < m; ++i) dot += at(reflectors, i, k) * at(q, i, j);
      for (int64_t i = k; i < m; ++i) at(q, i, j) -= 2.0 * dot * at(reflectors, i, k);
    }
  }
  for (int64_t j = 0; j < n; ++j)
    if (r_diag[j] < 0)
      for (int64_t i = 0; i < m; ++i) at(q, i, j) = -at(q, i, j);
  return q;
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv1d:
    case Nonlinearity::Conv2d:
    case Nonlinearity::Conv3d:
    case Nonlinearity::Sigmoid:
      return 1.0;
    case Nonlinearity::Tanh:
      return 5.0 / 3.0;
    case Nonlinearity::ReLU:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU: {
      const double slope = param.value_or(0.01);
      if (!std::isfinite(slope))
        fail("[init.calculate_gain] LeakyReLU's negative slope must be a finite number, got {}", slope);
      return std::sqrt(2.0 / (1.0 + slope * slope));
    }
    case Nonlinearity::SELU:
      return 3.0 / 4.0;
  }
  fail("[init.calculate_gain] unknown nonlinearity {}", static_cast<int>(nonlinearity));
}

Fans calculate_fan_in_and_fan_out(const Tensor& tensor) {
  return fans_of("calculate_fan_in_and_fan_out", tensor);
}

Tensor uniform_(const Tensor& tensor, double a, double b, Generator* generator) {
  check_floating("uniform_", tensor);
  if (!std::isfinite(a) || !std::isfinite(b) || a > b)
    fail("[init.uniform_] needs finite bounds with a <= b, got a = {}, b = {} for {}", a, b,
         tensor.describe());
  return fill_uniform(tensor, a, b, generator);
}

Tensor normal_(const Tensor& tensor, double mean, double std, Generator* generator) {
  check_floating("normal_", tensor);
  if (!std::isfinite(mean) || !std::isfinite(std) || std < 0)
    fail("[init.normal_] needs a finite mean and a finite std >= 0, got mean = {}, std = {} for {}", mean,
         std, tensor.describe());
  return fill_normal(tensor, mean, std, generator);
}

Tensor trunc_normal_(const Tensor& tensor, double mean, double std, double a, double b,
                     Generator* generator) {
  check_floating("trunc_normal_", tensor);
  if (!std::isfinite(mean) || !std::isfinite(std) || !(std > 0))
    fail("[init.trunc_normal_] needs a finite mean and a finite std > 0, got mean = {}, std = {} for {}",
         mean, std, tensor.describe());
  if (std::isnan(a) || std::isnan(b) || a > b)
    fail("[init.trunc_normal_] needs bounds a <= b (either may be infinite), got a = {}, b = {} for {}", a, b,
         tensor.describe());
  // PyTorch's inverse-CDF method: uniform on [2 Phi(alpha) - 1, 2 Phi(beta) - 1], then erfinv.
  const double low = 2.0 * normal_cdf((a - mean) / std) - 1.0;
  const double high = 2.0 * normal_cdf((b - mean) / std) - 1.0;
  Generator& gen = pick(generator);
  return fill_with(tensor, [&] {
    const double u = low + (high - low) * gen.uniform();
    const double x = mean + std * std::sqrt(2.0) * erfinv(u);
    return std::min(std::max(x, a), b);  // rounding must not leave [a, b]
  });
}

Tensor constant_(const Tensor& tensor, double value) {
  check_defined("constant_", tensor);
  NoGradGuard no_grad;
  Tensor dst = tensor;
  dst.fill_(value);
  return tensor;
}

Tensor zeros_(const Tensor& tensor) {
  check_defined("zeros_", tensor);
  return constant_(tensor, 0.0);
}

Tensor ones_(const Tensor& tensor) {
  check_defined("ones_", tensor);
  return constant_(tensor, 1.0);
}

Tensor eye_(const Tensor& tensor) {
  check_defined("eye_", tensor);
  if (tensor.dim() != 2) fail("[init.eye_] needs a 2-d tensor, got {}", tensor.describe());
  const int64_t rows = tensor.size(0), cols = tensor.size(1);
  std::vector<double> values(static_cast<size_t>(tensor.numel()), 0.0);
  for (int64_t i = 0; i < std::min(rows, cols); ++i) values[i * cols + i] = 1.0;
  return write(tensor, values);
}

Tensor xavier_uniform_(const Tensor& tensor, double gain, Generator* generator) {
  check_floating("xavier_uniform_", tensor);
  check_gain("xavier_uniform_", gain);
  const Fans fans = fans_of("xavier_uniform_", tensor);
  if (tensor.numel() == 0) return tensor;  // PyTorch divides by a zero fan sum here
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fans.fan_in + fans.fan_out));
  const double bound = kSqrt3 * std;
  return uniform_(tensor, -bound, bound, generator);
}

Tensor xavier_normal_(const Tensor& tensor, double gain, Generator* generator) {
  check_floating("xavier_normal_", tensor);
  check_gain("xavier_normal_", gain);
  const Fans fans = fans_of("xavier_normal_", tensor);
  if (tensor.numel() == 0) return tensor;
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fans.fan_in + fans.fan_out));
  return normal_(tensor, 0.0, std, generator);
}

namespace {
// gain / sqrt(fan), or nothing for a zero-element tensor (which PyTorch leaves alone with a warning,
// before looking at its dims).
std::optional<double> kaiming_std(std::string_view op, const Tensor& tensor, double a, FanMode mode,
                                  Nonlinearity nonlinearity) {
  check_floating(op, tensor);
  if (tensor.numel() == 0) return std::nullopt;
  const Fans fans = fans_of(op, tensor);
  const int64_t fan = mode == FanMode::FanIn ? fans.fan_in : fans.fan_out;
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}
}  // namespace

Tensor kaiming_uniform_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                        Generator* generator) {
  const auto std = kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity);
  if (!std) return tensor;
  const double bound = kSqrt3 * *std;
  return uniform_(tensor, -bound, bound, generator);
}

Tensor kaiming_normal_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                       Generator* generator) {
  const auto std = kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity);
  if (!std) return tensor;
  return normal_(tensor, 0.0, *std, generator);
}

Tensor orthogonal_(const Tensor& tensor, double gain, Generator* generator) {
  check_floating("orthogonal_", tensor);
  if (tensor.dim() < 2)
    fail(
        "[init.orthogonal_] needs a tensor with at least 2 dims (dims after the first are flattened), got {}",
        tensor.describe());
  check_gain("orthogonal_", gain);
  if (tensor.numel() == 0) return tensor;
  const int64_t rows = tensor.size(0), cols = tensor.numel() / rows;
  Generator& gen = pick(generator);
  std::vector<double> sample(static_cast<size_t>(rows * cols));
  for (double& v : sample) v = gen.normal();
  // A wide matrix is factored through its transpose, so that Q has orthonormal columns either way.
  const bool wide = rows < cols;
  const int64_t m = wide ? cols : rows, n = wide ? rows : cols;
  std::vector<double> a(sample.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) (wide ? a[j * rows + i] : a[i * cols + j]) = sample[i * cols + j];
  const std::vector<double> q = orthonormal_columns(std::move(a), m, n);
  std::vector<double> values(sample.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values[i * cols + j] = gain * (wide ? q[j * rows + i] : q[i * cols + j]);
  return write(tensor, values);
}

}  // namespace strata::nn::init
