#include "runtime/import/scheme_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {
namespace {

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

absl::Status TooLarge(const std::string& path, size_t max_size, std::string size) {
  return absl::ResourceExhaustedError(absl::StrCat(path, ": the file is ", size,
                                                   " bytes, over the import limit of ", max_size,
                                                   " bytes (ImportLimits::max_file_size)"));
}

}  // namespace

absl::StatusOr<std::string> ReadSchemeFile(const std::string& path, size_t max_size) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": is a directory, not a scheme file"));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int code = errno;
    return absl::ErrnoToStatus(code, absl::StrCat(path, ": cannot open the file"));
  }
  // A regular file's size is known before reading it; devices and pipes are
  // read up to the limit.
  const size_t allowed = max_size + kUtf8Bom.size();
  struct stat info;
  if (fstat(fileno(file), &info) == 0 && S_ISREG(info.st_mode) &&
      static_cast<uint64_t>(info.st_size) > allowed) {
    std::fclose(file);
    return TooLarge(path, max_size, absl::StrCat(info.st_size));
  }
  std::string contents;
  char buffer[1 << 16];
  size_t read;
  while (contents.size() <= allowed && (read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    contents.append(buffer, read);
  }
  const bool failed = std::ferror(file) != 0;
  const int code = errno;
  std::fclose(file);
  if (failed) return absl::ErrnoToStatus(code, absl::StrCat(path, ": read failed"));
  const size_t size =
      contents.size() - (absl::StartsWith(contents, kUtf8Bom) ? kUtf8Bom.size() : 0);
  if (size > max_size) return TooLarge(path, max_size, absl::StrCat("more than ", max_size));
  return contents;
}

}  // namespace internal
}  // namespace convey
