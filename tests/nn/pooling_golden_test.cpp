// Pooling layers and nn::Embedding against PyTorch 1.13 (tests/fixtures/pooling/*.json, written by
// tools/gen_pool_fixtures.py): outputs, max indices, input and weight gradients, reprs. Also the
// pooling modules' errors, which name the module path and its configuration.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>

#include "golden/golden_fixture.h"
#include "strata/nn/embedding.h"
#include "strata/nn/pooling.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using golden::Json;
using strata::Tensor;

namespace {

const Json& fixture(const std::string& name) {
  static std::map<std::string, Json> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end())
    it = loaded.emplace(name, golden::load_json(STRATA_FIXTURES_DIR "/pooling/" + name + ".json")).first;
  return it->second;
}

// PyTorch was given an int or a tuple; so is strata (the repr shows which).
nn::Size2 size2(const Json& v) {
  return v.is_array() ? nn::Size2(v.at(0).get<int64_t>(), v.at(1).get<int64_t>())
                      : nn::Size2(v.get<int64_t>());
}
template <typename T, typename F>
std::optional<T> opt(const Json& a, const char* key, F conv) {
  return a.contains(key) && !a.at(key).is_null() ? std::optional<T>(conv(a.at(key))) : std::nullopt;
}
int64_t i64(const Json& v) { return v.get<int64_t>(); }
int64_t get_i(const Json& a, const char* key, int64_t dflt) {
  return a.contains(key) ? a.at(key).get<int64_t>() : dflt;
}
bool get_b(const Json& a, const char* key, bool dflt) {
  return a.contains(key) ? a.at(key).get<bool>() : dflt;
}
nn::Size2 get_s(const Json& a, const char* key, int64_t dflt) {
  return a.contains(key) ? size2(a.at(key)) : nn::Size2(dflt);
}

// The layer and a call that returns its output and, for max pooling, the indices.
struct Layer {
  std::unique_ptr<nn::Module> module;
  std::function<std::pair<Tensor, Tensor>(const Tensor&)> run;
};

Layer make_layer(const std::string& name, const Json& a) {
  Layer l;
  if (name == "MaxPool2d") {
    auto m = std::make_unique<nn::MaxPool2d>(size2(a.at("kernel_size")), opt<nn::Size2>(a, "stride", size2),
                                             get_s(a, "padding", 0), get_s(a, "dilation", 1), false,
                                             get_b(a, "ceil_mode", false));
    l.run = [p = m.get()](const Tensor& x) { return p->forward_with_indices(x); };
    l.module = std::move(m);
  } else if (name == "MaxPool1d") {
    auto m = std::make_unique<nn::MaxPool1d>(i64(a.at("kernel_size")), opt<int64_t>(a, "stride", i64),
                                             get_i(a, "padding", 0), get_i(a, "dilation", 1), false,
                                             get_b(a, "ceil_mode", false));
    l.run = [p = m.get()](const Tensor& x) { return p->forward_with_indices(x); };
    l.module = std::move(m);
  } else if (name == "AvgPool2d") {
    auto m = std::make_unique<nn::AvgPool2d>(size2(a.at("kernel_size")), opt<nn::Size2>(a, "stride", size2),
                                             get_s(a, "padding", 0), get_b(a, "ceil_mode", false),
                                             get_b(a, "count_include_pad", true),
                                             opt<int64_t>(a, "divisor_override", i64));
    l.run = [p = m.get()](const Tensor& x) { return std::pair{(*p)(x), Tensor()}; };
    l.module = std::move(m);
  } else if (name == "AvgPool1d") {
    auto m = std::make_unique<nn::AvgPool1d>(i64(a.at("kernel_size")), opt<int64_t>(a, "stride", i64),
                                             get_i(a, "padding", 0), get_b(a, "ceil_mode", false),
                                             get_b(a, "count_include_pad", true));
    l.run = [p = m.get()](const Tensor& x) { return std::pair{(*p)(x), Tensor()}; };
    l.module = std::move(m);
  } else if (name == "AdaptiveAvgPool2d") {
    auto m = std::make_unique<nn::AdaptiveAvgPool2d>(size2(a.at("output_size")));
    l.run = [p = m.get()](const Tensor& x) { return std::pair{(*p)(x), Tensor()}; };
    l.module = std::move(m);
  } else if (name == "AdaptiveAvgPool1d") {
    auto m = std::make_unique<nn::AdaptiveAvgPool1d>(i64(a.at("output_size")));
    l.run = [p = m.get()](const Tensor& x) { return std::pair{(*p)(x), Tensor()}; };
    l.module = std::move(m);
  } else {
    throw std::runtime_error("no strata layer for " + name);
  }
  return l;
}

std::string lower_bools(std::string s) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"True", "true"}, {"False", "false"}})
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from)) s.replace(at, from.size(), to);
  return s;
}

std::string repr_of(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

}  // namespace

TEST(PoolingGolden, OutputsIndicesAndGradientsMatchPyTorch) {
  int checked = 0;
  for (const Json& c : fixture("pooling").at("cases")) {
    const std::string name = c.at("layer").get<std::string>();
    SCOPED_TRACE(name + " " + c.at("args").dump() + " " + c.at("input").at("dtype").get<std::string>());
    Layer layer = make_layer(name, c.at("args"));
    Tensor x = golden::make_input(c.at("input"));
    x.requires_grad_();
    auto [out, indices] = layer.run(x);
    EXPECT_TRUE(golden::matches("output", out, c.at("output")));
    if (c.contains("indices")) {
      ASSERT_TRUE(indices.defined());
      EXPECT_EQ(indices.shape(), golden::shape_of(c.at("indices")));
      const auto want = golden::values_of(c.at("indices"));
      EXPECT_EQ(indices.to(strata::kFloat64).to_vector<double>(), want);
    }
    (out * golden::make_input(c.at("upstream"))).sum().backward();
    EXPECT_TRUE(golden::matches("grad input", x.grad(), c.at("grad_input")));
    EXPECT_EQ(repr_of(*layer.module), lower_bools(c.at("repr").get<std::string>()));
    ++checked;
  }
  EXPECT_EQ(checked, 44);
}

TEST(EmbeddingGolden, OutputsAndWeightGradientsMatchPyTorch) {
  int checked = 0;
  for (const Json& c : fixture("embedding").at("cases")) {
    const Json& a = c.at("args");
    SCOPED_TRACE(a.dump() + " " + c.at("params").at("weight").at("dtype").get<std::string>());
    const Tensor w = golden::make_input(c.at("params").at("weight"));
    const auto pad = opt<int64_t>(a, "padding_idx", i64);
    nn::Embedding emb = c.at("from_pretrained").get<bool>()
                            ? nn::Embedding::from_pretrained(w.clone(), false, pad)
                            : nn::Embedding(i64(a.at("num_embeddings")), i64(a.at("embedding_dim")), pad);
    if (!c.at("from_pretrained").get<bool>()) {
      emb.to(w.dtype());
      nn::StateDict params;
      params.insert("weight", w);
      ASSERT_TRUE(emb.load_state_dict(params).ok());
    }
    const Tensor out = emb(golden::make_input(c.at("input")));
    EXPECT_TRUE(golden::matches("output", out, c.at("output")));
    (out * golden::make_input(c.at("upstream"))).sum().backward();
    EXPECT_TRUE(golden::matches("grad weight", emb.weight.grad(), c.at("grad_params").at("weight")));
    EXPECT_EQ(repr_of(emb), c.at("repr").get<std::string>());
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

namespace {
struct Net : nn::Module {
  nn::MaxPool2d pool1{2};
  nn::AvgPool1d pool2{3, 2, 1};
  nn::AdaptiveAvgPool2d gap{{2, 3}};
  nn::MaxPool1d mp1{4};
  Tensor forward(const Tensor& x) { return pool1(x); }
  STRATA_MODULE(Net, pool1, pool2, gap, mp1)
};
}  // namespace

TEST(PoolingModules, ErrorsNameTheModulePathAndConfiguration) {
  Net net;
  using strata::randn;
  strata::test::expect_error(
      [&] {
        net(randn({64, 3, 1, 1}));
      },
      "Net.pool1 (MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
      "ceil_mode=false)): input [64, 3, 1, 1] float32 cpu is too small for kernel_size=2x2");
  strata::test::expect_error(
      [&] {
        net(randn({28, 28}));
      },
      "Net.pool1 (MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
      "ceil_mode=false)): expected a 3-d [C, H, W] or 4-d [N, C, H, W] input, got [28, 28]");
  strata::test::expect_error(
      [&] {
        net.pool2(randn({2, 3, 4, 5}));
      },
      "Net.pool2 (AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))): expected a 2-d");
  strata::test::expect_error([&] { net.gap(randn({5})); },
                             "Net.gap (AdaptiveAvgPool2d(output_size=(2, 3))): expected a 3-d");
  strata::test::expect_error(
      [&] {
        net.mp1.forward_with_indices(randn({2, 3}));
      },
      "Net.mp1 (MaxPool1d(kernel_size=4, stride=4, padding=0, dilation=1, ceil_mode=false)): "
      "input [2, 3] float32 cpu is too small");
  nn::MaxPool2d bad_pad(2, 2, 3);
  strata::test::expect_error(
      [&] {
        bad_pad(randn({1, 1, 8, 8}));
      },
      "MaxPool2d (MaxPool2d(kernel_size=2, stride=2, padding=3, dilation=1, ceil_mode=false)): "
      "padding must be at most half the kernel size");
}

TEST(PoolingModules, ReprsAndForwardsAgreeWithTheFunctionalForms) {
  nn::MaxPool2d mp({3, 2}, {{2, 1}}, {1, 0}, 1, true);
  EXPECT_TRUE(mp.return_indices());
  EXPECT_EQ(repr_of(mp),
            "MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=1, ceil_mode=false)");
  const Tensor x = strata::randn({2, 3, 7, 6});
  auto [y, idx] = mp.forward_with_indices(x);
  EXPECT_TRUE(strata::allclose(y, nn::functional::max_pool2d(x, {3, 2}, {{2, 1}}, {1, 0})));
  EXPECT_TRUE(strata::allclose(mp(x), y));
  EXPECT_EQ(repr_of(nn::AvgPool2d(3, 2, 1, true, false, 4)), "AvgPool2d(kernel_size=3, stride=2, padding=1)");
  EXPECT_EQ(repr_of(nn::AdaptiveAvgPool1d(3)), "AdaptiveAvgPool1d(output_size=3)");
  // Pooling layers hold no parameters or buffers.
  Net net;
  EXPECT_TRUE(net.state_dict().empty());
}
