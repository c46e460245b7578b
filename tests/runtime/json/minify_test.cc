#include "runtime/json/minify.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

std::vector<std::string> Samples() {
  std::vector<std::string> samples = {
      "{}",
      " [ 1 , 2 ,\n\t3 ] ",
      R"({ "a" : "x y\" z" , "b" : [ true , null , -1.5e3 ] })",
      R"({"keep spaces":"  inside  strings  ","esc":"\\ \" \u0041"})",
  };
  // Longer than one 64-byte block, with strings crossing block edges.
  std::string long_text = "{";
  for (int i = 0; i < 200; ++i) {
    long_text += "\n  \"key " + std::to_string(i) + "\" :  \"value   " + std::string(i % 70, ' ') +
                 "end\" ,";
  }
  long_text += " \"last\" : { \"n\" : [ 1 ,  2 ] } }";
  samples.push_back(long_text);
  return samples;
}

// Every kernel simdjson can run here writes the same text; MinifyText
// writes it too, whichever kernel it chose.
TEST(MinifyTextTest, SameTextAsEverySimdjsonKernel) {
  for (const std::string& text : Samples()) {
    std::string compact;
    ASSERT_EQ(MinifyText(text, &compact), simdjson::SUCCESS) << text;
    for (const simdjson::implementation* kernel : simdjson::get_available_implementations()) {
      if (!kernel->supported_by_runtime_system()) continue;
      std::string expected(text.size(), '\0');
      size_t size = 0;
      ASSERT_EQ(kernel->minify(reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                               reinterpret_cast<uint8_t*>(expected.data()), size),
                simdjson::SUCCESS);
      expected.resize(size);
      EXPECT_EQ(compact, expected) << kernel->name();
    }
  }
}

TEST(MinifyTextTest, ReplacesWhatTheOutputHeld) {
  std::string compact = "something long that was there before";
  ASSERT_EQ(MinifyText(" { \"a\" : 1 } ", &compact), simdjson::SUCCESS);
  EXPECT_EQ(compact, R"({"a":1})");
}

TEST(MinifyTextTest, RefusesAnUnclosedString) {
  std::string compact = "x";
  EXPECT_NE(MinifyText(R"({"a":"never closed)", &compact), simdjson::SUCCESS);
  EXPECT_TRUE(compact.empty());
}

TEST(MinifyTextTest, ChoosesAKernelThisCpuRuns) {
  EXPECT_TRUE(MinifyImplementation().supported_by_runtime_system());
}

}  // namespace
}  // namespace internal
}  // namespace convey
