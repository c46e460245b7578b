// A strict reader of the XML that convey's SVG writer produces, for tests:
// it checks well-formedness (XML 1.0: nesting, quoting, entities, allowed
// characters, one root) and gives the element tree to query. It reads the
// prolog's XML declaration, elements, attributes, character data, the five
// predefined entities and numeric character references; comments, CDATA,
// processing instructions and DTDs are refused (the writer makes none).
#ifndef CONVEY_TESTS_SUPPORT_XML_READER_H_
#define CONVEY_TESTS_SUPPORT_XML_READER_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convey {
namespace testing {

struct XmlElement {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  // values unescaped
  std::string text;  // the character data directly inside, unescaped, joined
  std::vector<XmlElement> children;

  // The attribute's value, or "" when absent.
  std::string Attribute(absl::string_view attribute) const;
  // Whether the class attribute holds `css_class` as one of its words.
  bool HasClass(absl::string_view css_class) const;
  // Every element below this one (not itself), in document order, that
  // `match` accepts.
  std::vector<const XmlElement*> FindAll(const std::function<bool(const XmlElement&)>& match) const;
};

// The root element of `text`, or InvalidArgument saying where and why it is
// not well-formed.
absl::StatusOr<XmlElement> ParseXml(absl::string_view text);

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_SUPPORT_XML_READER_H_
