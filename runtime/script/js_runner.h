// Running Code node JavaScript (`api_code`) on SpiderMonkey.
//
// Each thread that runs scripts gets its own JavaScript context, made on
// first use and kept for the thread's life: one global whose built-ins are
// frozen at start (lockdown.js), the scripts and libraries compiled once
// per context, and a fresh environment per execution for the script's own
// globals. So nothing one execution does is seen by the next, at the cost
// of an environment object, not of a new global (~1 ms in SpiderMonkey).
// A watchdog thread interrupts a script that passes its time limit; a
// context that runs out of its heap is thrown away and made again.
#ifndef CONVEY_RUNTIME_SCRIPT_JS_RUNNER_H_
#define CONVEY_RUNTIME_SCRIPT_JS_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/logic.h"

namespace convey {
namespace internal {

// The engine's limits for one execution (EngineOptions::code_limits).
using ScriptLimits = ::convey::CodeLimits;

// A Code node's source, checked at deploy; immutable and shared by every
// thread that runs it (each compiles it once into its own context).
class ScriptSource {
 public:
  // Compiles `source` once to check it. InvalidArgument "line L, column C:
  // SyntaxError: ..." for a script that does not compile.
  static absl::StatusOr<std::shared_ptr<const ScriptSource>> Check(absl::string_view source);

  const std::string& text() const { return text_; }
  // The source has a top-level `return` (allowed on the platform): it runs
  // inside a function, and a returned object becomes the task's data.
  bool wrapped() const { return wrapped_; }
  uint64_t id() const { return id_; }

 private:
  ScriptSource(std::string text, bool wrapped, uint64_t id)
      : text_(std::move(text)), wrapped_(wrapped), id_(id) {}
  std::string text_;
  bool wrapped_;
  uint64_t id_;
};

struct ScriptOutcome {
  enum class Kind {
    kOk,            // data_json holds the task's new data (an object)
    kError,         // a thrown exception or a runtime error: message
    kTimeout,       // past ScriptLimits::time_limit
    kOutOfMemory,   // past ScriptLimits::heap_limit_bytes
    kReturnFormat,  // `data` (or the returned value) is not an object
  };
  Kind kind = Kind::kOk;
  std::string data_json;
  std::string message;
};

// Runs `script` with `data_json` (a JSON object) as its global `data`, on
// the calling thread's context.
ScriptOutcome RunScript(const ScriptSource& script, absl::string_view data_json,
                        const ScriptLimits& limits);

// Bytes of the calling thread's JavaScript heap (0 before its first
// script): for measurements.
size_t ScriptHeapBytes();

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_SCRIPT_JS_RUNNER_H_
