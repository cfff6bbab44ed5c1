// Every op against PyTorch 1.13: forward values and gradients recorded by tools/gen_fixtures.py in
// tests/fixtures/ops/<op>.json. Each op is a test suite (Golden_<op>) with one test per recorded
// case, so a failure names both. Forward outputs are compared first; then the scalar
// sum((out * upstream).sum()) is backpropagated and every input's gradient compared.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "golden/golden_ops.h"

namespace {

using namespace golden;
using strata::Tensor;
namespace fs = std::filesystem;

const fs::path kFixtureDir = fs::path(STRATA_FIXTURES_DIR) / "ops";

// Cases where strata disagrees with PyTorch beyond tolerance: "op/case" -> what differs. Each is a
// bug in the op (not in the fixture); delete its line when the op is fixed.
const std::map<std::string, std::string>& known_mismatches() {
  static const std::map<std::string, std::string> mismatches = {};
  return mismatches;
}

void check_case(const std::string& op_name, const Json& c) {
  const auto it = golden_ops().find(op_name);
  if (it == golden_ops().end())
    FAIL() << "the fixture op '" << op_name
           << "' has no strata call in golden_ops() (tests/golden/golden_ops.h)";
  const std::string name = c.at("name").get<std::string>();
  if (const auto m = known_mismatches().find(op_name + "/" + name); m != known_mismatches().end())
    GTEST_SKIP() << "mismatch: " << m->second;

  Tensors inputs;
  for (const Json& j : c.at("inputs")) inputs.push_back(make_input(j));
  const Params params(c.at("params"));
  Tensors outs;
  try {
    outs = it->second(inputs, params);
  } catch (const std::exception& e) {
    FAIL() << "strata threw: " << e.what();
  }
  const Json& want = c.at("outputs");
  ASSERT_EQ(outs.size(), want.size()) << "number of outputs";
  for (size_t k = 0; k < outs.size(); ++k)
    EXPECT_TRUE(matches("output " + std::to_string(k), outs[k], want[k]));
  if (!c.contains("upstream")) return;

  const Json& upstream = c.at("upstream");
  Tensor loss;
  for (size_t k = 0; k < outs.size(); ++k) {
    if (upstream[k].is_null()) continue;
    ASSERT_TRUE(outs[k].requires_grad()) << "output " << k << " should require grad, as in PyTorch";
    const Tensor term = (outs[k] * make_input(upstream[k])).sum();
    loss = loss.defined() ? loss + term : term;
  }
  try {
    loss.backward();
  } catch (const std::exception& e) {
    FAIL() << "backward threw: " << e.what();
  }
  const Json& grads = c.at("grads");
  ASSERT_EQ(grads.size(), inputs.size()) << "fixture: one gradient entry per input";
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (grads[i].is_null()) continue;
    const std::string what = "gradient of input " + std::to_string(i);
    const Tensor g = inputs[i].grad();
    // An input the output does not depend on may get no gradient at all; PyTorch records zeros.
    if (!g.defined())
      EXPECT_TRUE(all_zero(grads[i])) << what << ": strata computed none";
    else
      EXPECT_TRUE(matches(what, g, grads[i]));
  }
}

class GoldenCase : public ::testing::Test {
 public:
  GoldenCase(std::string op, Json c) : op_(std::move(op)), case_(std::move(c)) {}
  void TestBody() override { check_case(op_, case_); }

 private:
  std::string op_;
  Json case_;
};

class LoadError : public ::testing::Test {
 public:
  explicit LoadError(std::string message) : message_(std::move(message)) {}
  void TestBody() override { FAIL() << message_; }

 private:
  std::string message_;
};

std::vector<fs::path> fixture_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kFixtureDir))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Runs before main (static initialisation), so it must not throw: a file that cannot be read
// becomes a failing test that says why.
bool register_golden_tests() {
  auto report = [](const std::string& name, const std::string& message) {
    ::testing::RegisterTest("GoldenFixtures", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [message]() -> ::testing::Test* { return new LoadError(message); });
  };
  std::vector<fs::path> files;
  try {
    files = fixture_files();
  } catch (const std::exception& e) {
    report("Load", std::string("cannot list ") + kFixtureDir.string() + ": " + e.what());
    return false;
  }
  if (files.empty()) report("Load", "no fixtures in " + kFixtureDir.string() + "; run tools/gen_fixtures.py");
  for (const fs::path& file : files) {
    try {
      const Json j = load_json(file.string());
      const std::string op = j.at("op").get<std::string>();
      if (op != file.stem().string()) throw std::runtime_error("holds op '" + op + "'");
      for (const Json& c : j.at("cases")) {
        const std::string name = c.at("name").get<std::string>();
        ::testing::RegisterTest(("Golden_" + op).c_str(), name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                                [op, c]() -> ::testing::Test* { return new GoldenCase(op, c); });
      }
    } catch (const std::exception& e) {
      report("Load_" + file.stem().string(), file.string() + ": " + e.what());
    }
  }
  return true;
}

const bool registered = register_golden_tests();

std::set<std::string> fixture_ops() {
  std::set<std::string> ops;
  for (const fs::path& file : fixture_files()) ops.insert(file.stem().string());
  return ops;
}

TEST(GoldenFixtures, EveryOpInTheTableHasAFixture) {
  ASSERT_TRUE(registered);
  const std::set<std::string> ops = fixture_ops();
  for (const auto& [name, entry] : golden_ops())
    EXPECT_TRUE(ops.count(name)) << "no " << name << ".json in " << kFixtureDir
                                 << "; run tools/gen_fixtures.py";
}

TEST(GoldenFixtures, EveryFixtureOpIsInTheTable) {
  for (const std::string& name : fixture_ops())
    EXPECT_TRUE(golden_ops().count(name)) << name << " has fixtures but no strata call in golden_ops()";
}

TEST(GoldenFixtures, EveryKnownMismatchNamesARecordedCase) {
  for (const auto& [key, why] : known_mismatches()) {
    const std::string op = key.substr(0, key.find('/')), name = key.substr(key.find('/') + 1);
    bool found = false;
    if (fs::exists(kFixtureDir / (op + ".json")))
      for (const Json& c : load_json((kFixtureDir / (op + ".json")).string()).at("cases"))
        found = found || c.at("name") == name;
    EXPECT_TRUE(found) << "known_mismatches() names " << key << ", which is not a recorded case";
  }
}

// The comparison itself must catch a wrong value, a wrong dtype and a wrong shape.
TEST(GoldenFixtures, ComparisonRejectsWrongResults) {
  const Json want = Json::parse(R"({"dtype":"float32","shape":[2],"data":[1.0,"nan"]})");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto f32 = [](std::vector<float> v) { return strata::from_vector(v); };
  EXPECT_TRUE(matches("x", f32({1.000001f, nan}), want));
  EXPECT_FALSE(matches("x", f32({1.0001f, nan}), want));
  EXPECT_FALSE(matches("x", f32({1.0f, 0.0f}), want));
  EXPECT_FALSE(matches("x", strata::from_vector(std::vector<double>{1.0, std::nan("")}), want));
  const auto wrong_shape = matches("x", strata::from_vector(std::vector<float>{1.0f, nan}, {1, 2}), want);
  EXPECT_FALSE(wrong_shape);
  EXPECT_NE(std::string(wrong_shape.message()).find("shape"), std::string::npos) << wrong_shape.message();
}

}  // namespace
