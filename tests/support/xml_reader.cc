#include "tests/support/xml_reader.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace testing {
namespace {

bool IsXmlChar(uint32_t code) {
  return code == 0x9 || code == 0xA || code == 0xD || (code >= 0x20 && code <= 0xD7FF) ||
         (code >= 0xE000 && code <= 0xFFFD) || (code >= 0x10000 && code <= 0x10FFFF);
}

// Every character of `text` is well-formed UTF-8 and allowed by XML 1.0.
absl::Status CheckCharacters(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (length == 0 || i + length > text.size()) {
      return absl::InvalidArgumentError(absl::StrCat("byte ", i, ": not UTF-8"));
    }
    uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return absl::InvalidArgumentError(absl::StrCat("byte ", i, ": not UTF-8"));
      }
      code = (code << 6) | (next & 0x3F);
    }
    if (!IsXmlChar(code)) {
      return absl::InvalidArgumentError(
          absl::StrCat("byte ", i, ": character U+", absl::Hex(code), " is not allowed in XML"));
    }
    i += length;
  }
  return absl::OkStatus();
}

class Reader {
 public:
  explicit Reader(absl::string_view text) : text_(text) {}

  absl::StatusOr<XmlElement> Document() {
    if (absl::StartsWith(text_, "<?xml")) {
      const size_t end = text_.find("?>");
      if (end == absl::string_view::npos) return Fail("unterminated XML declaration");
      pos_ = end + 2;
    }
    SkipSpace();
    XmlElement root;
    if (auto status = Element(&root, 0); !status.ok()) return status;
    SkipSpace();
    if (pos_ != text_.size()) return Fail("content after the root element");
    return root;
  }

 private:
  absl::Status Fail(absl::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat("byte ", pos_, ": ", why));
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool Next(absl::string_view token) const { return absl::StartsWith(text_.substr(pos_), token); }
  bool SkipSpace() {
    const size_t start = pos_;
    while (!AtEnd() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return pos_ > start;
  }

  absl::Status Name(std::string* out) {
    const size_t start = pos_;
    auto first = [](char c) {
      return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
    };
    if (AtEnd() || !first(text_[pos_])) return Fail("a name was expected");
    while (!AtEnd() &&
           (first(text_[pos_]) || absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_])) ||
            text_[pos_] == '-' || text_[pos_] == '.')) {
      ++pos_;
    }
    *out = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  // At '&': one entity or character reference, appended unescaped.
  absl::Status Reference(std::string* out) {
    const size_t end = text_.find(';', pos_);
    if (end == absl::string_view::npos || end - pos_ > 12) return Fail("a bare '&'");
    const absl::string_view name = text_.substr(pos_ + 1, end - pos_ - 1);
    uint32_t code = 0;
    if (name == "amp") {
      code = '&';
    } else if (name == "lt") {
      code = '<';
    } else if (name == "gt") {
      code = '>';
    } else if (name == "quot") {
      code = '"';
    } else if (name == "apos") {
      code = '\'';
    } else if (absl::StartsWith(name, "#x")) {
      if (!absl::SimpleHexAtoi(name.substr(2), &code)) return Fail("a bad character reference");
    } else if (absl::StartsWith(name, "#")) {
      if (!absl::SimpleAtoi(name.substr(1), &code)) return Fail("a bad character reference");
    } else {
      return Fail(absl::StrCat("an unknown entity &", name, ";"));
    }
    if (!IsXmlChar(code)) return Fail("a reference to a character XML does not allow");
    internal::AppendUtf8CodePoint(code, out);
    pos_ = end + 1;
    return absl::OkStatus();
  }

  absl::Status Element(XmlElement* element, int depth) {
    if (depth > 200) return Fail("nested too deep");
    if (!Next("<")) return Fail("an element was expected");
    ++pos_;
    if (auto status = Name(&element->name); !status.ok()) return status;
    while (true) {
      const bool spaced = SkipSpace();
      if (Next("/>")) {
        pos_ += 2;
        return absl::OkStatus();
      }
      if (Next(">")) {
        ++pos_;
        break;
      }
      if (!spaced) return Fail("attributes must be separated by whitespace");
      std::string attribute;
      if (auto status = Name(&attribute); !status.ok()) return status;
      for (const auto& [existing, value] : element->attributes) {
        if (existing == attribute) return Fail(absl::StrCat("attribute ", attribute, " repeated"));
      }
      SkipSpace();
      if (!Next("=")) return Fail("'=' expected");
      ++pos_;
      SkipSpace();
      if (AtEnd() || (text_[pos_] != '"' && text_[pos_] != '\'')) return Fail("quote expected");
      const char quote = text_[pos_++];
      std::string value;
      while (!AtEnd() && text_[pos_] != quote) {
        if (text_[pos_] == '<') return Fail("'<' in an attribute value");
        if (text_[pos_] == '&') {
          if (auto status = Reference(&value); !status.ok()) return status;
        } else {
          value.push_back(text_[pos_++]);
        }
      }
      if (AtEnd()) return Fail("unterminated attribute value");
      ++pos_;
      element->attributes.emplace_back(std::move(attribute), std::move(value));
    }
    while (true) {
      if (AtEnd()) return Fail(absl::StrCat("<", element->name, "> is not closed"));
      if (Next("</")) {
        pos_ += 2;
        std::string name;
        if (auto status = Name(&name); !status.ok()) return status;
        if (name != element->name) {
          return Fail(absl::StrCat("</", name, "> closes <", element->name, ">"));
        }
        SkipSpace();
        if (!Next(">")) return Fail("'>' expected");
        ++pos_;
        return absl::OkStatus();
      }
      if (Next("<!") || Next("<?")) return Fail("comments, CDATA and PIs are not expected");
      if (Next("<")) {
        element->children.emplace_back();
        if (auto status = Element(&element->children.back(), depth + 1); !status.ok()) {
          return status;
        }
      } else if (Next("]]>")) {
        return Fail("']]>' in character data");
      } else if (text_[pos_] == '&') {
        if (auto status = Reference(&element->text); !status.ok()) return status;
      } else {
        element->text.push_back(text_[pos_++]);
      }
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

void Collect(const XmlElement& element, const std::function<bool(const XmlElement&)>& match,
             std::vector<const XmlElement*>* out) {
  for (const XmlElement& child : element.children) {
    if (match(child)) out->push_back(&child);
    Collect(child, match, out);
  }
}

}  // namespace

std::string XmlElement::Attribute(absl::string_view attribute) const {
  for (const auto& [name, value] : attributes) {
    if (name == attribute) return value;
  }
  return "";
}

bool XmlElement::HasClass(absl::string_view css_class) const {
  for (absl::string_view word : absl::StrSplit(Attribute("class"), ' ', absl::SkipEmpty())) {
    if (word == css_class) return true;
  }
  return false;
}

std::vector<const XmlElement*> XmlElement::FindAll(
    const std::function<bool(const XmlElement&)>& match) const {
  std::vector<const XmlElement*> found;
  Collect(*this, match, &found);
  return found;
}

absl::StatusOr<XmlElement> ParseXml(absl::string_view text) {
  if (auto status = CheckCharacters(text); !status.ok()) return status;
  return Reader(text).Document();
}

}  // namespace testing
}  // namespace convey
