// Printing, checked against PyTorch 1.13's repr character for character. Each expected string
// was produced by the Python expression in the comment above it (run with /usr/bin/python3),
// with `dtype=torch.` written `dtype=strata.` and `grad_fn=<MulBackward0>` written as strata
// names its nodes, `grad_fn=<MulBackward>`.
#include <cstdint>
#include <limits>
#include <sstream>

#include "support/test_util.h"

using namespace strata;
using strata::test::kInf;
using strata::test::kNaN;

namespace {
std::string str(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}
}  // namespace

TEST(Print, Matrix) {
  // torch.tensor([[1.,2.],[3.,4.]])
  EXPECT_EQ(str(tensor({{1.0, 2.0}, {3.0, 4.0}})),
            "tensor([[1., 2.],\n"
            "        [3., 4.]])");
}

TEST(Print, Int64Vector) {
  // torch.tensor([1,2,3])
  EXPECT_EQ(str(tensor({1, 2, 3})), "tensor([1, 2, 3])");
}

TEST(Print, BoolVector) {
  // torch.tensor([True, False])
  EXPECT_EQ(str(tensor({true, false})), "tensor([ True, False])");
}

TEST(Print, BoolMatrix) {
  // torch.tensor([[True, False],[False, True]])
  EXPECT_EQ(str(tensor({{true, false}, {false, true}})),
            "tensor([[ True, False],\n"
            "        [False,  True]])");
}

TEST(Print, ZeroDimFloat) {
  // torch.tensor(3.5)
  EXPECT_EQ(str(tensor(3.5)), "tensor(3.5000)");
}

TEST(Print, ZeroDimInt) {
  // torch.tensor(7)
  EXPECT_EQ(str(tensor(7)), "tensor(7)");
}

TEST(Print, ZeroDimBool) {
  // torch.tensor(True)
  EXPECT_EQ(str(tensor(true)), "tensor(True)");
}

TEST(Print, ZeroDimSmall) {
  // torch.tensor(1e-7)
  EXPECT_EQ(str(tensor(1e-7)), "tensor(1.0000e-07)");
}

TEST(Print, ZeroDimLarge) {
  // torch.tensor(1e10)
  EXPECT_EQ(str(tensor(1e10)), "tensor(1.0000e+10)");
}

TEST(Print, ZeroDimBigFraction) {
  // torch.tensor(123456789.)
  EXPECT_EQ(str(tensor(123456789.0)), "tensor(1.2346e+08)");
}

TEST(Print, ZeroDimNan) {
  // torch.tensor(nan)
  EXPECT_EQ(str(tensor(kNaN)), "tensor(nan)");
}

TEST(Print, ZeroDimNegativeZero) {
  // torch.tensor(-0.)
  EXPECT_EQ(str(tensor(-0.0)), "tensor(-0.)");
}

TEST(Print, AllZeros) {
  // torch.tensor([0., 0.])
  EXPECT_EQ(str(tensor({0.0, 0.0})), "tensor([0., 0.])");
}

TEST(Print, NanAndZero) {
  // torch.tensor([nan, 0.])
  EXPECT_EQ(str(tensor({kNaN, 0.0})), "tensor([nan, 0.])");
}

TEST(Print, NegativeZeroIntMode) {
  // torch.tensor([-0., 1.])
  EXPECT_EQ(str(tensor({-0.0, 1.0})), "tensor([-0., 1.])");
}

TEST(Print, NegativeZeroFixed) {
  // torch.tensor([-0., 1.5])
  EXPECT_EQ(str(tensor({-0.0, 1.5})), "tensor([-0.0000, 1.5000])");
}

TEST(Print, NonFiniteIntMode) {
  // torch.tensor([1., inf, -inf, nan])
  EXPECT_EQ(str(tensor({1.0, kInf, -kInf, kNaN})), "tensor([1., inf, -inf, nan])");
}

TEST(Print, NonFiniteFixed) {
  // torch.tensor([1.5, inf, -inf, nan])
  EXPECT_EQ(str(tensor({1.5, kInf, -kInf, kNaN})), "tensor([1.5000,    inf,   -inf,    nan])");
}

TEST(Print, SciSmall) {
  // torch.tensor([1e-5, 1.])
  EXPECT_EQ(str(tensor({1e-5, 1.0})), "tensor([1.0000e-05, 1.0000e+00])");
}

TEST(Print, SciWithNan) {
  // torch.tensor([1e10, nan])
  EXPECT_EQ(str(tensor({1e10, kNaN})), "tensor([1.0000e+10,        nan])");
}

TEST(Print, SciAtOneTenThousandth) {
  // torch.tensor([1e-4, 1.])
  EXPECT_EQ(str(tensor({1e-4, 1.0})), "tensor([1.0000e-04, 1.0000e+00])");
}

TEST(Print, FixedJustAboveOneTenThousandth) {
  // torch.tensor([1.01e-4, 0.1])
  EXPECT_EQ(str(tensor({1.01e-4, 0.1})), "tensor([0.0001, 0.1000])");
}

TEST(Print, FixedRatioBelowThousand) {
  // torch.tensor([0.1, 100.])
  EXPECT_EQ(str(tensor({0.1, 100.0})), "tensor([  0.1000, 100.0000])");
}

TEST(Print, SciRatioAboveThousand) {
  // torch.tensor([0.1, 100.5])
  EXPECT_EQ(str(tensor({0.1, 100.5})), "tensor([1.0000e-01, 1.0050e+02])");
}

TEST(Print, IntModeRatioThousand) {
  // torch.tensor([1., 1000.])
  EXPECT_EQ(str(tensor({1.0, 1000.0})), "tensor([   1., 1000.])");
}

TEST(Print, IntModeSciRatio) {
  // torch.tensor([1., 1001.])
  EXPECT_EQ(str(tensor({1.0, 1001.0})), "tensor([1.0000e+00, 1.0010e+03])");
}

TEST(Print, IntModeSciLarge) {
  // torch.tensor([1e8, 1.])
  EXPECT_EQ(str(tensor({1e8, 1.0})), "tensor([1.0000e+08, 1.0000e+00])");
}

TEST(Print, IntModeHundredMillion) {
  // torch.tensor([1e8])
  EXPECT_EQ(str(tensor({1e8})), "tensor([100000000.])");
}

TEST(Print, IntModeAboveHundredMillion) {
  // torch.tensor([1.00001e8])
  EXPECT_EQ(str(tensor({1.00001e8})), "tensor([1.0000e+08])");
}

TEST(Print, SciNegative) {
  // torch.tensor([123.456, -0.001])
  EXPECT_EQ(str(tensor({123.456, -0.001})), "tensor([ 1.2346e+02, -1.0000e-03])");
}

TEST(Print, SciMixed) {
  // torch.tensor([2.5, 3.5, 0.00005])
  EXPECT_EQ(str(tensor({2.5, 3.5, 0.00005})), "tensor([2.5000e+00, 3.5000e+00, 5.0000e-05])");
}

TEST(Print, Subnormal) {
  // torch.tensor([1e-40, 1.])
  EXPECT_EQ(str(tensor({1e-40, 1.0})), "tensor([9.9999e-41, 1.0000e+00])");
}

TEST(Print, IntWidths) {
  // torch.tensor([-1, 100, 7])
  EXPECT_EQ(str(tensor({-1, 100, 7})), "tensor([ -1, 100,   7])");
}

TEST(Print, Int64Extremes) {
  // torch.tensor([-2**63, 0, 2**63-1])
  EXPECT_EQ(str(tensor({INT64_MIN, int64_t{0}, INT64_MAX})),
            "tensor([-9223372036854775808,                    0,  9223372036854775807])");
}

TEST(Print, ThreeDims) {
  // torch.arange(30.).reshape(2,3,5)/7
  EXPECT_EQ(str(arange(30.0).reshape({2, 3, 5}) / 7),
            "tensor([[[0.0000, 0.1429, 0.2857, 0.4286, 0.5714],\n"
            "         [0.7143, 0.8571, 1.0000, 1.1429, 1.2857],\n"
            "         [1.4286, 1.5714, 1.7143, 1.8571, 2.0000]],\n"
            "\n"
            "        [[2.1429, 2.2857, 2.4286, 2.5714, 2.7143],\n"
            "         [2.8571, 3.0000, 3.1429, 3.2857, 3.4286],\n"
            "         [3.5714, 3.7143, 3.8571, 4.0000, 4.1429]]])");
}

TEST(Print, OnesThreeDims) {
  // torch.ones(1,1,1)
  EXPECT_EQ(str(ones({1, 1, 1})), "tensor([[[1.]]])");
}

TEST(Print, WrapsFloatLine) {
  // torch.arange(40.)*1.5
  EXPECT_EQ(str(arange(40.0) * 1.5),
            "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
            "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
            "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n"
            "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000, 45.0000, 46.5000,\n"
            "        48.0000, 49.5000, 51.0000, 52.5000, 54.0000, 55.5000, 57.0000, 58.5000])");
}

TEST(Print, WrapsIntLine) {
  // torch.arange(100)
  EXPECT_EQ(str(arange(100)),
            "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
            "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n"
            "        36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,\n"
            "        54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n"
            "        72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,\n"
            "        90, 91, 92, 93, 94, 95, 96, 97, 98, 99])");
}

TEST(Print, WrapsInsideMatrix) {
  // torch.arange(60.).reshape(2,30)/3
  EXPECT_EQ(str(arange(60.0).reshape({2, 30}) / 3),
            "tensor([[ 0.0000,  0.3333,  0.6667,  1.0000,  1.3333,  1.6667,  2.0000,  2.3333,\n"
            "          2.6667,  3.0000,  3.3333,  3.6667,  4.0000,  4.3333,  4.6667,  5.0000,\n"
            "          5.3333,  5.6667,  6.0000,  6.3333,  6.6667,  7.0000,  7.3333,  7.6667,\n"
            "          8.0000,  8.3333,  8.6667,  9.0000,  9.3333,  9.6667],\n"
            "        [10.0000, 10.3333, 10.6667, 11.0000, 11.3333, 11.6667, 12.0000, 12.3333,\n"
            "         12.6667, 13.0000, 13.3333, 13.6667, 14.0000, 14.3333, 14.6667, 15.0000,\n"
            "         15.3333, 15.6667, 16.0000, 16.3333, 16.6667, 17.0000, 17.3333, 17.6667,\n"
            "         18.0000, 18.3333, 18.6667, 19.0000, 19.3333, 19.6667]])");
}

TEST(Print, Transposed) {
  // torch.arange(6).reshape(2,3).t()
  EXPECT_EQ(str(arange(6).reshape({2, 3}).t()),
            "tensor([[0, 3],\n"
            "        [1, 4],\n"
            "        [2, 5]])");
}

TEST(Print, SlicedWithStep) {
  // torch.arange(10.)[1::3]
  EXPECT_EQ(str(arange(10.0).slice(0, 1, std::nullopt, 3)), "tensor([1., 4., 7.])");
}

TEST(Print, Expanded) {
  // torch.tensor([1.5, 2.5]).expand(3, 2)
  EXPECT_EQ(str(tensor({1.5, 2.5}).expand({3, 2})),
            "tensor([[1.5000, 2.5000],\n"
            "        [1.5000, 2.5000],\n"
            "        [1.5000, 2.5000]])");
}

TEST(Print, Empty1d) {
  // torch.zeros(0)
  EXPECT_EQ(str(zeros({0})), "tensor([])");
}

TEST(Print, Empty2d) {
  // torch.zeros(0,3)
  EXPECT_EQ(str(zeros({0, 3})), "tensor([], size=(0, 3))");
}

TEST(Print, Empty3d) {
  // torch.zeros(2,0,3)
  EXPECT_EQ(str(zeros({2, 0, 3})), "tensor([], size=(2, 0, 3))");
}

TEST(Print, EmptyInt64) {
  // torch.zeros(0, dtype=torch.int64)
  EXPECT_EQ(str(zeros({0}, {.dtype = kInt64})), "tensor([], dtype=strata.int64)");
}

TEST(Print, EmptyInt64Matrix) {
  // torch.zeros(0,3, dtype=torch.int64)
  EXPECT_EQ(str(zeros({0, 3}, {.dtype = kInt64})), "tensor([], size=(0, 3), dtype=strata.int64)");
}

TEST(Print, EmptyFloat64) {
  // torch.zeros(0, dtype=torch.float64)
  EXPECT_EQ(str(zeros({0}, {.dtype = kFloat64})), "tensor([], dtype=strata.float64)");
}

TEST(Print, EmptyBool) {
  // torch.zeros(0, dtype=torch.bool)
  EXPECT_EQ(str(zeros({0}, {.dtype = kBool})), "tensor([], dtype=strata.bool)");
}

TEST(Print, Float64) {
  // torch.tensor([1.,2.], dtype=torch.float64)
  EXPECT_EQ(str(tensor({1.0, 2.0}, {.dtype = kFloat64})), "tensor([1., 2.], dtype=strata.float64)");
}

TEST(Print, Float16) {
  // torch.tensor([0.1, 2.], dtype=torch.float16)
  EXPECT_EQ(str(tensor({0.1, 2.0}).to(kFloat16)), "tensor([0.1000, 2.0000], dtype=strata.float16)");
}

TEST(Print, BFloat16) {
  // torch.tensor([0.1, 2.], dtype=torch.bfloat16)
  EXPECT_EQ(str(tensor({0.1, 2.0}).to(kBFloat16)), "tensor([0.1001, 2.0000], dtype=strata.bfloat16)");
}

TEST(Print, Float16Overflow) {
  // torch.tensor([70000., 1.]).half()
  EXPECT_EQ(str(tensor({70000.0, 1.0}).to(kFloat16)), "tensor([inf, 1.], dtype=strata.float16)");
}

TEST(Print, Int32) {
  // torch.tensor([1,-2], dtype=torch.int32)
  EXPECT_EQ(str(tensor({1, -2}, {.dtype = kInt32})), "tensor([ 1, -2], dtype=strata.int32)");
}

TEST(Print, UInt8) {
  // torch.tensor([1,255], dtype=torch.uint8)
  EXPECT_EQ(str(tensor({1, 255}, {.dtype = kUInt8})), "tensor([  1, 255], dtype=strata.uint8)");
}

TEST(Print, RequiresGrad) {
  // torch.tensor([1.,2.], requires_grad=True)
  EXPECT_EQ(str(tensor({1.0, 2.0}).requires_grad_()), "tensor([1., 2.], requires_grad=True)");
}

TEST(Print, ZeroDimRequiresGrad) {
  // torch.tensor(2., requires_grad=True)
  EXPECT_EQ(str(tensor(2.0).requires_grad_()), "tensor(2., requires_grad=True)");
}

TEST(Print, GradFn) {
  // torch.tensor([1.,2.], requires_grad=True)*2
  EXPECT_EQ(str(tensor({1.0, 2.0}).requires_grad_() * 2), "tensor([2., 4.], grad_fn=<MulBackward>)");
}

TEST(Print, DtypeAndGradFn) {
  // torch.tensor([1.,2.], dtype=torch.float64, requires_grad=True)*2
  EXPECT_EQ(str(tensor({1.0, 2.0}, {.dtype = kFloat64}).requires_grad_() * 2),
            "tensor([2., 4.], dtype=strata.float64, grad_fn=<MulBackward>)");
}

TEST(Print, SuffixWraps) {
  // torch.arange(8., dtype=torch.float64)*1.5+10
  EXPECT_EQ(str(arange(8.0, {.dtype = kFloat64}) * 1.5 + 10),
            "tensor([10.0000, 11.5000, 13.0000, 14.5000, 16.0000, 17.5000, 19.0000, 20.5000],\n"
            "       dtype=strata.float64)");
}

TEST(Print, SuffixWrapsAfterMatrix) {
  // (torch.arange(16., dtype=torch.float64).reshape(2,8)*1.5+10).requires_grad_()
  EXPECT_EQ(str((arange(16.0, {.dtype = kFloat64}).reshape({2, 8}) * 1.5 + 10).requires_grad_()),
            "tensor([[10.0000, 11.5000, 13.0000, 14.5000, 16.0000, 17.5000, 19.0000, 20.5000],\n"
            "        [22.0000, 23.5000, 25.0000, 26.5000, 28.0000, 29.5000, 31.0000, 32.5000]],\n"
            "       dtype=strata.float64, requires_grad=True)");
}

TEST(Print, SummarizedInt) {
  // torch.arange(2000)
  EXPECT_EQ(str(arange(2000)), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
}

TEST(Print, SummarizedJustOver) {
  // torch.arange(1001)
  EXPECT_EQ(str(arange(1001)), "tensor([   0,    1,    2,  ...,  998,  999, 1000])");
}

TEST(Print, NotSummarizedAtThreshold) {
  // torch.arange(1000).reshape(10,100)[:, :2]
  EXPECT_EQ(str(arange(1000).reshape({10, 100}).slice(1, 0, 2)),
            "tensor([[  0,   1],\n"
            "        [100, 101],\n"
            "        [200, 201],\n"
            "        [300, 301],\n"
            "        [400, 401],\n"
            "        [500, 501],\n"
            "        [600, 601],\n"
            "        [700, 701],\n"
            "        [800, 801],\n"
            "        [900, 901]])");
}

TEST(Print, SummarizedRows) {
  // torch.arange(2000.).reshape(2,1000)
  EXPECT_EQ(str(arange(2000.0).reshape({2, 1000})),
            "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.9700e+02, 9.9800e+02,\n"
            "         9.9900e+02],\n"
            "        [1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.9970e+03, 1.9980e+03,\n"
            "         1.9990e+03]])");
}

TEST(Print, SummarizedColumns) {
  // torch.arange(2002.).reshape(1001,2)/4
  EXPECT_EQ(str(arange(2002.0).reshape({1001, 2}) / 4),
            "tensor([[0.0000e+00, 2.5000e-01],\n"
            "        [5.0000e-01, 7.5000e-01],\n"
            "        [1.0000e+00, 1.2500e+00],\n"
            "        ...,\n"
            "        [4.9900e+02, 4.9925e+02],\n"
            "        [4.9950e+02, 4.9975e+02],\n"
            "        [5.0000e+02, 5.0025e+02]])");
}

TEST(Print, SummarizedBool) {
  // torch.ones(2000, dtype=torch.bool)
  EXPECT_EQ(str(ones({2000}, {.dtype = kBool})), "tensor([True, True, True,  ..., True, True, True])");
}

TEST(Print, SummarizedNegative) {
  // (torch.arange(2000.)-1000)/3
  EXPECT_EQ(str((arange(2000.0) - 1000) / 3),
            "tensor([-333.3333, -333.0000, -332.6667,  ...,  332.3333,  332.6667,\n"
            "         333.0000])");
}

TEST(Print, Float16NonFinite) {
  // torch.tensor([inf, nan, 6e-8, -1.], dtype=torch.float16)
  EXPECT_EQ(str(tensor({kInf, kNaN, 6e-8, -1.0}).to(kFloat16)),
            "tensor([        inf,         nan,  5.9605e-08, -1.0000e+00],\n"
            "       dtype=strata.float16)");
}

TEST(Print, BFloat16NonFinite) {
  // torch.tensor([-inf, nan, 3.0e38], dtype=torch.bfloat16)
  EXPECT_EQ(str(tensor({-kInf, kNaN, 3.0e38}).to(kBFloat16)),
            "tensor([      -inf,        nan, 3.0041e+38], dtype=strata.bfloat16)");
}

TEST(Print, SummarizedFloat16) {
  // torch.arange(3000.).half()
  EXPECT_EQ(str(arange(3000.0).to(kFloat16)),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.9960e+03, 2.9980e+03,\n"
            "        3.0000e+03], dtype=strata.float16)");
}

TEST(Print, EmptyFloat16) {
  // torch.zeros(0,3,dtype=torch.float16)
  EXPECT_EQ(str(zeros({0, 3}, {.dtype = kFloat16})), "tensor([], size=(0, 3), dtype=strata.float16)");
}

TEST(Print, EmptyTrailingDim) {
  // torch.zeros(3,0)
  EXPECT_EQ(str(zeros({3, 0})), "tensor([], size=(3, 0))");
}

TEST(Print, SummarizedThenStrided) {
  // torch.arange(3000.).reshape(3,1000)[:, ::500]
  EXPECT_EQ(str(arange(3000.0).reshape({3, 1000}).slice(1, std::nullopt, std::nullopt, 500)),
            "tensor([[   0.,  500.],\n"
            "        [1000., 1500.],\n"
            "        [2000., 2500.]])");
}

TEST(Print, SummarizedThreeDims) {
  // torch.arange(3000.).reshape(10,10,30)
  EXPECT_EQ(str(arange(3000.0).reshape({10, 10, 30})),
            "tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 2.7000e+01,\n"
            "          2.8000e+01, 2.9000e+01],\n"
            "         [3.0000e+01, 3.1000e+01, 3.2000e+01,  ..., 5.7000e+01,\n"
            "          5.8000e+01, 5.9000e+01],\n"
            "         [6.0000e+01, 6.1000e+01, 6.2000e+01,  ..., 8.7000e+01,\n"
            "          8.8000e+01, 8.9000e+01],\n"
            "         ...,\n"
            "         [2.1000e+02, 2.1100e+02, 2.1200e+02,  ..., 2.3700e+02,\n"
            "          2.3800e+02, 2.3900e+02],\n"
            "         [2.4000e+02, 2.4100e+02, 2.4200e+02,  ..., 2.6700e+02,\n"
            "          2.6800e+02, 2.6900e+02],\n"
            "         [2.7000e+02, 2.7100e+02, 2.7200e+02,  ..., 2.9700e+02,\n"
            "          2.9800e+02, 2.9900e+02]],\n"
            "\n"
            "        [[3.0000e+02, 3.0100e+02, 3.0200e+02,  ..., 3.2700e+02,\n"
            "          3.2800e+02, 3.2900e+02],\n"
            "         [3.3000e+02, 3.3100e+02, 3.3200e+02,  ..., 3.5700e+02,\n"
            "          3.5800e+02, 3.5900e+02],\n"
            "         [3.6000e+02, 3.6100e+02, 3.6200e+02,  ..., 3.8700e+02,\n"
            "          3.8800e+02, 3.8900e+02],\n"
            "         ...,\n"
            "         [5.1000e+02, 5.1100e+02, 5.1200e+02,  ..., 5.3700e+02,\n"
            "          5.3800e+02, 5.3900e+02],\n"
            "         [5.4000e+02, 5.4100e+02, 5.4200e+02,  ..., 5.6700e+02,\n"
            "          5.6800e+02, 5.6900e+02],\n"
            "         [5.7000e+02, 5.7100e+02, 5.7200e+02,  ..., 5.9700e+02,\n"
            "          5.9800e+02, 5.9900e+02]],\n"
            "\n"
            "        [[6.0000e+02, 6.0100e+02, 6.0200e+02,  ..., 6.2700e+02,\n"
            "          6.2800e+02, 6.2900e+02],\n"
            "         [6.3000e+02, 6.3100e+02, 6.3200e+02,  ..., 6.5700e+02,\n"
            "          6.5800e+02, 6.5900e+02],\n"
            "         [6.6000e+02, 6.6100e+02, 6.6200e+02,  ..., 6.8700e+02,\n"
            "          6.8800e+02, 6.8900e+02],\n"
            "         ...,\n"
            "         [8.1000e+02, 8.1100e+02, 8.1200e+02,  ..., 8.3700e+02,\n"
            "          8.3800e+02, 8.3900e+02],\n"
            "         [8.4000e+02, 8.4100e+02, 8.4200e+02,  ..., 8.6700e+02,\n"
            "          8.6800e+02, 8.6900e+02],\n"
            "         [8.7000e+02, 8.7100e+02, 8.7200e+02,  ..., 8.9700e+02,\n"
            "          8.9800e+02, 8.9900e+02]],\n"
            "\n"
            "        ...,\n"
            "\n"
            "        [[2.1000e+03, 2.1010e+03, 2.1020e+03,  ..., 2.1270e+03,\n"
            "          2.1280e+03, 2.1290e+03],\n"
            "         [2.1300e+03, 2.1310e+03, 2.1320e+03,  ..., 2.1570e+03,\n"
            "          2.1580e+03, 2.1590e+03],\n"
            "         [2.1600e+03, 2.1610e+03, 2.1620e+03,  ..., 2.1870e+03,\n"
            "          2.1880e+03, 2.1890e+03],\n"
            "         ...,\n"
            "         [2.3100e+03, 2.3110e+03, 2.3120e+03,  ..., 2.3370e+03,\n"
            "          2.3380e+03, 2.3390e+03],\n"
            "         [2.3400e+03, 2.3410e+03, 2.3420e+03,  ..., 2.3670e+03,\n"
            "          2.3680e+03, 2.3690e+03],\n"
            "         [2.3700e+03, 2.3710e+03, 2.3720e+03,  ..., 2.3970e+03,\n"
            "          2.3980e+03, 2.3990e+03]],\n"
            "\n"
            "        [[2.4000e+03, 2.4010e+03, 2.4020e+03,  ..., 2.4270e+03,\n"
            "          2.4280e+03, 2.4290e+03],\n"
            "         [2.4300e+03, 2.4310e+03, 2.4320e+03,  ..., 2.4570e+03,\n"
            "          2.4580e+03, 2.4590e+03],\n"
            "         [2.4600e+03, 2.4610e+03, 2.4620e+03,  ..., 2.4870e+03,\n"
            "          2.4880e+03, 2.4890e+03],\n"
            "         ...,\n"
            "         [2.6100e+03, 2.6110e+03, 2.6120e+03,  ..., 2.6370e+03,\n"
            "          2.6380e+03, 2.6390e+03],\n"
            "         [2.6400e+03, 2.6410e+03, 2.6420e+03,  ..., 2.6670e+03,\n"
            "          2.6680e+03, 2.6690e+03],\n"
            "         [2.6700e+03, 2.6710e+03, 2.6720e+03,  ..., 2.6970e+03,\n"
            "          2.6980e+03, 2.6990e+03]],\n"
            "\n"
            "        [[2.7000e+03, 2.7010e+03, 2.7020e+03,  ..., 2.7270e+03,\n"
            "          2.7280e+03, 2.7290e+03],\n"
            "         [2.7300e+03, 2.7310e+03, 2.7320e+03,  ..., 2.7570e+03,\n"
            "          2.7580e+03, 2.7590e+03],\n"
            "         [2.7600e+03, 2.7610e+03, 2.7620e+03,  ..., 2.7870e+03,\n"
            "          2.7880e+03, 2.7890e+03],\n"
            "         ...,\n"
            "         [2.9100e+03, 2.9110e+03, 2.9120e+03,  ..., 2.9370e+03,\n"
            "          2.9380e+03, 2.9390e+03],\n"
            "         [2.9400e+03, 2.9410e+03, 2.9420e+03,  ..., 2.9670e+03,\n"
            "          2.9680e+03, 2.9690e+03],\n"
            "         [2.9700e+03, 2.9710e+03, 2.9720e+03,  ..., 2.9970e+03,\n"
            "          2.9980e+03, 2.9990e+03]]])");
}

TEST(Print, UndefinedTensorPrintsWithoutThrowing) { EXPECT_EQ(str(Tensor()), "tensor(undefined)"); }

TEST(Print, ShapeStillPrintsAsAList) {
  std::ostringstream os;
  os << Shape{4, 10};
  EXPECT_EQ(os.str(), "[4, 10]");
}

TEST(Print, NegativeNanPrintsWithoutSign) {
  // printf would write "-nan"; Python (and so PyTorch) writes "nan" whatever the sign bit.
  EXPECT_EQ(str(tensor({-kNaN, 1.5})), "tensor([   nan, 1.5000])");
}

TEST(Print, GradFnNameIsTheNodeName) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = x.exp();
  EXPECT_NE(str(y).find("grad_fn=<" + y.grad_fn_name() + ">"), std::string::npos) << str(y);
}

TEST(Print, NoGradResultHasNoSuffix) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  NoGradGuard no_grad;
  EXPECT_EQ(str(x * 2), "tensor([2., 4.])");
}

TEST(Print, EveryDtypeAndShapePrints) {
  // Never throws, whatever the dtype and shape (including empty and summarised ones), and each
  // result is a well-formed `tensor(...)`.
  for (DType d : {kBool, kUInt8, kInt32, kInt64, kFloat16, kBFloat16, kFloat32, kFloat64}) {
    for (const Shape& s : {Shape{}, Shape{0}, Shape{1}, Shape{3, 0, 2}, Shape{2, 3},
                           Shape{1, 1, 1, 1, 1, 1, 1, 1}, Shape{1200}, Shape{7, 7, 7, 7}}) {
      const std::string text = str(ones(s, {.dtype = d}));
      EXPECT_EQ(text.rfind("tensor(", 0), 0u) << text;
      EXPECT_EQ(text.back(), ')') << text;
    }
  }
}

TEST(Print, WideTensorSummarisesEveryDim) {
  const std::string text = str(zeros({7, 7, 7, 7}));
  // 2401 elements: each dim of 7 shows 3 + 3; the innermost vectors have " ..." in them.
  EXPECT_NE(text.find("0.,  ..., 0."), std::string::npos) << text;
  EXPECT_NE(text.find("]]],\n\n\n        ...,\n\n\n        [[[0."), std::string::npos) << text;
}
