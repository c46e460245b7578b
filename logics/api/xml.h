// JSON <-> XML as the platform's API Call converts them (Part B §3.4): an
// element's attributes are `@name` keys, its text is `#value`, and repeated
// child elements are an array.
//
//   <order id="7"><item>a</item><item>b</item><note>hi</note></order>
//   {"order": {"@id": "7", "item": ["a", "b"], "note": "hi"}}
//
// Both directions are pure functions of their input and safe on any thread.
#ifndef CONVEY_LOGICS_API_XML_H_
#define CONVEY_LOGICS_API_XML_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runtime/json/utf8.h"  // ValidUtf8, used with XmlToJson
#include "simdjson.h"

namespace convey {
namespace internal {

// Elements nested deeper than this are refused both ways (the conversions
// recurse).
inline constexpr int kMaxXmlDepth = 256;

// Writes `value` as the document element `root_name`, with an XML
// declaration, without indentation. An object gives attributes (`@name`),
// text (`#value`) and child elements (an array value: one element per item);
// a string, number or boolean gives text; null an empty element. InvalidArgument
// saying which key for a name that is not an XML name, a root that is an
// array, or nesting deeper than kMaxXmlDepth.
absl::Status JsonToXml(absl::string_view root_name, simdjson::dom::element value, std::string* out);

// Converts an XML document to the compact JSON object `{"<root>": ...}`. An
// element with neither attributes nor child elements is its text (a string,
// "" when empty); any other is an object: `@name` per attribute, one key per
// child element name in order of first appearance (an array when the name
// repeats), and `#value` for its text when that is not only whitespace.
// Names keep their prefixes (`soap:Envelope`); invalid UTF-8 is replaced by
// U+FFFD. InvalidArgument with the parser's reason and byte offset for text
// that is not well-formed XML, or nesting deeper than kMaxXmlDepth.
absl::Status XmlToJson(absl::string_view xml, std::string* out);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_LOGICS_API_XML_H_
