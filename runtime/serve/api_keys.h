// The API logins `convey serve` accepts and their secrets.
//
// Given on the command line (`--api-key LOGIN:SECRET`, repeatable) or in a
// file (`--api-keys FILE`: one `LOGIN:SECRET` per line; blank lines and
// lines starting with `#` are skipped). A login is 1..128 bytes of letters,
// digits, `_`, `-` and `.` (it is a URL path segment); a secret is 1..1024
// bytes without line breaks. A login given twice is an error.
//
// The web console (console.h) signs in with the same logins and secrets
// and is read-only for every login but those allowed to write there
// (`--console-writer LOGIN`): pause and resume processes, move and delete
// tasks. The task API itself is not affected (a signed request may do
// anything the ops protocol does).
#ifndef CONVEY_RUNTIME_SERVE_API_KEYS_H_
#define CONVEY_RUNTIME_SERVE_API_KEYS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace convey::serve {

class ApiKeys {
 public:
  // Adds one `LOGIN:SECRET`; `where` names its origin in errors
  // ("--api-key", "keys.txt:3").
  absl::Status Add(absl::string_view login_and_secret, absl::string_view where);
  // Adds every key of a keys file.
  absl::Status AddFile(const std::string& path);

  // The secret of `login`, or null.
  const std::string* SecretOf(absl::string_view login) const;

  // Lets a configured `login` change things from the web console;
  // InvalidArgument naming `where` for a login not configured.
  absl::Status AllowConsoleWrites(absl::string_view login, absl::string_view where);
  bool MayWriteFromConsole(absl::string_view login) const {
    return console_writers_.contains(login);
  }
  bool empty() const { return secrets_.empty(); }
  size_t size() const { return secrets_.size(); }

 private:
  absl::flat_hash_map<std::string, std::string> secrets_;
  absl::flat_hash_set<std::string> console_writers_;
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_API_KEYS_H_
