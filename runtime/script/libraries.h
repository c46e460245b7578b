// The libraries a Code node may `require("libs/<name>.js")` (semantics
// §3.5), and where each one's code comes from (embedded_scripts.h).
#ifndef CONVEY_RUNTIME_SCRIPT_LIBRARIES_H_
#define CONVEY_RUNTIME_SCRIPT_LIBRARIES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

struct ScriptLibrary {
  enum class Scope {
    // Runs in the calling script's environment: what it declares becomes
    // the script's globals (dateutils' fn_* functions), as a browser
    // <script> would; require returns `result_name` from there.
    kCaller,
    // Runs in an environment shared, within one execution, by the libraries
    // with the same `result_name`: the CryptoJS modules add to one CryptoJS
    // object (`var CryptoJS = CryptoJS || ...`), which require returns. Not
    // the caller's: `const CryptoJS = require(...)` would clash with it.
    kShared,
    // Runs in an environment of its own, with `module`/`exports` defined:
    // require returns `module.exports` (moment, xregexp).
    kModule,
    // Runs in an environment of its own without them; require returns the
    // global `result_name` it set (moment-timezone over moment).
    kOwn,
    // Runs in a new global of its own (unfrozen built-ins), with `module`
    // and `exports`: for libraries that change built-in objects (XRegExp's
    // core-js). Costs a global per require.
    kOwnGlobal,
  };
  std::string name;                // "sha1", "moment-timezone", ...
  std::vector<std::string> files;  // embedded script names, run in order
  Scope scope = Scope::kCaller;
  std::string result_name;  // kCaller / kOwn: the global require returns
};

// The library `require(argument)` names ("libs/sha1.js"), or null.
const ScriptLibrary* FindScriptLibrary(absl::string_view argument);

// "libs/sha1.js, libs/md5.js, ...": for error messages.
std::string ScriptLibraryList();

// The embedded text of `name` ("cryptojs/rollups/sha1.js",
// "convey/lockdown.js"); empty if there is none.
absl::string_view EmbeddedScriptText(absl::string_view name);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_SCRIPT_LIBRARIES_H_
