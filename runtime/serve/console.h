// The web console of `convey serve` (docs/serve.md, "Web console"): pages
// that show the processes with their counters, a process drawn with live
// per-node counts and the tasks in a chosen node, and a task's data and
// history. The pages are static HTML, CSS and JavaScript compiled into the
// binary (runtime/serve/console/, console_assets.h); their scripts fetch
// the console's own JSON routes (console_views.h) and build the page from
// it as text.
//
// Routes (all GET unless said):
//   /  /console/                       the processes
//   /console/process/{conv_id}         a process (page)
//   /console/process/{conv_id}.svg     its picture, with counts
//   /console/task/{obj_id}             a task (page)
//   /console/assets/{file}             the pages' CSS and JavaScript
//   /console/api/session               {"login","may_write"}
//   /console/api/processes             the processes' counters
//   /console/api/process/{conv_id}     one process, per node
//   /console/api/process/{conv_id}/tasks?node_id=&ref_prefix=&cursor=&limit=
//   /console/api/task/{obj_id}         a task with its history
//   POST /console/api/process/{conv_id}/pause, .../resume
//   POST /console/api/task/{obj_id}/move  {"node_id":"..."}
//   POST /console/api/task/{obj_id}/delete
//
// Why its own routes rather than the signed task API: a page cannot sign
// requests without holding the secret in its script, and the console needs
// reads the ops protocol answers in other shapes (per-node counts, the
// picture).
//
// Access: HTTP Basic authentication with an API login and its secret
// (ApiKeys; compared in constant time), on every route, pages and assets
// included. Reads for every login; the POST routes only for logins allowed
// to write (ApiKeys::AllowConsoleWrites), and only from the console's own
// scripts: they must carry `X-Convey-Console: 1` (a header another site's
// page cannot add without a CORS preflight, which is never granted) and,
// when the browser sends Origin, come from this server's origin. Without
// any API login, or when turned off, the console answers 404 saying so.
// Every answer forbids framing and sniffing, and a Content-Security-Policy
// lets only the console's own scripts run.
#ifndef CONVEY_RUNTIME_SERVE_CONSOLE_H_
#define CONVEY_RUNTIME_SERVE_CONSOLE_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "runtime/serve/api_keys.h"
#include "runtime/serve/process_catalog.h"
#include "runtime/serve/serve_request.h"

namespace convey::serve {

class Console {
 public:
  // `engine`, `catalog` and `keys` are borrowed. `enabled` false: every
  // route answers 404 (the console is off).
  Console(Engine& engine, const ProcessCatalog& catalog, const ApiKeys& keys, bool enabled)
      : engine_(engine), catalog_(catalog), keys_(keys), enabled_(enabled && !keys.empty()) {}

  // Whether `path` is the console's: "/", "/console" and below.
  static bool Owns(absl::string_view path);

  // Answers a request for one of the console's paths. Thread-safe.
  ServeResponse Handle(const ServeRequest& request);

 private:
  // The login of a request whose Basic credentials are right, else nullopt.
  std::optional<std::string> SignedIn(const ServeRequest& request) const;
  ServeResponse Read(const ServeRequest& request, absl::string_view path, const std::string& login);
  ServeResponse Write(const ServeRequest& request, absl::string_view path,
                      const std::string& login);

  Engine& engine_;
  const ProcessCatalog& catalog_;
  const ApiKeys& keys_;
  const bool enabled_;
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_CONSOLE_H_
