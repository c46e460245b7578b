// The Corezoid task API ("ops protocol") over any Engine: what the
// platform's `POST /api/2/json` endpoint does with a request body.
//
// A request is `{"ops":[op, ...]}`; the reply is
// `{"request_proc":"ok","ops":[result, ...]}` with one result per op, in
// request order. A body that cannot be read as such a request (not JSON, not
// an object, no `ops` array, an empty `ops`, nesting deeper than 64 levels,
// more than 10 000 ops) gives
// `{"request_proc":"format_error","description":"<why>","ops":[]}` and no op
// runs. Each op succeeds or fails on its own: a bad op never stops the others.
// docs/ops.md describes every field and status.
//
// Thread safety: HandleOps keeps no state; it may run concurrently with
// itself and with any other engine call. Ops of one request run one after
// the other, in order. Like any engine call, not from inside a logic's Run
// or an observer.
#ifndef CONVEY_OPS_H_
#define CONVEY_OPS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "convey/engine.h"

namespace convey {

// Handles one request body against `engine`; returns the reply JSON. Never
// fails: every problem is reported inside the reply.
std::string HandleOps(Engine& engine, absl::string_view body);

}  // namespace convey

#endif  // CONVEY_OPS_H_
