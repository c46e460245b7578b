// The web console's static files (runtime/serve/console/), compiled into
// `convey serve` by //runtime/base:embed_files: the pages are served from the
// binary, so a deployed server needs no files beside it.
#ifndef CONVEY_RUNTIME_SERVE_CONSOLE_ASSETS_H_
#define CONVEY_RUNTIME_SERVE_CONSOLE_ASSETS_H_

#include "runtime/base/embedded_file.h"

namespace convey::serve {

// Named by file: "process.html", "console.css".
using ConsoleAsset = internal::EmbeddedFile;

extern const ConsoleAsset kConsoleAssets[];
extern const int kConsoleAssetCount;

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_CONSOLE_ASSETS_H_
