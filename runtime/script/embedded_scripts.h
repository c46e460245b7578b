// JavaScript sources compiled into the library (//runtime/base:embed_files):
// the libraries Code nodes may require, and convey's own scripts.
#ifndef CONVEY_RUNTIME_SCRIPT_EMBEDDED_SCRIPTS_H_
#define CONVEY_RUNTIME_SCRIPT_EMBEDDED_SCRIPTS_H_

#include "runtime/base/embedded_file.h"

namespace convey {
namespace internal {

using EmbeddedScript = EmbeddedFile;

extern const EmbeddedScript kEmbeddedScripts[];
extern const int kEmbeddedScriptCount;

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_SCRIPT_EMBEDDED_SCRIPTS_H_
