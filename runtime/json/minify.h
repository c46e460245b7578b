// Compact JSON text, exactly as simdjson::minify writes it.
//
// Minify(element): through dom_writer.h's writer, in a buffer each thread
// keeps (up to 1 KB): simdjson::minify(element) grows a fresh std::vector
// from nothing, one insert per token, and frees it on every call (a fifth
// of an import's time once; its logics and options are kept as text).
//
// MinifyText(text): through the fastest of simdjson's kernels for this CPU.
// simdjson (before 3.12) picks its AVX-512 kernel on AMD Zen 4 and later,
// whose minifier stores with `vpcompressb` to memory, microcoded there: 5x
// slower than the AVX2 kernel (simdjson issue 2334); parsing is not hit.
#ifndef CONVEY_RUNTIME_JSON_MINIFY_H_
#define CONVEY_RUNTIME_JSON_MINIFY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace convey {
namespace internal {

std::string Minify(simdjson::dom::element element);

// Writes `text`, compact, to `*out` (replacing what it held). An error when
// `text` is not valid JSON as far as the minifier checks (unclosed strings).
simdjson::error_code MinifyText(absl::string_view text, std::string* out);

// The simdjson kernel MinifyText uses ("haswell", "icelake", ...).
const simdjson::implementation& MinifyImplementation();

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_MINIFY_H_
