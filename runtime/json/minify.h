// The compact text of a simdjson DOM element, exactly as simdjson::minify
// writes it, through a buffer each thread keeps: simdjson::minify(element)
// grows a fresh buffer from nothing and frees it on every call, which was a
// fifth of an import's time (its logics and options are kept as text).
#ifndef CONVEY_RUNTIME_JSON_MINIFY_H_
#define CONVEY_RUNTIME_JSON_MINIFY_H_

#include <string>

#include "simdjson.h"

namespace convey {
namespace internal {

std::string Minify(simdjson::dom::element element);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_MINIFY_H_
