// Reading a scheme file from disk, with errors that name the file.
#ifndef CONVEY_RUNTIME_IMPORT_SCHEME_FILE_H_
#define CONVEY_RUNTIME_IMPORT_SCHEME_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace convey {
namespace internal {

// The whole file. FailedPrecondition for a directory; the errno status
// (NotFound, PermissionDenied, ...) when it cannot be opened or read.
absl::StatusOr<std::string> ReadSchemeFile(const std::string& path);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_SCHEME_FILE_H_
