// `convey serve --webhooks FILE.json`: webhook subscriptions
// (EngineOptions::webhooks) read from a file, so that their secrets stay
// off the command line.
#ifndef CONVEY_TOOLS_WEBHOOKS_FILE_H_
#define CONVEY_TOOLS_WEBHOOKS_FILE_H_

#include <optional>
#include <string>
#include <vector>

#include "convey/engine.h"

namespace convey {
namespace tools {

// FILE.json holds an array of objects: {"url" (required), "secret",
// "conv_id", "finished", "error", "parked_at": [node ids], "max_attempts",
// "first_retry_seconds", "max_retry_delay_seconds", "timeout_seconds"}.
// Returns what is wrong (naming the entry and key), or nullopt; an
// unknown key is an error (a typo would silently change what is sent).
std::optional<std::string> ReadWebhooksFile(const std::string& path,
                                            std::vector<WebhookSubscription>* webhooks);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_WEBHOOKS_FILE_H_
