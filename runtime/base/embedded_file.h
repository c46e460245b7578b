// A file compiled into the binary by //runtime/base:embed_files (Code
// nodes' JavaScript libraries, the web console's pages).
#ifndef CONVEY_RUNTIME_BASE_EMBEDDED_FILE_H_
#define CONVEY_RUNTIME_BASE_EMBEDDED_FILE_H_

#include <cstddef>

namespace convey {
namespace internal {

struct EmbeddedFile {
  const char* name;  // as given to embed_files: "cryptojs/rollups/sha1.js", "process.html"
  const char* text;
  size_t size;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_BASE_EMBEDDED_FILE_H_
