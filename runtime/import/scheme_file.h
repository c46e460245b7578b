// Reading a scheme file from disk, with errors that name the file.
#ifndef CONVEY_RUNTIME_IMPORT_SCHEME_FILE_H_
#define CONVEY_RUNTIME_IMPORT_SCHEME_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace convey {
namespace internal {

// The whole file, if it holds at most `max_size` bytes (not counting a UTF-8
// BOM). Reading stops one byte past the limit, so a huge file or a device
// like /dev/zero costs no more memory than the limit: ResourceExhausted.
// FailedPrecondition for a directory; the errno status (NotFound,
// PermissionDenied, ...) when it cannot be opened or read.
absl::StatusOr<std::string> ReadSchemeFile(const std::string& path, size_t max_size);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_SCHEME_FILE_H_
