// Every API Call of the real exports in shared/corpus/valid, imported as the
// engine imports it (each logic kept as its JSON), deploys with the built-in
// `api` logic reading that JSON; the Stripe sample's two calls build the
// requests their process expects.
#include <dirent.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/import/importer.h"
#include "runtime/import/scheme_locations.h"
#include "schema/process.pb.h"
#include "tests/logics/fakes.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace {

using ::testing::ElementsAre;
using testing::IsOk;
using ::testing::Pair;

constexpr char kDir[] = "external/shared_corpus/valid";

// A fake builder that knows the imported process's nodes.
testing::FakeBuilder ProcessBuilderFor(const schema::Process& process) {
  std::vector<std::string> ids;
  for (const schema::Node& node : process.nodes()) ids.push_back(node.id());
  return testing::FakeBuilder(std::move(ids));
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  DIR* dir = opendir(kDir);
  if (dir == nullptr) return files;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json") {
      files.push_back(std::string(kDir) + "/" + name);
    }
  }
  closedir(dir);
  return files;
}

internal::ImportResult Import(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return internal::ImportScheme(file, text.str());
}

TEST(ApiCorpusTest, EveryApiCallDeploys) {
  const std::vector<std::string> files = CorpusFiles();
  ASSERT_FALSE(files.empty()) << kDir;
  int api_logics = 0;
  for (const std::string& file : files) {
    internal::ImportResult imported = Import(file);
    if (!imported.ok()) continue;  // the importer's own tests cover these
    for (const schema::Process& process : imported.scheme().processes()) {
      for (int i = 0; i < process.nodes_size(); ++i) {
        const schema::Node& node = process.nodes(i);
        for (int j = 0; j < node.logics_size(); ++j) {
          const schema::Logic& logic = node.logics(j);
          if (logic.type() != "api") continue;
          ++api_logics;
          testing::FakeBuilder builder = ProcessBuilderFor(process);
          absl::StatusOr<std::unique_ptr<Logic>> built = testing::Build(logic.json(), builder);
          EXPECT_THAT(built, IsOk())
              << file << " node " << node.id() << " "
              << internal::LogicLocation(internal::NodeLocation(process, i), j) << ": "
              << built.status();
        }
      }
    }
  }
  EXPECT_GT(api_logics, 20);
}

TEST(ApiCorpusTest, StripeSampleRequests) {
  internal::ImportResult imported =
      Import(std::string(kDir) + "/011_corezoid_corezoid-ai-doc_stripe-checkout-v1.json");
  ASSERT_TRUE(imported.ok());
  std::vector<std::pair<const schema::Process*, const schema::Logic*>> calls;
  for (const schema::Process& process : imported.scheme().processes()) {
    for (const schema::Node& node : process.nodes()) {
      for (const schema::Logic& logic : node.logics()) {
        if (logic.type() == "api") calls.push_back({&process, &logic});
      }
    }
  }
  ASSERT_EQ(calls.size(), 2u);
  const std::string data =
      R"j({"url":"https://api.stripe.test","pathAndQuery":"/v1/checkout/sessions?expand[]=x",)j"
      R"j("secretKey":"sk_test_1","requestBody":"mode=payment&success_url=https%3A%2F%2Fa.test"})j";
  for (const auto& [process, logic] : calls) {
    testing::FakeBuilder builder = ProcessBuilderFor(*process);
    absl::StatusOr<std::unique_ptr<Logic>> built = testing::Build(logic->json(), builder);
    ASSERT_THAT(built, IsOk());
    testing::FakeTask task(data);
    EXPECT_EQ((*built)->Run(task).kind, LogicResult::Kind::kPark);
    ASSERT_EQ(task.http_sent.size(), 1u);
    const HttpRequest& request = task.http_sent[0];
    // The URL is built by the process from two values: URL text, kept.
    EXPECT_EQ(request.url, "https://api.stripe.test/v1/checkout/sessions?expand[]=x");
    if (request.method == "POST") {
      EXPECT_EQ(request.body, "mode=payment&success_url=https%3A%2F%2Fa.test");
      EXPECT_THAT(
          request.headers,
          ElementsAre(Pair("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
                      Pair("Authorization", "Bearer sk_test_1")));
    } else {
      EXPECT_EQ(request.method, "GET");
      EXPECT_EQ(request.body, "");
      EXPECT_THAT(request.headers,
                  ElementsAre(Pair("content-type", "application/json; charset=utf-8"),
                              Pair("Authorization", "Bearer sk_test_1"),
                              Pair("Content-Type", "application/x-www-form-urlencoded")));
    }
  }
}

}  // namespace
}  // namespace convey
