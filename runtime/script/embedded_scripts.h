// JavaScript sources compiled into the library (see :embed_files): the
// libraries Code nodes may require, and convey's own scripts.
#ifndef CONVEY_RUNTIME_SCRIPT_EMBEDDED_SCRIPTS_H_
#define CONVEY_RUNTIME_SCRIPT_EMBEDDED_SCRIPTS_H_

#include <cstddef>

namespace convey {
namespace internal {

struct EmbeddedScript {
  const char* name;  // e.g. "cryptojs/rollups/sha1.js"
  const char* text;
  size_t size;
};

extern const EmbeddedScript kEmbeddedScripts[];
extern const int kEmbeddedScriptCount;

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_SCRIPT_EMBEDDED_SCRIPTS_H_
