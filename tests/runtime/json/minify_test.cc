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

// Minify(element) writes what simdjson::minify(element) writes, byte for
// byte: doubles in simdjson's own shortest form (where std::to_chars would
// write 123456789012345680 it writes 1.2345678901234568e17), every escape,
// strings of every length up to past four SSE2 blocks with an escaped byte at
// each place (the writer checks 8 or 16 bytes at a time, the last step
// overlapping) and integers at their limits.
TEST(MinifyElementTest, WritesWhatSimdjsonWrites) {
  std::vector<std::string> documents = Samples();
  documents.push_back(
      "[0.0,-0.0,1.0,-1.5,0.1,1e-4,1.5e-5,0.00012,1e15,1e16,123456789012345678.0,1e21,"
      "1.7976931348623157e308,5e-324,2.2250738585072014e-308,123456.789e3,-9.5e-7,"
      "9223372036854775807,-9223372036854775808,18446744073709551615]");
  documents.push_back(
      R"({"":"","k\u0000":"\u001f\b\t\n\f\r\"\\\/","é":"ü€😀","a":{"b":[{},[],null,true,false]}})");
  for (size_t size = 0; size <= 70; ++size) {
    for (size_t at = 0; at <= size; ++at) {
      for (const char* escape : {"\\\"", "\\\\", "\\u0001", "\\n"}) {
        std::string text(size, 'x');
        if (at < size) text.replace(at, 1, escape);
        documents.push_back("{\"" + text + "\":[\"" + text + "\"]}");
      }
    }
  }
  simdjson::dom::parser parser;
  for (const std::string& document : documents) {
    simdjson::dom::element element;
    ASSERT_EQ(parser.parse(document).get(element), simdjson::SUCCESS) << document;
    EXPECT_EQ(Minify(element), simdjson::minify(element)) << document;
    if (element.is_array()) {  // and each element alone
      for (simdjson::dom::element item : element.get_array().value_unsafe()) {
        EXPECT_EQ(Minify(item), simdjson::minify(item)) << simdjson::minify(item);
      }
    }
  }
}

// The buffer kept between calls: a large text, then small ones, then a
// large one again, each whole and alone.
TEST(MinifyElementTest, TextsOfEverySizeOneAfterAnother) {
  simdjson::dom::parser parser;
  for (size_t size : {size_t{10}, size_t{5000}, size_t{3}, size_t{900}, size_t{1100}, size_t{70000},
                      size_t{0}, size_t{1023}, size_t{1024}}) {
    const std::string document = "[\"" + std::string(size, 'y') + "\",1.5]";
    simdjson::dom::element element;
    ASSERT_EQ(parser.parse(document).get(element), simdjson::SUCCESS);
    EXPECT_EQ(Minify(element), document) << size;
  }
}

TEST(MinifyTextTest, ChoosesAKernelThisCpuRuns) {
  EXPECT_TRUE(MinifyImplementation().supported_by_runtime_system());
}

}  // namespace
}  // namespace internal
}  // namespace convey
