// The write set: a logic's writes to a task as a tree of edits, applied
// to the task's DOM (re-serialising only the containers on the written
// paths) or spliced into its text when every write is to a top-level key
// (splice.h). The JSON output (runtime/json/dom_writer.h) is a separate
// library.
#include "runtime/task/write_set.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "runtime/json/dom_writer.h"
#include "runtime/json/json_types.h"
#include "runtime/task/splice.h"

namespace convey {
namespace internal {
namespace {

// The writes as a tree of edits: one node per distinct path prefix. A node
// is either a leaf that replaces the value at its path, or a container whose
// children edit some of its entries; the container's starting point (its
// base) is the document's value there, a value written earlier, or a new
// empty container.
enum class ChildKind : uint8_t { kNone, kKeys, kIndices };
enum class Base : uint8_t { kDocument, kWritten, kFresh };

struct Node {
  const Value* value = nullptr;  // base == kWritten
  absl::string_view key;         // the step from the parent, a key step
  uint32_t index = 0;            // the step from the parent, an index step
  ChildKind kind = ChildKind::kNone;
  Base base = Base::kDocument;
  bool matched = false;  // while emitting: the base had this child's key
  int32_t first_child = -1;
  int32_t last_child = -1;
  int32_t next_sibling = -1;
  int32_t child_count = 0;
};

using Tree = absl::InlinedVector<Node, 8>;

// Children are found by a linear scan while a node has few of them; a write
// set with many keys under one object indexes them instead.
constexpr int32_t kLinearChildren = 8;

struct StepKey {
  int32_t parent;
  bool is_index;
  uint32_t index;
  absl::string_view key;
  bool operator==(const StepKey& o) const {
    return parent == o.parent && is_index == o.is_index && index == o.index && key == o.key;
  }
  template <typename H>
  friend H AbslHashValue(H h, const StepKey& k) {
    return H::combine(std::move(h), k.parent, k.is_index, k.index, k.key);
  }
};

class TreeBuilder {
 public:
  explicit TreeBuilder(Tree* tree) : tree_(*tree) { tree_.emplace_back(); }

  void Add(const Write& write) {
    int32_t n = 0;
    for (const PathSegment& segment : write.path) {
      ChildKind want = segment.is_index ? ChildKind::kIndices : ChildKind::kKeys;
      if (tree_[n].kind != want) {
        if (tree_[n].kind != ChildKind::kNone) {
          // Earlier writes made this a container of the other kind: this
          // step replaces it with a new one.
          DropChildren(n);
          tree_[n].base = Base::kFresh;
          tree_[n].value = nullptr;
        }
        tree_[n].kind = want;
      }
      n = FindOrAddChild(n, segment);
    }
    DropChildren(n);
    tree_[n].kind = ChildKind::kNone;
    tree_[n].base = Base::kWritten;
    tree_[n].value = &write.value;
  }

 private:
  int32_t FindOrAddChild(int32_t parent, const PathSegment& segment) {
    absl::string_view key = segment.is_index ? absl::string_view() : segment.key;
    uint32_t index = segment.is_index ? segment.index : 0;
    if (tree_[parent].child_count >= kLinearChildren) {
      auto it = index_.find(StepKey{parent, segment.is_index, index, key});
      if (it != index_.end()) return it->second;
    } else {
      for (int32_t c = tree_[parent].first_child; c >= 0; c = tree_[c].next_sibling) {
        const Node& child = tree_[c];
        if (segment.is_index ? child.index == index : child.key == key) return c;
      }
    }
    int32_t c = static_cast<int32_t>(tree_.size());
    tree_.emplace_back();
    Node& child = tree_[c];
    if (segment.is_index) {
      child.index = index;
    } else {
      child.key = key;
    }
    Node& p = tree_[parent];
    if (p.last_child >= 0) {
      tree_[p.last_child].next_sibling = c;
    } else {
      p.first_child = c;
    }
    p.last_child = c;
    ++p.child_count;
    if (p.child_count == kLinearChildren) {
      for (int32_t k = p.first_child; k >= 0; k = tree_[k].next_sibling) {
        index_.emplace(Step(parent, k), k);
      }
    } else if (p.child_count > kLinearChildren) {
      index_.emplace(Step(parent, c), c);
    }
    return c;
  }

  StepKey Step(int32_t parent, int32_t child) const {
    const Node& node = tree_[child];
    bool is_index = tree_[parent].kind == ChildKind::kIndices;
    return StepKey{parent, is_index, is_index ? node.index : 0,
                   is_index ? absl::string_view() : node.key};
  }

  // The dropped nodes stay in the vector, unreachable.
  void DropChildren(int32_t n) {
    if (tree_[n].child_count >= kLinearChildren) {
      for (int32_t k = tree_[n].first_child; k >= 0; k = tree_[k].next_sibling) {
        index_.erase(Step(n, k));
      }
    }
    tree_[n].first_child = tree_[n].last_child = -1;
    tree_[n].child_count = 0;
  }

  Tree& tree_;
  absl::flat_hash_map<StepKey, int32_t> index_;
};

class Emitter {
 public:
  Emitter(Tree* tree, Sink* sink) : tree_(*tree), sink_(*sink) {}

  // Writes node `n`; `original` is the document's value at its path, if any.
  void Emit(int32_t n, const simdjson::dom::element* original) {
    const Node& node = tree_[n];
    if (node.kind == ChildKind::kNone) {
      if (node.base == Base::kWritten) {
        WriteValue(sink_, *node.value);
      } else if (original != nullptr) {
        WriteElement(sink_, *original);
      } else {
        sink_.Put("null", 4);  // not reached: every created node is written to
      }
      return;
    }
    // A written object or array that later writes go into is parsed, so
    // that its entries are kept; its parser must outlive this subtree.
    std::unique_ptr<simdjson::dom::parser> parser;
    simdjson::dom::element base;
    bool has_base = false;
    if (node.base == Base::kDocument && original != nullptr) {
      base = *original;
      has_base = true;
    } else if (node.base == Base::kWritten) {
      Value::Type want = node.kind == ChildKind::kKeys ? Value::Type::kObject : Value::Type::kArray;
      if (node.value->type() == want) {
        parser = std::make_unique<simdjson::dom::parser>();
        // Malformed text breaks Value's contract; it is then treated like a
        // value of the other kind (replaced by a new container).
        has_base = parser->parse(node.value->text()).get(base) == simdjson::SUCCESS;
      }
    }
    if (node.kind == ChildKind::kKeys) {
      simdjson::dom::object object;
      bool is_object = has_base && base.get_object().get(object) == simdjson::SUCCESS;
      EmitObject(n, is_object ? &object : nullptr);
    } else {
      simdjson::dom::array array;
      bool is_array = has_base && base.get_array().get(array) == simdjson::SUCCESS;
      EmitArray(n, is_array ? &array : nullptr);
    }
  }

 private:
  void EmitObject(int32_t n, const simdjson::dom::object* object) {
    const int32_t first_child = tree_[n].first_child;
    for (int32_t c = first_child; c >= 0; c = tree_[c].next_sibling) tree_[c].matched = false;
    sink_.Put('{');
    bool first = true;
    if (object != nullptr) {
      absl::flat_hash_map<absl::string_view, int32_t> by_key;
      const bool indexed = tree_[n].child_count > kLinearChildren;
      if (indexed) {
        by_key.reserve(tree_[n].child_count);
        for (int32_t c = first_child; c >= 0; c = tree_[c].next_sibling) {
          by_key.emplace(tree_[c].key, c);
        }
      }
      for (simdjson::dom::key_value_pair field : *object) {
        absl::string_view key = View(field.key);
        WriteQuoted(sink_, first ? 0 : ',', key, ':');
        first = false;
        int32_t child = -1;
        if (indexed) {
          auto it = by_key.find(key);
          if (it != by_key.end()) child = it->second;
        } else {
          for (int32_t c = first_child; c >= 0; c = tree_[c].next_sibling) {
            if (tree_[c].key == key) {
              child = c;
              break;
            }
          }
        }
        if (child < 0) {
          WriteElement(sink_, field.value);
          continue;
        }
        // A key that occurs twice gets the edit at each occurrence, so any
        // reader sees the written value.
        tree_[child].matched = true;
        Emit(child, &field.value);
      }
    }
    for (int32_t c = first_child; c >= 0; c = tree_[c].next_sibling) {
      if (tree_[c].matched) continue;
      WriteCheckedQuoted(sink_, first ? 0 : ',', tree_[c].key, ':');
      first = false;
      Emit(c, nullptr);
    }
    sink_.Put('}');
  }

  void EmitArray(int32_t n, const simdjson::dom::array* array) {
    absl::InlinedVector<std::pair<uint32_t, int32_t>, 4> children;
    for (int32_t c = tree_[n].first_child; c >= 0; c = tree_[c].next_sibling) {
      children.emplace_back(tree_[c].index, c);
    }
    std::sort(children.begin(), children.end());
    sink_.Put('[');
    size_t next = 0;  // in `children`
    uint32_t i = 0;   // the array index being written
    if (array != nullptr) {
      for (simdjson::dom::element item : *array) {
        if (i > 0) sink_.Put(',');
        if (next < children.size() && children[next].first == i) {
          Emit(children[next].second, &item);
          ++next;
        } else {
          WriteElement(sink_, item);
        }
        ++i;
      }
    }
    for (; next < children.size(); ++next) {
      // Padding is the one place where a small write set makes a large
      // text: stop as soon as the limit is passed.
      for (; i < children[next].first && !sink_.overflowed(); ++i) {
        if (i > 0) sink_.Put(',');
        sink_.Put("null", 4);
      }
      if (sink_.overflowed()) return;
      if (i > 0) sink_.Put(',');
      Emit(children[next].second, nullptr);
      ++i;
    }
    sink_.Put(']');
  }

  Tree& tree_;
  Sink& sink_;
};

// The nesting of a JSON text (0 for a scalar), counted over brackets
// outside strings.
size_t NestingOf(absl::string_view text) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

bool WritesFitDepth(const WriteSet& writes, size_t max_depth) {
  for (const Write& write : writes) {
    const size_t steps = write.path.size();
    if (steps > max_depth) return false;
    const Value::Type type = write.value.type();
    if (type != Value::Type::kObject && type != Value::Type::kArray) continue;
    // Each level takes at least two bytes: most values cannot be deep
    // enough to matter and are not scanned.
    const absl::string_view text = write.value.text();
    if (steps + text.size() / 2 <= max_depth) continue;
    if (steps + NestingOf(text) > max_depth) return false;
  }
  return true;
}

bool ApplyWritesWithin(simdjson::dom::element doc, const WriteSet& writes, size_t max_bytes,
                       std::string* out) {
  Sink sink(out, max_bytes);
  if (writes.empty()) {
    WriteElement(sink, doc);
    return !sink.overflowed();
  }
  Tree tree;
  TreeBuilder builder(&tree);
  for (const Write& write : writes) builder.Add(write);
  Emitter emitter(&tree, &sink);
  emitter.Emit(0, &doc);
  return !sink.overflowed();
}

void ApplyWrites(simdjson::dom::element doc, const WriteSet& writes, std::string* out) {
  ApplyWritesWithin(doc, writes, std::numeric_limits<size_t>::max(), out);
}

void MergeTopLevel(simdjson::dom::element doc, simdjson::dom::element patch, std::string* out) {
  // The patch's keys in first-seen order, each with its last value (a
  // repeated key is like two writes to it).
  struct Entry {
    absl::string_view key;
    simdjson::dom::element value;
    bool matched;
  };
  absl::InlinedVector<Entry, 8> entries;
  absl::flat_hash_map<absl::string_view, size_t> by_key;
  simdjson::dom::object patch_object;
  if (patch.get_object().get(patch_object) == simdjson::SUCCESS) {
    for (simdjson::dom::key_value_pair field : patch_object) {
      absl::string_view key = View(field.key);
      auto [it, inserted] = by_key.emplace(key, entries.size());
      if (inserted) {
        entries.push_back(Entry{key, field.value, false});
      } else {
        entries[it->second].value = field.value;
      }
    }
  }
  Sink sink(out, std::numeric_limits<size_t>::max());
  sink.Put('{');
  bool first = true;
  simdjson::dom::object doc_object;
  if (doc.get_object().get(doc_object) == simdjson::SUCCESS) {
    for (simdjson::dom::key_value_pair field : doc_object) {
      absl::string_view key = View(field.key);
      WriteQuoted(sink, first ? 0 : ',', key, ':');
      first = false;
      auto it = by_key.find(key);
      if (it == by_key.end()) {
        WriteElement(sink, field.value);
      } else {
        entries[it->second].matched = true;
        WriteElement(sink, entries[it->second].value);
      }
    }
  }
  for (const Entry& entry : entries) {
    if (entry.matched) continue;
    WriteQuoted(sink, first ? 0 : ',', entry.key, ':');
    first = false;
    WriteElement(sink, entry.value);
  }
  sink.Put('}');
}

void AppendElement(simdjson::dom::element element, std::string* out) {
  Sink sink(out, std::numeric_limits<size_t>::max());
  WriteElement(sink, element);
}

bool ApplyWritesToTextWithin(absl::string_view text, simdjson::dom::element doc, TextIndex index,
                             const WriteSet& writes, size_t max_bytes, std::string* out) {
  if (AllTopLevelKeys(writes)) {
    bool within = false;
    if (AppendTopLevel(text, doc, writes, max_bytes, out, &within)) return within;
    if (SpliceTopLevel(text, index, writes, max_bytes, out, &within)) return within;
  }
  return ApplyWritesWithin(doc, writes, max_bytes, out);
}

bool SpliceWritesWithin(absl::string_view text, TextIndex index, const WriteSet& writes,
                        size_t max_bytes, std::string* out, bool* within) {
  return index.count > 0 && AllTopLevelKeys(writes) &&
         SpliceTopLevel(text, index, writes, max_bytes, out, within);
}

void ApplyWritesToText(absl::string_view text, simdjson::dom::element doc, TextIndex index,
                       const WriteSet& writes, std::string* out) {
  ApplyWritesToTextWithin(text, doc, index, writes, std::numeric_limits<size_t>::max(), out);
}

}  // namespace internal
}  // namespace convey
