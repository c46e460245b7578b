#include "runtime/import/scheme_file.h"

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {

absl::StatusOr<std::string> ReadSchemeFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": is a directory, not a scheme file"));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int code = errno;
    return absl::ErrnoToStatus(code, absl::StrCat(path, ": cannot open the file"));
  }
  std::string contents;
  char buffer[1 << 16];
  size_t read;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    contents.append(buffer, read);
  }
  const bool failed = std::ferror(file) != 0;
  const int code = errno;
  std::fclose(file);
  if (failed) return absl::ErrnoToStatus(code, absl::StrCat(path, ": read failed"));
  return contents;
}

}  // namespace internal
}  // namespace convey
