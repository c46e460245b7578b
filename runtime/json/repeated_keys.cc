#include "runtime/json/repeated_keys.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/quote.h"
#include "runtime/json/json_types.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace internal {
namespace {

// Objects with more keys than this are checked through a hash set; below
// it a 64-bit filter and comparing the few candidates is cheaper.
constexpr size_t kLinearKeys = 16;
// Deeper documents are refused by every parser convey configures.
constexpr int kMaxDepth = 1024;

inline bool IsContainer(simdjson::dom::element element) {
  const simdjson::dom::element_type type = element.type();
  return type == simdjson::dom::element_type::OBJECT || type == simdjson::dom::element_type::ARRAY;
}

bool HasRepeatedKeys(simdjson::dom::element element, int depth);

bool LargeObjectRepeats(simdjson::dom::object object, int depth) {
  absl::flat_hash_set<absl::string_view> keys;
  keys.reserve(object.size());
  for (simdjson::dom::key_value_pair field : object) {
    if (!keys.insert(View(field.key)).second) return true;
    if (IsContainer(field.value) && HasRepeatedKeys(field.value, depth + 1)) return true;
  }
  return false;
}

bool HasRepeatedKeys(simdjson::dom::element element, int depth) {
  if (depth > kMaxDepth) return false;
  if (element.type() == simdjson::dom::element_type::ARRAY) {
    const simdjson::dom::array array = element.get_array().value_unsafe();
    for (simdjson::dom::element item : array) {
      if (IsContainer(item) && HasRepeatedKeys(item, depth + 1)) return true;
    }
    return false;
  }
  if (element.type() != simdjson::dom::element_type::OBJECT) return false;
  const simdjson::dom::object object = element.get_object().value_unsafe();
  if (object.size() > kLinearKeys) return LargeObjectRepeats(object, depth);
  // A filter of key signatures: only a key whose signature was seen is
  // compared with the keys before it.
  uint64_t seen_bits = 0;
  // Left uninitialised (a string_view array was zeroed, 256 bytes with
  // `rep stos`, for every object of every task created); only [0, count)
  // is read.
  struct KeyText {
    const char* data;
    size_t size;
  };
  KeyText keys[kLinearKeys];
  size_t count = 0;
  for (simdjson::dom::key_value_pair field : object) {
    if (count == kLinearKeys) return LargeObjectRepeats(object, depth);  // size() was short
    const absl::string_view key = View(field.key);
    const uint64_t bit = KeyBit(key);
    if ((seen_bits & bit) != 0) {
      for (size_t i = 0; i < count; ++i) {
        if (SameKey(absl::string_view(keys[i].data, keys[i].size), key)) return true;
      }
    }
    seen_bits |= bit;
    keys[count++] = KeyText{key.data(), key.size()};
    if (IsContainer(field.value) && HasRepeatedKeys(field.value, depth + 1)) return true;
  }
  return false;
}

uint32_t Hex4(absl::string_view text, size_t at) {
  uint32_t value = 0;
  for (size_t i = at; i < at + 4 && i < text.size(); ++i) {
    const char c = text[i];
    value <<= 4;
    if (c >= '0' && c <= '9')
      value |= static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f')
      value |= static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      value |= static_cast<uint32_t>(c - 'A' + 10);
  }
  return value;
}

// The string between the quotes of a valid JSON string, unescaped: keys
// written `"a"` and `"\u0061"` are the same key to simdjson, and so here.
std::string Unescape(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\' || i + 1 >= raw.size()) {
      out.push_back(raw[i]);
      continue;
    }
    const char c = raw[++i];
    switch (c) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        uint32_t code_point = Hex4(raw, i + 1);
        i += 4;
        if (code_point >= 0xD800 && code_point < 0xDC00 && i + 6 < raw.size() &&
            raw[i + 1] == '\\' && raw[i + 2] == 'u') {
          const uint32_t low = Hex4(raw, i + 3);
          if (low >= 0xDC00 && low < 0xE000) {
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        AppendUtf8CodePoint(code_point, &out);
        break;
      }
      default:
        out.push_back(c);
        break;  // `"`, `\`, `/`
    }
  }
  return out;
}

// One pass over valid JSON text that records each repeat and, with `out`,
// writes the text compact without the repeated members. With `out` values
// are compared on the compact text already written; without it (the
// importer wants offsets only) nothing is written, and the two values of a
// repeat are made compact when it is found.
class Scanner {
 public:
  Scanner(absl::string_view text, std::vector<RepeatedKey>* repeats, std::string* out)
      : text_(text), repeats_(repeats), out_(out) {}

  bool Run() {
    if (out_ != nullptr) {
      out_->clear();
      out_->reserve(text_.size());
    }
    SkipSpace();
    if (!Value(0)) return false;
    SkipSpace();
    return pos_ == text_.size();
  }

 private:
  struct Step {
    absl::string_view key;  // when !is_index
    size_t index = 0;
    bool is_index = false;
  };
  struct Member {
    absl::string_view key;
    size_t key_offset;
    size_t value_begin;  // in out_, else in text_
    size_t value_end;
  };

  void Put(char c) {
    if (out_ != nullptr) out_->push_back(c);
  }
  void PutText(size_t begin, size_t end) {
    if (out_ != nullptr) out_->append(text_.data() + begin, end - begin);
  }
  // Where the next value starts: in out_ when writing, else in text_.
  size_t Mark() const { return out_ != nullptr ? out_->size() : pos_; }

  // The compact text of a value, its repeats collapsed.
  std::string Compact(size_t begin, size_t end) const {
    if (out_ != nullptr) return out_->substr(begin, end - begin);
    std::vector<RepeatedKey> ignored;
    std::string compact;
    Scanner(text_.substr(begin, end - begin), &ignored, &compact).Run();
    return compact;
  }

  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
      ++pos_;
    }
  }

  // At a `"`: moves past the closing quote; `raw` is the text between. A
  // quote ends the string unless an odd number of `\` precede it.
  bool String(absl::string_view* raw) {
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    const char* p = begin + pos_ + 1;
    while (true) {
      const char* quote = static_cast<const char*>(std::memchr(p, '"', end - p));
      if (quote == nullptr) return false;
      const char* q = quote;
      while (q > p && q[-1] == '\\') --q;
      p = quote + 1;
      if ((quote - q) % 2 == 0) break;
    }
    *raw = text_.substr(pos_ + 1, (p - 1) - (begin + pos_ + 1));
    pos_ = static_cast<size_t>(p - begin);
    return true;
  }

  bool Value(int depth) {
    if (depth > kMaxDepth) return false;
    const char c = Peek();
    if (c == '{') return Object(depth);
    if (c == '[') return Array(depth);
    const size_t begin = pos_;
    if (c == '"') {
      absl::string_view raw;
      if (!String(&raw)) return false;
    } else {
      while (pos_ < text_.size()) {
        const char d = text_[pos_];
        if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\n' || d == '\r' || d == '\t') {
          break;
        }
        ++pos_;
      }
      if (pos_ == begin) return false;
    }
    PutText(begin, pos_);
    return true;
  }

  bool Array(int depth) {
    ++pos_;
    Put('[');
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      Put(']');
      return true;
    }
    for (size_t index = 0;; ++index) {
      SkipSpace();
      if (index > 0) Put(',');
      path_.push_back(Step{{}, index, true});
      if (!Value(depth + 1)) return false;
      path_.pop_back();
      SkipSpace();
      const char c = Peek();
      ++pos_;
      if (c == ']') break;
      if (c != ',') return false;
    }
    Put(']');
    return true;
  }

  bool Object(int depth) {
    ++pos_;
    Put('{');
    const size_t base = members_.size();
    if (indexes_.size() <= static_cast<size_t>(depth)) indexes_.resize(depth + 1);
    bool indexed = false;
    uint64_t seen_bits = 0;  // KeyBit filter while not indexed
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      Put('}');
      return true;
    }
    while (true) {
      SkipSpace();
      if (Peek() != '"') return false;
      const size_t member_begin = out_ != nullptr ? out_->size() : 0;
      if (members_.size() > base) Put(',');
      const size_t key_offset = pos_;
      absl::string_view key;
      if (!String(&key)) return false;
      PutText(key_offset, pos_);
      if (key.find('\\') != absl::string_view::npos) {
        unescaped_.push_back(Unescape(key));
        key = unescaped_.back();
      }
      SkipSpace();
      if (Peek() != ':') return false;
      ++pos_;
      Put(':');
      SkipSpace();
      const size_t value_begin = Mark();
      path_.push_back(Step{key, 0, false});
      if (!Value(depth + 1)) return false;
      path_.pop_back();
      const size_t value_end = Mark();

      // The earlier member with this key, if any (members_ may have moved
      // while the value was read: look it up only now).
      size_t earlier = SIZE_MAX;
      if (indexed) {
        auto it = indexes_[depth].find(key);
        if (it != indexes_[depth].end()) earlier = it->second;
      } else if ((seen_bits & KeyBit(key)) != 0) {
        for (size_t i = base; i < members_.size(); ++i) {
          if (SameKey(members_[i].key, key)) {
            earlier = i;
            break;
          }
        }
      }
      if (earlier == SIZE_MAX) {
        seen_bits |= KeyBit(key);
        members_.push_back(Member{key, key_offset, value_begin, value_end});
        if (indexed) {
          indexes_[depth].emplace(key, members_.size() - 1);
        } else if (members_.size() - base > kLinearKeys) {
          indexed = true;
          auto& index = indexes_[depth];
          index.clear();
          for (size_t i = base; i < members_.size(); ++i) index.emplace(members_[i].key, i);
        }
      } else {
        const Member& first = members_[earlier];
        RepeatedKey repeat;
        repeat.path = PathTo(key);
        repeat.key = std::string(key);
        repeat.first_offset = first.key_offset;
        repeat.offset = key_offset;
        repeat.same_value =
            Compact(first.value_begin, first.value_end) == Compact(value_begin, value_end);
        repeats_->push_back(std::move(repeat));
        if (out_ != nullptr) out_->resize(member_begin);  // drop `,"key":value`
      }
      SkipSpace();
      const char c = Peek();
      ++pos_;
      if (c == '}') break;
      if (c != ',') return false;
    }
    Put('}');
    members_.resize(base);
    return true;
  }

  std::string PathTo(absl::string_view key) const {
    std::string path;
    for (const Step& step : path_) {
      if (step.is_index) {
        AppendPathIndex(&path, step.index);
      } else {
        AppendPathKey(&path, step.key);
      }
    }
    AppendPathKey(&path, key);
    return path;
  }

  absl::string_view text_;
  size_t pos_ = 0;
  std::vector<RepeatedKey>* repeats_;
  std::string* out_;  // null: nothing written
  std::vector<Step> path_;
  std::vector<Member> members_;  // of the objects being read, innermost last
  // Per depth: key → index in members_, for objects past kLinearKeys. A
  // deque so that growing it for a deeper object moves no map in use.
  std::deque<absl::flat_hash_map<absl::string_view, size_t>> indexes_;
  std::deque<std::string> unescaped_;  // keys written with escapes
};

}  // namespace

void AppendQuotedPathKey(std::string* path, absl::string_view key) {
  constexpr size_t kMaxShown = 80;
  if (key.size() > kMaxShown) {
    absl::StrAppend(path, "[\"", CutAtCharacter(key, kMaxShown), "...\"]");
  } else {
    absl::StrAppend(path, "[\"", key, "\"]");
  }
}

void AppendPathIndex(std::string* path, size_t index) {
  // By hand: the importer appends one for every node and logic it reads, and
  // StrAppend's general pieces cost three times as much (callgrind, a 10 MB
  // import: 15 M against 4.8 M instructions).
  char text[2 + std::numeric_limits<size_t>::digits10 + 1];
  text[0] = '[';
  char* end = std::to_chars(text + 1, text + sizeof(text) - 1, index).ptr;
  *end++ = ']';
  path->append(text, static_cast<size_t>(end - text));
}

bool HasRepeatedKeys(simdjson::dom::element element) { return HasRepeatedKeys(element, 0); }

bool FindRepeatedKeys(absl::string_view json, std::vector<RepeatedKey>* repeats,
                      std::string* collapsed) {
  return Scanner(json, repeats, collapsed).Run();
}

absl::Status CollapseRepeatedKeys(absl::string_view json, absl::string_view what,
                                  std::string* collapsed) {
  std::vector<RepeatedKey> repeats;
  if (!FindRepeatedKeys(json, &repeats, collapsed)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON"));
  }
  for (const RepeatedKey& repeat : repeats) {
    if (repeat.same_value) continue;
    std::string key;
    AppendJsonString(&key, repeat.key);
    return absl::InvalidArgumentError(
        absl::StrCat(what, " repeats the key ", key, " with different values (at ", repeat.path,
                     ", bytes ", repeat.first_offset, " and ", repeat.offset, ")"));
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace convey
