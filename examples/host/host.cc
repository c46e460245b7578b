// A host program: deploy the example process, run 100 000 tasks, print the
// sums; then run one more task and wait for its result.
#include <cstdio>
#include <string>

#include "convey/engine.h"

int main(int argc, char** argv) {
  auto engine = convey::Engine::Open(convey::EngineOptions{});
  auto deployed = (*engine)->DeployFile(argc > 1 ? argv[1] : "examples/orders.conv.json");
  if (!deployed.ok()) return std::fprintf(stderr, "%s\n", deployed.status().ToString().c_str()), 1;
  const int64_t conv_id = deployed->conv_ids[0];
  for (int i = 0; i < 100000; ++i) {
    std::string data =
        "{\"price\":" + std::to_string(i % 50) + ",\"qty\":" + std::to_string(i % 40) + "}";
    auto created = (*engine)->CreateTask(conv_id, std::to_string(i), data);
    while (absl::IsResourceExhausted(created.status())) {  // run queue full: let it drain
      (void)(*engine)->WaitIdle(absl::Milliseconds(1));
      created = (*engine)->CreateTask(conv_id, std::to_string(i), data);
    }
    if (!created.ok()) return std::fprintf(stderr, "%s\n", created.status().ToString().c_str()), 1;
  }
  if (!(*engine)->WaitIdle().ok()) return 1;
  const convey::ProcessStats stats = *(*engine)->StatsFor(conv_id);
  for (const convey::NodeStats& node : stats.nodes)
    for (const convey::SumStats& sum : node.sums)
      std::printf("%s: %s = %.0f\n", node.title.c_str(), sum.name.c_str(), sum.value);

  // Run one task and wait for its result.
  auto handle = (*engine)->Submit(conv_id, "one-more", R"({"price":4,"qty":5})");
  if (!handle.ok()) return std::fprintf(stderr, "%s\n", handle.status().ToString().c_str()), 1;
  auto result = handle->Wait(absl::Seconds(10));
  if (!result.ok()) return std::fprintf(stderr, "%s\n", result.status().ToString().c_str()), 1;
  std::printf("one-more: %s in \"%s\" with %s\n",
              std::string(convey::TaskStatusName(result->status)).c_str(),
              result->node_title.c_str(), result->data.c_str());
  return (*engine)->Close(absl::Seconds(10)).ok() ? 0 : 1;
}
