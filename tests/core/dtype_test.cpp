// Dtypes: PyTorch's promotion table and result_type rules, and conversions between dtypes
// (float16/bfloat16 rounding included), each checked against PyTorch 1.13's answer.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "ops/common.h"
#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;

namespace {

constexpr DType kAll[] = {kBool, kUInt8, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64};

}  // namespace

TEST(DType, Basics) {
  EXPECT_EQ(element_size(kBool), 1u);
  EXPECT_EQ(element_size(kUInt8), 1u);
  EXPECT_EQ(element_size(kInt32), 4u);
  EXPECT_EQ(element_size(kInt64), 8u);
  EXPECT_EQ(element_size(kFloat16), 2u);
  EXPECT_EQ(element_size(kBFloat16), 2u);
  EXPECT_EQ(element_size(kFloat32), 4u);
  EXPECT_EQ(element_size(kFloat64), 8u);
  const char* names[] = {"bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"};
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(dtype_name(kAll[i]), names[i]);
  std::ostringstream os;
  os << kBFloat16;
  EXPECT_EQ(os.str(), "bfloat16");
  EXPECT_TRUE(is_floating_point(kFloat16));
  EXPECT_TRUE(is_floating_point(kBFloat16));
  EXPECT_FALSE(is_floating_point(kInt64));
  EXPECT_TRUE(is_integral(kUInt8));
  EXPECT_FALSE(is_integral(kBool));
  EXPECT_TRUE(is_integral(kBool, /*include_bool=*/true));
  EXPECT_FALSE(is_integral(kFloat32, true));
  EXPECT_EQ(default_dtype(), kFloat32);
  EXPECT_EQ(Scalar(1).natural_dtype(), kInt64);
  EXPECT_EQ(Scalar(1.0f).natural_dtype(), kFloat32);
  EXPECT_EQ(Scalar(false).natural_dtype(), kBool);
}

TEST(DType, PromoteTypesMatchesTorchForEveryPair) {
  // Row a, column b: torch.promote_types(a, b), in the order of kAll.
  const DType expected[8][8] = {
      {kBool, kUInt8, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      {kUInt8, kUInt8, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      {kInt32, kInt32, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      {kInt64, kInt64, kInt64, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64},
      {kFloat16, kFloat16, kFloat16, kFloat16, kFloat16, kFloat32, kFloat32, kFloat64},
      {kBFloat16, kBFloat16, kBFloat16, kBFloat16, kFloat32, kBFloat16, kFloat32, kFloat64},
      {kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat32, kFloat64},
      {kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64, kFloat64},
  };
  for (int a = 0; a < 8; ++a)
    for (int b = 0; b < 8; ++b)
      EXPECT_EQ(promote_types(kAll[a], kAll[b]), expected[a][b])
          << dtype_name(kAll[a]) << " with " << dtype_name(kAll[b]);
}

TEST(DType, ResultTypeOfTensorsAndNumbers) {
  Tensor i64 = tensor({1, 2});
  Tensor i32 = tensor({1, 2}, {.dtype = kInt32});
  Tensor u8 = tensor({1, 2}, {.dtype = kUInt8});
  Tensor f32 = tensor({1.0, 2.0});
  Tensor f64 = tensor({1.0, 2.0}, {.dtype = kFloat64});
  Tensor b = tensor({true, false});
  // A number takes part only by category: a float number makes an integer tensor float32.
  EXPECT_EQ((i64 * 2.5).dtype(), kFloat32);
  EXPECT_EQ((i32 + 2.5).dtype(), kFloat32);
  EXPECT_EQ((f64 * 2.5).dtype(), kFloat64);
  EXPECT_EQ((i32 + 2).dtype(), kInt32);
  EXPECT_EQ((u8 + 1).dtype(), kUInt8);
  EXPECT_EQ((u8 + true).dtype(), kUInt8);
  EXPECT_EQ((b + 1).dtype(), kInt64);
  EXPECT_EQ((b + 2.5).dtype(), kFloat32);
  EXPECT_EQ((b + true).dtype(), kBool);
  EXPECT_EQ((2.5 * i32).dtype(), kFloat32);
  // A 0-d tensor counts like a number unless it is of a higher category.
  EXPECT_EQ((i32 + tensor(5)).dtype(), kInt32);
  EXPECT_EQ((u8 + tensor(1)).dtype(), kUInt8);
  EXPECT_EQ((f32 + tensor(5.0, {.dtype = kFloat64})).dtype(), kFloat32);
  EXPECT_EQ((f64 * tensor(2.0, {.dtype = kFloat32})).dtype(), kFloat64);
  EXPECT_EQ((b + tensor(2)).dtype(), kInt64);
  // torch: int32 tensor + float64 0-d tensor -> float64 (the 0-d tensor's own float type).
  EXPECT_EQ((i32 + tensor(1.0, {.dtype = kFloat64})).dtype(), kFloat64);
  EXPECT_EQ((i32 * tensor(2.5)).dtype(), kFloat32);
  EXPECT_EQ((tensor(2.5, {.dtype = kFloat64}) * i32).dtype(), kFloat64);
  // Two 0-d tensors promote normally; a 0-d tensor with a number, weakly.
  EXPECT_EQ((tensor(1) + tensor(1.0, {.dtype = kFloat64})).dtype(), kFloat64);
  EXPECT_EQ((tensor(1, {.dtype = kInt32}) + 2).dtype(), kInt32);
  EXPECT_EQ((tensor(1, {.dtype = kInt32}) + 2.5).dtype(), kFloat32);
  // Dimensioned tensors promote fully.
  EXPECT_EQ((u8 + i32).dtype(), kInt32);
  EXPECT_EQ((f32 + i64).dtype(), kFloat32);
  EXPECT_EQ((f32 + f64).dtype(), kFloat64);
}

TEST(DType, ResultTypeWithSixteenBitFloats) {
  // Arithmetic kernels do not compute in float16/bfloat16 (they are storage formats), so the
  // promotion rule itself is checked here.
  Tensor h = zeros({2}, {.dtype = kFloat16}), bf = zeros({2}, {.dtype = kBFloat16});
  EXPECT_EQ(ops::result_type(h, zeros({2})), kFloat32);
  EXPECT_EQ(ops::result_type(tensor({1, 2}), h), kFloat16);
  EXPECT_EQ(ops::result_type(h, bf), kFloat32);
  EXPECT_EQ(ops::result_type(h, tensor(2.5, {.dtype = kFloat64})), kFloat16);  // torch: float16
  EXPECT_EQ(ops::result_type(bf, tensor(3)), kBFloat16);
  EXPECT_EQ(ops::result_type(tensor(1.0, {.dtype = kFloat16}), tensor({1, 2})), kFloat16);
}

TEST(DType, UnsignedWrapsAround) {
  // torch.tensor([0, 5], dtype=torch.uint8) + (-1) -> tensor([255, 4], dtype=torch.uint8)
  EXPECT_EQ((tensor({0, 5}, {.dtype = kUInt8}) + (-1)).to_vector<uint8_t>(), (std::vector<uint8_t>{255, 4}));
}

TEST(DType, TrueDivisionOfIntegersIsFloat32) {
  Tensor q = tensor({1, 2}) / tensor({2, 2});
  EXPECT_EQ(q.dtype(), kFloat32);
  EXPECT_EQ(q.to_vector<float>(), (std::vector<float>{0.5f, 1.0f}));
  EXPECT_EQ((tensor({1, 3}, {.dtype = kInt32}) / 2).to_vector<float>(), (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ((tensor({1, 2}) / tensor({2.0}, {.dtype = kFloat64})).dtype(), kFloat64);
  EXPECT_EQ((tensor({true}) / tensor({true})).dtype(), kFloat32);
  EXPECT_EQ((7 / tensor({2})).to_vector<float>(), (std::vector<float>{3.5f}));
}

TEST(DType, ComparisonsGiveBool) {
  Tensor i = tensor({1, 2, 3});
  Tensor lt = i < 2.5;
  EXPECT_EQ(lt.dtype(), kBool);
  EXPECT_EQ(lt.to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ((i == tensor({1.0, 0.0, 3.0})).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ((i >= 2).dtype(), kBool);
  EXPECT_EQ((tensor({0.5}) != tensor({0.5}, {.dtype = kFloat64})).to_vector<bool>(),
            (std::vector<bool>{false}));
  // 0.1f is not 0.1: comparing in the promoted dtype (float64) tells them apart, as torch does.
  EXPECT_EQ((tensor({0.1}) == tensor({0.1}, {.dtype = kFloat64})).to_vector<bool>(),
            (std::vector<bool>{false}));
}

// ---- conversions ----

namespace {
// The float32 inputs and what torch makes of them, from
// torch.tensor(vals).half().view(torch.int16) and .bfloat16().view(torch.int16).
struct Rounding {
  float in;
  uint16_t half_bits;
  uint16_t bf16_bits;
};
const Rounding kRoundings[] = {
    {0.1f, 0x2e66, 0x3dcd},
    {1.0f / 3.0f, 0x3555, 0x3eab},
    {-2.5f, 0xc100, 0xc020},
    {65504.0f, 0x7bff, 0x4780},  // largest half
    {65519.0f, 0x7bff, 0x4780},  // still rounds down
    {65520.0f, 0x7c00, 0x4780},  // halfway to 65536: rounds to even, which is inf
    {1e5f, 0x7c00, 0x47c3},      // overflows half
    {-1e5f, 0xfc00, 0xc7c3},
    {6e-8f, 0x0001, 0x3381},                     // smallest half subnormal
    {2.98023223876953125e-08f, 0x0000, 0x3300},  // exactly half of it: ties to even, 0
    {2.9802326e-08f, 0x0001, 0x3300},            // just above half of it
    {1e-5f, 0x00a8, 0x3728},                     // half subnormal
    {6.1e-5f, 0x03ff, 0x3880},                   // largest half subnormal
    {1e-8f, 0x0000, 0x322c},                     // underflows half
    {2049.0f, 0x6800, 0x4500},                   // tie in half: to even (2048)
    {2051.0f, 0x6802, 0x4500},                   // tie in half: to even (2052)
    {-0.0f, 0x8000, 0x8000},
    {INFINITY, 0x7c00, 0x7f80},
    {-INFINITY, 0xfc00, 0xff80},
    {3.0e38f, 0x7c00, 0x7f62},
    {FLT_MAX, 0x7c00, 0x7f80},  // rounds up past bfloat16's largest finite value
    {1.0009765625f, 0x3c01, 0x3f80},
    {1e-39f, 0x0000, 0x000b},  // a float32 subnormal
};
}  // namespace

TEST(DType, Float32ToFloat16RoundsLikeTorch) {
  std::vector<float> in;
  for (const auto& r : kRoundings) in.push_back(r.in);
  const std::vector<Half> h = from_vector(in).to(kFloat16).to_vector<Half>();
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(h[i].bits, kRoundings[i].half_bits) << "float " << in[i];
    EXPECT_EQ(Half(in[i]).bits, kRoundings[i].half_bits) << "Half(" << in[i] << ")";
  }
  const Half nan = from_vector(std::vector<float>{NAN}).to(kFloat16).to_vector<Half>()[0];
  EXPECT_EQ(nan.bits, 0x7e00);
}

TEST(DType, Float32ToBFloat16RoundsLikeTorch) {
  std::vector<float> in;
  for (const auto& r : kRoundings) in.push_back(r.in);
  const std::vector<BFloat16> b = from_vector(in).to(kBFloat16).to_vector<BFloat16>();
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(b[i].bits, kRoundings[i].bf16_bits) << "float " << in[i];
  EXPECT_TRUE(std::isnan(from_vector(std::vector<float>{NAN}).to(kBFloat16).to_vector<float>()[0]));
}

TEST(DType, Float64ToSixteenBitsGoesThroughFloat32) {
  // torch rounds double -> float -> half: 1 + 2^-11 + 2^-40 becomes a tie in float32 and then
  // rounds to even (1.0), where direct rounding would give 1 + 2^-10.
  Tensor d = tensor(
      {1 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40), 1 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40)},
      {.dtype = kFloat64});
  EXPECT_EQ(d.to(kFloat16).to_vector<Half>()[0].bits, 0x3c00);
  EXPECT_EQ(d.to(kFloat16).to_vector<Half>()[1].bits, 0x3c04);
  EXPECT_EQ(d.to(kBFloat16).to_vector<BFloat16>()[1].bits, 0x3f80);
}

TEST(DType, EveryFloat16ValueRoundTrips) {
  std::vector<Half> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i].bits = static_cast<uint16_t>(i);
  const std::vector<float> f = from_vector(all).to(kFloat32).to_vector<float>();
  const std::vector<Half> back = from_vector(f).to(kFloat16).to_vector<Half>();
  for (uint32_t i = 0; i < 65536; ++i) {
    const uint32_t exponent = (i >> 10) & 0x1f, mantissa = i & 0x3ff;
    const double sign = (i & 0x8000) ? -1.0 : 1.0;
    if (exponent == 31) {
      ASSERT_TRUE(mantissa ? std::isnan(f[i]) : f[i] == sign * INFINITY) << i;
      if (mantissa) continue;
    } else {
      const double expected = exponent == 0
                                  ? sign * std::ldexp(mantissa, -24)
                                  : sign * std::ldexp(1024 + mantissa, static_cast<int>(exponent) - 25);
      ASSERT_EQ(f[i], expected) << "half bits " << i;
      ASSERT_EQ(std::signbit(f[i]), (i & 0x8000) != 0) << i;
    }
    ASSERT_EQ(back[i].bits, i) << "half bits " << i;
  }
}

TEST(DType, EveryBFloat16ValueRoundTrips) {
  std::vector<BFloat16> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i].bits = static_cast<uint16_t>(i);
  const std::vector<float> f = from_vector(all).to(kFloat32).to_vector<float>();
  const std::vector<BFloat16> back = from_vector(f).to(kBFloat16).to_vector<BFloat16>();
  for (uint32_t i = 0; i < 65536; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &f[i], 4);
    ASSERT_EQ(bits, i << 16) << i;  // bfloat16 is the top half of a float32
    if (std::isnan(f[i])) continue;
    ASSERT_EQ(back[i].bits, i) << "bfloat16 bits " << i;
  }
}

TEST(DType, FloatToIntegerTruncatesTowardZero) {
  // torch.tensor([-1.7, 1.7, 2.5, -0.5]).long() -> [-1, 1, 2, 0]
  Tensor f = tensor({-1.7, 1.7, 2.5, -0.5});
  EXPECT_EQ(f.to(kInt64).to_vector<int64_t>(), (std::vector<int64_t>{-1, 1, 2, 0}));
  EXPECT_EQ(f.to(kInt32).to_vector<int32_t>(), (std::vector<int32_t>{-1, 1, 2, 0}));
  EXPECT_EQ(tensor({-1.5, 7.9}).to(kFloat16).to(kInt64).to_vector<int64_t>(), (std::vector<int64_t>{-1, 7}));
}

TEST(DType, IntegerNarrowingWraps) {
  // torch.tensor([300, -1]).to(torch.uint8) -> [44, 255]; 2**40 + 7 -> int32 7
  EXPECT_EQ(tensor({300, -1}).to(kUInt8).to_vector<uint8_t>(), (std::vector<uint8_t>{44, 255}));
  EXPECT_EQ(tensor({(int64_t{1} << 40) + 7}).to(kInt32).to_vector<int32_t>(), (std::vector<int32_t>{7}));
  // 2**53 + 1 is not a float64: it comes back as 2**53.
  EXPECT_EQ(tensor({(int64_t{1} << 53) + 1}).to(kFloat64).to(kInt64).item<int64_t>(), int64_t{1} << 53);
}

TEST(DType, BoolConversions) {
  EXPECT_EQ(tensor({3, 0, -2}).to(kBool).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(tensor({0.5, -0.0, std::numeric_limits<double>::quiet_NaN()}).to(kBool).to_vector<bool>(),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(tensor({true, false}).to(kFloat32).to_vector<float>(), (std::vector<float>{1, 0}));
  EXPECT_EQ(tensor({true, false}).to(kUInt8).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(tensor({true, false}).to(kFloat16).to_vector<float>(), (std::vector<float>{1, 0}));
}

TEST(DType, TinyFloat64IsTrueAsBool) {
  Tensor d = tensor({1e-50, 0.0, 1e-300}, {.dtype = kFloat64});
  EXPECT_EQ(d.to(kBool).to_vector<bool>(), (std::vector<bool>{true, false, true}));
}

TEST(DType, RoundTripsKeepValues) {
  Tensor f = tensor({0.1, -2.5, 1e30, 3.4e38});
  EXPECT_EQ(f.to(kFloat64).to(kFloat32).to_vector<float>(), f.to_vector<float>());
  Tensor i = tensor({-5, 0, 123456789});
  EXPECT_EQ(i.to(kFloat64).to(kInt64).to_vector<int64_t>(), i.to_vector<int64_t>());
  EXPECT_EQ(i.to(kInt32).to(kInt64).to_vector<int64_t>(), i.to_vector<int64_t>());
  Tensor small = tensor({-3, 0, 7});
  for (DType d : kAll) {
    if (d == kBool || d == kUInt8) continue;
    EXPECT_EQ(small.to(d).to(kInt64).to_vector<int64_t>(), small.to_vector<int64_t>()) << dtype_name(d);
  }
}

TEST(DType, ToSameDtypeSharesMemory) {
  Tensor f = tensor({1.0, 2.0});
  EXPECT_EQ(f.to(kFloat32).data_ptr(), f.data_ptr());
  EXPECT_NE(f.to(kFloat64).data_ptr(), f.data_ptr());
}

TEST(DType, ConversionToAFloatKeepsTheGradient) {
  Tensor x = tensor({1.0, 2.0}, {.dtype = kFloat64}).requires_grad_();
  Tensor y = x.to(kFloat32);
  EXPECT_TRUE(y.requires_grad());
  (y * 3).sum().backward();
  EXPECT_EQ(x.grad().dtype(), kFloat64);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3, 3}));
  // An integer result carries no gradient, as in PyTorch.
  EXPECT_FALSE(x.to(kInt64).requires_grad());
}

TEST(DType, DataPointerNeedsTheExactDtype) {
  Tensor f = tensor({1.0, 2.0});
  EXPECT_EQ(f.data<float>()[1], 2.0f);
  expect_error([&] { f.data<double>(); }, "[data] the tensor is [2] float32 cpu, but float64 was requested");
  expect_error([&] { tensor({1}).data<int32_t>(); }, "but int32 was requested");
}
