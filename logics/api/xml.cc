#include "logics/api/xml.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "pugixml.hpp"
#include "runtime/base/status_macros.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/utf8.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {
namespace {

// XML 1.0 names, checked on ASCII; any byte of a multi-byte UTF-8 sequence
// is accepted (the name-character table for those is not worth carrying).
bool IsNameStart(unsigned char c) {
  return absl::ascii_isalpha(c) || c == '_' || c == ':' || c >= 0x80;
}

bool IsXmlName(absl::string_view name) {
  if (name.empty() || !IsNameStart(static_cast<unsigned char>(name[0]))) return false;
  for (char ch : name.substr(1)) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!IsNameStart(c) && !absl::ascii_isdigit(c) && c != '-' && c != '.') return false;
  }
  return true;
}

// A scalar as XML text: strings as they are, numbers as written, booleans
// `true`/`false`; an object or array (an attribute's or `#value`'s value)
// as compact JSON.
std::string ScalarText(simdjson::dom::element value) {
  if (value.type() == simdjson::dom::element_type::NULL_VALUE) return "";
  return ValueFromElement(value).ToText();
}

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string* out) : out_(out) {}
  void write(const void* data, size_t size) override {
    out_->append(static_cast<const char*>(data), size);
  }

 private:
  std::string* out_;
};

absl::Status Refuse(const std::string& where, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", why));
}

absl::Status AddElement(pugi::xml_node parent, absl::string_view name, simdjson::dom::element value,
                        const std::string& where, int depth) {
  if (depth > kMaxXmlDepth) {
    return Refuse(where, absl::StrCat("nested deeper than ", kMaxXmlDepth, " elements"));
  }
  if (!IsXmlName(name)) {
    return Refuse(where, absl::StrCat("\"", name, "\" is not an XML element name"));
  }
  pugi::xml_node node = parent.append_child(std::string(name).c_str());
  switch (value.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object object;
      if (value.get_object().get(object) != simdjson::SUCCESS) break;
      for (simdjson::dom::key_value_pair field : object) {
        const absl::string_view key(field.key.data(), field.key.size());
        const std::string field_where = absl::StrCat(where, ".", key);
        if (!key.empty() && key[0] == '@') {
          const absl::string_view attribute = key.substr(1);
          if (!IsXmlName(attribute)) {
            return Refuse(field_where,
                          absl::StrCat("\"", attribute, "\" is not an XML attribute name"));
          }
          const std::string text = ScalarText(field.value);
          node.append_attribute(std::string(attribute).c_str()).set_value(text.data(), text.size());
        } else if (key == "#value") {
          const std::string text = ScalarText(field.value);
          node.append_child(pugi::node_pcdata).set_value(text.data(), text.size());
        } else if (field.value.type() == simdjson::dom::element_type::ARRAY) {
          // Repeated elements of the same name.
          simdjson::dom::array items;
          if (field.value.get_array().get(items) != simdjson::SUCCESS) continue;
          size_t index = 0;
          for (simdjson::dom::element item : items) {
            const std::string item_where = absl::StrCat(field_where, "[", index++, "]");
            if (item.type() == simdjson::dom::element_type::ARRAY) {
              return Refuse(item_where, "an array inside an array has no XML form");
            }
            CONVEY_RETURN_IF_ERROR(AddElement(node, key, item, item_where, depth + 1));
          }
        } else {
          CONVEY_RETURN_IF_ERROR(AddElement(node, key, field.value, field_where, depth + 1));
        }
      }
      break;
    }
    case simdjson::dom::element_type::ARRAY:
      return Refuse(where, "an array cannot be the document element (it would repeat it)");
    case simdjson::dom::element_type::NULL_VALUE:
      break;  // an empty element
    default: {
      const std::string text = ScalarText(value);
      node.append_child(pugi::node_pcdata).set_value(text.data(), text.size());
    }
  }
  return absl::OkStatus();
}

bool OnlySpace(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status AppendElement(pugi::xml_node node, int depth, JsonWriter* out) {
  if (depth > kMaxXmlDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("XML elements nested deeper than ", kMaxXmlDepth));
  }
  std::string text;
  std::vector<absl::string_view> names;  // in order of first appearance
  absl::flat_hash_map<absl::string_view, std::vector<pugi::xml_node>> by_name;
  for (pugi::xml_node child : node.children()) {
    switch (child.type()) {
      case pugi::node_element: {
        const absl::string_view name = child.name();
        auto [it, inserted] = by_name.try_emplace(name);
        if (inserted) names.push_back(name);
        it->second.push_back(child);
        break;
      }
      case pugi::node_pcdata:
      case pugi::node_cdata:
        text.append(child.value());
        break;
      default:  // comments, processing instructions
        break;
    }
  }
  if (names.empty() && node.first_attribute().empty()) {
    out->String(ValidUtf8(text));
    return absl::OkStatus();
  }
  out->BeginObject();
  for (pugi::xml_attribute attribute : node.attributes()) {
    out->Key(ValidUtf8(absl::StrCat("@", attribute.name())));
    out->String(ValidUtf8(attribute.value()));
  }
  for (absl::string_view name : names) {
    const std::vector<pugi::xml_node>& group = by_name[name];
    out->Key(ValidUtf8(name));
    if (group.size() > 1) out->BeginArray();
    for (pugi::xml_node child : group) {
      CONVEY_RETURN_IF_ERROR(AppendElement(child, depth + 1, out));
    }
    if (group.size() > 1) out->EndArray();
  }
  if (!OnlySpace(text)) out->Key("#value").String(ValidUtf8(text));
  out->EndObject();
  return absl::OkStatus();
}

}  // namespace

absl::Status JsonToXml(absl::string_view root_name, simdjson::dom::element value,
                       std::string* out) {
  pugi::xml_document document;
  pugi::xml_node declaration = document.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  CONVEY_RETURN_IF_ERROR(AddElement(document, root_name, value, std::string(root_name), 1));
  out->clear();
  StringWriter writer(out);
  document.save(writer, "", pugi::format_raw, pugi::encoding_utf8);
  return absl::OkStatus();
}

namespace {

// Where `xml` holds a reference to the character 0 (`&#0;`, `&#x000;`),
// which XML does not allow (it is no Char) and the parser would turn into a
// NUL that silently ends the text it is in; npos when nowhere.
size_t NulReference(absl::string_view xml) {
  for (size_t at = xml.find("&#"); at != absl::string_view::npos; at = xml.find("&#", at + 2)) {
    size_t i = at + 2;
    if (i < xml.size() && (xml[i] == 'x' || xml[i] == 'X')) ++i;
    const size_t digits = i;
    while (i < xml.size() && xml[i] == '0') ++i;
    if (i > digits && i < xml.size() && xml[i] == ';') return at;
  }
  return absl::string_view::npos;
}

}  // namespace

absl::Status XmlToJson(absl::string_view xml, std::string* out) {
  if (const size_t at = NulReference(xml); at != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("a reference to the character 0, which XML does not allow, at byte ", at));
  }
  pugi::xml_document document;
  // parse_default: no DOCTYPE processing, so no entity expansion beyond the
  // five predefined ones and character references (no external entities).
  pugi::xml_parse_result parsed =
      document.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.description(), " at byte ", parsed.offset));
  }
  pugi::xml_node root = document.document_element();
  if (root.empty()) return absl::InvalidArgumentError("no document element");
  JsonWriter writer;
  writer.BeginObject().Key(ValidUtf8(root.name()));
  CONVEY_RETURN_IF_ERROR(AppendElement(root, 1, &writer));
  writer.EndObject();
  *out = writer.Release();
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace convey
