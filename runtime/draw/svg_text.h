// Text in the SVG of runtime/draw: escaping for XML, and titles fitted to
// their shapes. Titles and ids come from untrusted scheme files.
#ifndef CONVEY_RUNTIME_DRAW_SVG_TEXT_H_
#define CONVEY_RUNTIME_DRAW_SVG_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

// `text` made safe for XML 1.0 character data and attribute values: & < >
// " ' escaped; characters XML forbids (controls other than tab, newline
// and carriage return, U+FFFE, U+FFFF) dropped; bytes that are not UTF-8
// replaced by U+FFFD.
std::string XmlEscape(absl::string_view text);

// `text` on one line that fits `width` units of 13px sans-serif: tab,
// newline and carriage return become spaces, and a longer text is cut with
// an ellipsis (wide scripts count twice). Not escaped: see XmlEscape.
std::string FitTitle(absl::string_view text, double width);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_DRAW_SVG_TEXT_H_
