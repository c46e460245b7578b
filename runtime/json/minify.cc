#include "runtime/json/minify.h"

#include <string_view>

namespace convey {
namespace internal {

std::string Minify(simdjson::dom::element element) {
  // simdjson's own builder (what simdjson::minify uses), kept per thread.
  thread_local simdjson::internal::string_builder<> builder;
  builder.clear();
  builder.append(element);
  const std::string_view view = builder.str();
  std::string text(view.data(), view.size());
  // A very large element (a long Code node source) would stay held.
  if (text.size() > (size_t{1} << 20)) builder = simdjson::internal::string_builder<>();
  return text;
}

}  // namespace internal
}  // namespace convey
