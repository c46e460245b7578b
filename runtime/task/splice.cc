#include "runtime/task/splice.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "runtime/json/json_scanner.h"
#include "runtime/json/short_bytes.h"

namespace convey {
namespace internal {
namespace {

// The write set's distinct top-level keys, each with its last value, and
// whether the text had it.
class TopLevelKeys {
 public:
  struct Key {
    absl::string_view name;
    const Value* value;
    bool matched;
  };

  explicit TopLevelKeys(const WriteSet& writes) : indexed_(writes.size() > kIndexFrom) {
    for (const Write& write : writes) {
      absl::string_view name = write.path[0].key;
      size_t found = Find(name.data(), name.size());
      if (found == keys_.size()) {
        if (indexed_) by_name_.emplace(name, keys_.size());
        // Filled in place: a Key built aside and copied in was read back
        // with wide loads from narrow stores (a store-forwarding stall, a
        // tenth of a splice).
        Key& key = keys_.emplace_back();
        key.name = name;
        key.value = &write.value;
        key.matched = false;
        shortest_ = std::min(shortest_, name.size());
        sizes_ |= name.size() < 64 ? uint64_t{1} << name.size() : uint64_t{1} << 63;
      } else {
        keys_[found].value = &write.value;  // a later write to the same key wins
      }
    }
  }

  // The key's position, or size() when no write is to it.
  size_t Find(const char* name, size_t size) const {
    if (indexed_) {
      auto it = by_name_.find(absl::string_view(name, size));
      return it == by_name_.end() ? keys_.size() : it->second;
    }
    for (size_t k = 0; k < keys_.size(); ++k) {
      if (keys_[k].name.size() == size && SameBytes(keys_[k].name.data(), name, size)) {
        return k;
      }
    }
    return keys_.size();
  }

  // The text's key at [name, name + size), as written (escapes not
  // decoded): its position, size() for none, or -1 when it has escapes and
  // might decode to a written key (the caller gives up). `may_escape` is
  // false when the text has no backslash at all. Escapes make a key longer
  // than what it decodes to, so one no longer than the shortest written key
  // cannot be one, and its escapes need not be looked for.
  int64_t Match(const char* name, size_t size, bool may_escape) {
    // Most of a text's keys differ in size from every written one.
    const uint64_t size_bit = size < 64 ? uint64_t{1} << size : uint64_t{1} << 63;
    const size_t found = (sizes_ & size_bit) != 0 ? Find(name, size) : keys_.size();
    if (may_escape && (found < keys_.size() || size > shortest_) &&
        dom_writer_internal::StringNeedsEscape(name, size)) {
      return -1;
    }
    if (found < keys_.size()) keys_[found].matched = true;
    return static_cast<int64_t>(found);
  }

  size_t size() const { return keys_.size(); }
  const Key& operator[](size_t k) const { return keys_[k]; }
  const Key* begin() const { return keys_.data(); }
  const Key* end() const { return keys_.data() + keys_.size(); }

 private:
  // A write set with more keys than this looks them up in a hash map.
  static constexpr size_t kIndexFrom = 8;

  const bool indexed_;
  size_t shortest_ = SIZE_MAX;
  uint64_t sizes_ = 0;  // bit n: a key of n bytes is written (63: 63 or more)
  absl::InlinedVector<Key, 8> keys_;
  absl::flat_hash_map<absl::string_view, size_t> by_name_;
};

// Where the text is cut: the written members' old values, in text order,
// and the closing brace.
struct SplicePoints {
  struct Cut {
    const char* begin;
    const char* end;
    const Value* value;
  };
  absl::InlinedVector<Cut, 8> cuts;
  const char* close = nullptr;
  bool has_fields = false;
};

// Records the member whose key is [key, key + key_size) and whose value is
// [value_begin, value_end). False when the caller must give up.
inline bool AddMember(TopLevelKeys& keys, const char* key, size_t key_size, bool may_escape,
                      const char* value_begin, const char* value_end, SplicePoints* points) {
  int64_t found = keys.Match(key, key_size, may_escape);
  if (found < 0) return false;
  points->has_fields = true;
  if (static_cast<size_t>(found) < keys.size()) {
    SplicePoints::Cut& cut = points->cuts.emplace_back();
    cut.begin = value_begin;
    cut.end = value_end;
    cut.value = keys[found].value;
  }
  return true;
}

// Finds the members by scanning the bytes (the text was validated, so the
// scanner only finds boundaries; it still checks bounds).
ABSL_ATTRIBUTE_NOINLINE bool FindByScan(absl::string_view text, TopLevelKeys& keys,
                                        SplicePoints* points) {
  JsonScanner scan(text);
  if (!scan.Expect('{')) return false;
  scan.SkipSpace();
  if (scan.done()) return false;
  if (scan.peek() == '}') {
    points->close = scan.at();
    return true;
  }
  for (;;) {
    if (scan.done() || scan.peek() != '"') return false;
    const char* key = scan.at() + 1;
    bool escaped;
    if (!scan.SkipString(&escaped)) return false;
    const size_t key_size = static_cast<size_t>(scan.at() - 1 - key);
    if (!scan.Expect(':')) return false;
    scan.SkipSpace();
    const char* value_begin = scan.at();
    if (!scan.SkipValue()) return false;
    if (!AddMember(keys, key, key_size, escaped, value_begin, scan.at(), points)) return false;
    if (scan.Expect(',')) {
      scan.SkipSpace();
    } else if (!scan.done() && scan.peek() == '}') {
      points->close = scan.at();
      return true;
    } else {
      return false;
    }
  }
}

// The end of the token that ends before `next` (whitespace dropped; compact
// text has none).
inline const char* TrimBack(const char* begin, const char* next) {
  while (next > begin && json_scanner_internal::IsSpace(next[-1])) --next;
  return next;
}

// How a structural byte changes the nesting: +1 for `{` and `[`, -1 for `}`
// and `]`.
struct NestingSteps {
  int8_t step[256] = {};
  constexpr NestingSteps() {
    step[static_cast<unsigned char>('{')] = step[static_cast<unsigned char>('[')] = 1;
    step[static_cast<unsigned char>('}')] = step[static_cast<unsigned char>(']')] = -1;
  }
};
inline constexpr NestingSteps kNesting;

// Finds the members through the structural index: the offsets, in order, of
// `{}[]:,`, of each string's opening quote and of each number's or
// literal's first byte. A top-level member is a key, a colon and a value; a
// scalar value is one entry, a nested one runs to its matching bracket.
// The walk checks every byte it expects and stays within the text, giving
// up on anything else; that an index is of this text is the caller's
// promise (IndexOfLastParse).
// Not inlined: in its caller the loop's registers spilled.
ABSL_ATTRIBUTE_NOINLINE bool FindByIndex(absl::string_view text, TextIndex index,
                                         TopLevelKeys& keys, SplicePoints* points) {
  const char* const t = text.data();
  const uint32_t* const s = index.structurals;
  const size_t n = index.count;
  // Offsets ascend, so checking the last bounds them all.
  if (n < 2 || s[n - 1] >= text.size() || t[s[0]] != '{' || t[s[n - 1]] != '}') return false;
  // Only a key with a backslash needs a closer look; most texts have none.
  const bool may_escape = std::memchr(t, '\\', text.size()) != nullptr;
  if (t[s[1]] == '}') {  // `{}`: nothing follows its closing brace
    points->close = t + s[1];
    return n == 2;
  }
  size_t i = 1;
  for (;;) {
    // The key, its colon, its value: i, i + 1, i + 2.
    if (i + 3 >= n || t[s[i]] != '"' || t[s[i + 1]] != ':') return false;
    const char* key = t + s[i] + 1;
    const char* key_end = TrimBack(key, t + s[i + 1]);
    if (key_end <= key || key_end[-1] != '"') return false;
    size_t v = i + 2;
    const char* value_begin = t + s[v];
    const char* value_end;
    size_t next;
    const char c = *value_begin;
    if (c == '{' || c == '[') {
      // To the bracket that closes it; the last entry is the text's
      // closing brace, so a nested value closes before it.
      int64_t depth = 1;
      size_t j = v;
      do {
        if (++j >= n - 1) return false;
        depth += kNesting.step[static_cast<unsigned char>(t[s[j]])];
      } while (depth != 0);
      value_end = t + s[j] + 1;
      next = j + 1;
      if (next >= n) return false;
    } else {
      next = v + 1;
      value_end = TrimBack(value_begin, t + s[next]);
    }
    if (!AddMember(keys, key, static_cast<size_t>(key_end - 1 - key), may_escape, value_begin,
                   value_end, points)) {
      return false;
    }
    const char sep = t[s[next]];
    if (sep == '}') {
      points->close = t + s[next];
      return next == n - 1;
    }
    if (sep != ',') return false;
    i = next + 1;
  }
}

}  // namespace

void WriteValue(Sink& sink, const Value& value) {
  switch (value.type()) {
    case Value::Type::kMissing:
    case Value::Type::kNull:
      sink.Put("null", 4);
      return;
    case Value::Type::kString:
      WriteCheckedQuoted(sink, 0, value.text(), 0);
      return;
    case Value::Type::kBoolean:
    case Value::Type::kNumber:
    case Value::Type::kObject:
    case Value::Type::kArray:
      sink.Put(value.text());
      return;
  }
}

bool AllTopLevelKeys(const WriteSet& writes) {
  for (const Write& write : writes) {
    if (write.path.size() != 1 || write.path[0].is_index) return false;
  }
  return true;
}

bool AppendTopLevel(absl::string_view text, simdjson::dom::element doc, const WriteSet& writes,
                    size_t max_bytes, std::string* out, bool* within) {
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return false;
  for (size_t i = 0; i < writes.size(); ++i) {
    const std::string& key = writes[i].path[0].key;
    if (object.at_key(std::string_view(key)).error() != simdjson::NO_SUCH_FIELD) return false;
    for (size_t j = 0; j < i; ++j) {
      if (writes[j].path[0].key == key) return false;
    }
  }
  // The closing brace: the last byte of compact text. (find_last_not_of
  // with a set of four bytes built a table on every call.)
  const char* const close_at = TrimBack(text.data(), text.data() + text.size());
  if (close_at == text.data() || close_at[-1] != '}') return false;
  const size_t close = static_cast<size_t>(close_at - 1 - text.data());
  Sink sink(out, max_bytes);
  sink.Put(text.data(), close);
  bool has_fields = object.size() != 0;
  for (const Write& write : writes) {
    WriteCheckedQuoted(sink, has_fields ? ',' : 0, write.path[0].key, ':');
    has_fields = true;
    WriteValue(sink, write.value);
  }
  sink.Put(text.substr(close));
  *within = !sink.overflowed();
  return true;
}

bool SpliceTopLevel(absl::string_view text, TextIndex index, const WriteSet& writes,
                    size_t max_bytes, std::string* out, bool* within) {
  TopLevelKeys keys(writes);
  SplicePoints points;
  const bool found =
      index.count != 0 ? FindByIndex(text, index, keys, &points) : FindByScan(text, keys, &points);
  if (!found) return false;

  Sink sink(out, max_bytes);
  const char* from = text.data();
  for (const SplicePoints::Cut& cut : points.cuts) {
    sink.Put(from, static_cast<size_t>(cut.begin - from));
    WriteValue(sink, *cut.value);
    from = cut.end;
  }
  sink.Put(from, static_cast<size_t>(points.close - from));
  bool has_fields = points.has_fields;
  for (const TopLevelKeys::Key& key : keys) {
    if (key.matched) continue;
    WriteCheckedQuoted(sink, has_fields ? ',' : 0, key.name, ':');
    has_fields = true;
    WriteValue(sink, *key.value);
  }
  const char* text_end = text.data() + text.size();
  sink.Put(points.close, static_cast<size_t>(text_end - points.close));
  *within = !sink.overflowed();
  return true;
}

}  // namespace internal
}  // namespace convey
