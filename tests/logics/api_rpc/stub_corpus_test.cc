// The stubbed Call-a-Process node of corpus file 036 (corezoid-ai-plugin),
// imported as the engine imports it (each logic kept as its JSON object) and
// compiled by the built-in api_rpc, which reads its stub branches:
// its `mode == "error"` branch throws to the error node, any other task
// gets the `keys` reply.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/import/importer.h"
#include "schema/process.pb.h"
#include "tests/logics/fakes.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::IsOk;

constexpr char kFile[] =
    "external/shared_corpus/valid/036_corezoid_corezoid-ai-plugin_stubbed_api_rpc.json";
constexpr char kStubNode[] = "bbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kErrorNode[] = "dddddddddddddddddddddddd";

// A fake builder that knows the imported process's nodes.
testing::FakeBuilder ProcessBuilderFor(const schema::Process& process) {
  std::vector<std::string> ids;
  for (const schema::Node& node : process.nodes()) ids.push_back(node.id());
  return testing::FakeBuilder(std::move(ids));
}

TEST(StubCorpusTest, BranchesOfTheRealExport) {
  std::ifstream in(kFile, std::ios::binary);
  ASSERT_TRUE(in.good()) << kFile;
  std::ostringstream text;
  text << in.rdbuf();
  internal::ImportResult imported = internal::ImportScheme(kFile, text.str());
  ASSERT_TRUE(imported.ok());
  ASSERT_EQ(imported.scheme().processes_size(), 1);
  const schema::Process& process = imported.scheme().processes(0);
  const schema::Node* stub = nullptr;
  int error_index = -1;
  for (int i = 0; i < process.nodes_size(); ++i) {
    if (process.nodes(i).id() == kStubNode) stub = &process.nodes(i);
    if (process.nodes(i).id() == kErrorNode) error_index = i;
  }
  ASSERT_NE(stub, nullptr);
  ASSERT_EQ(stub->kind(), schema::NODE_KIND_STUB);
  ASSERT_EQ(stub->stub_size(), 2);
  ASSERT_EQ(stub->logics(0).type(), "api_rpc");
  // A go_if_const and its reply, then a reply alone.
  std::vector<std::vector<std::string>> branches;
  std::vector<std::vector<std::string>> types;
  for (const schema::StubBranch& branch : stub->stub()) {
    branches.emplace_back();
    types.emplace_back();
    for (const schema::Logic& step : branch.logics()) {
      branches.back().push_back(step.json());
      types.back().push_back(step.type());
    }
  }
  EXPECT_THAT(types, ElementsAre(ElementsAre("go_if_const", "api_rpc_reply"),
                                 ElementsAre("api_rpc_reply")));

  testing::FakeBuilder builder = ProcessBuilderFor(process);
  absl::StatusOr<std::unique_ptr<Logic>> logic =
      testing::Build(stub->logics(0).json(), builder, NodeKind::kStub, branches);
  ASSERT_THAT(logic, IsOk());
  EXPECT_THAT(builder.referenced, IsEmpty());  // conv_id 123456 is never called
  EXPECT_THAT(testing::Warnings(builder), IsEmpty());

  testing::FakeTask error(R"j({"mode":"error","objId":"o-1"})j");
  LogicResult result = (*logic)->Run(error);
  EXPECT_EQ(result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(static_cast<int>(result.node.index), error_index);
  EXPECT_THAT(error.writes,
              ElementsAre(R"j(status="error")j", "__logic_stub_mode__=true",
                          R"j(__conveyor_rpc_reply_return_type_error__="software")j",
                          R"j(__conveyor_rpc_reply_return_type_tag__="rpc_reply_exception")j",
                          R"j(__conveyor_rpc_reply_return_description__="stub error")j"));

  // group "all": the task's own keys are sent, so the keys reply finds them.
  testing::FakeTask ok(R"j({"mode":"live","objId":"o-2","stub_node_response":"fine"})j");
  EXPECT_EQ((*logic)->Run(ok).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(ok.writes, ElementsAre(R"j(stub_node_response="fine")j", "__logic_stub_mode__=true"));
  EXPECT_THAT(ok.called, IsEmpty());
}

}  // namespace
}  // namespace convey
