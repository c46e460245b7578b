#include "runtime/import/logic_config.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/import/located_reader.h"
#include "runtime/json/minify.h"

namespace convey {
namespace internal {
namespace {

using simdjson::dom::element;

// What a logic's configuration and the objects visited in it share: one
// reader (its path follows the visits) and one error count.
struct ConfigShared {
  ConfigShared(const LogicConfigSource& source, LogicBuilder* builder,
               std::vector<Diagnostic>* diagnostics)
      : reader(source.file, kMaxDepth, source.max_diagnostics, diagnostics),
        builder(builder),
        type(source.type),
        text(source.json),
        conv_id(source.conv_id) {}
  static constexpr int kMaxDepth = 64;  // as ImportLimits::max_depth

  LocatedReader reader;
  LogicBuilder* builder;
  std::string type;
  std::string text;
  int64_t conv_id;
  simdjson::dom::document document;  // the logic object, parsed
};

class ObjectConfig : public LogicConfig {
 public:
  // `fields` are the members of `object`, already read (and their repeats
  // reported) at the reader's current path, which is where this object is.
  ObjectConfig(ConfigShared* shared, element object, Fields fields)
      : shared_(shared),
        object_(object),
        fields_(std::move(fields)),
        location_(shared->reader.path().raw()) {}

  absl::string_view type() const override { return shared_->type; }
  absl::string_view json() const override {
    if (!json_) json_ = Minify(object_);
    return *json_;
  }
  simdjson::dom::object object() const override {
    simdjson::dom::object object;
    if (object_.get_object().get(object) != simdjson::SUCCESS) return {};
    return object;
  }
  std::string location() const override { return location_.empty() ? "$" : location_; }

  bool Has(absl::string_view key) const override { return fields_.FindSet(key).has_value(); }
  std::vector<std::string> Keys() const override {
    std::vector<std::string> keys;
    for (const auto& [key, unused] : fields_.entries) keys.emplace_back(key);
    return keys;
  }

  bool ReadString(absl::string_view key, std::string* out) override {
    Here here(this);
    return reader().ReadString(fields_, key, out);
  }
  bool ReadText(absl::string_view key, std::string* out) override {
    Here here(this);
    return reader().ReadText(fields_, key, out);
  }
  bool ReadInt64(absl::string_view key, int64_t* out) override {
    Here here(this);
    return reader().ReadInt64(fields_, key, out);
  }
  bool ReadBool(absl::string_view key, bool* out) override {
    Here here(this);
    return reader().ReadBool(fields_, key, out);
  }
  bool ReadValueType(absl::string_view key, Value::Type* out) override {
    Here here(this);
    std::string name;
    if (!reader().ReadString(fields_, key, &name)) return false;
    PathScope scope(reader().path(), key);
    return reader().ParseValueType(name, out);
  }
  bool ReadLink(absl::string_view key, bool required, NodeHandle* out) override {
    Here here(this);
    *out = NodeHandle{};
    std::string target;
    if (!reader().ReadLinkTarget(fields_, type(), key, required, &target)) return false;
    absl::StatusOr<NodeHandle> node = shared_->builder->Node(target);
    if (!node.ok()) {
      // Located at the object holding the link, as the importer locates a
      // semaphore's.
      reader().Report(Diagnostic::Severity::kError, location(),
                      absl::StrCat(type(), ".", key, " ", Quote(target),
                                   " names no node of process ", shared_->conv_id));
      return false;
    }
    *out = *node;
    return out->valid();
  }
  bool ReadTextList(absl::string_view key, std::vector<std::string>* out) override {
    Here here(this);
    simdjson::dom::array array;
    if (!reader().ReadArray(fields_, key, &array)) return false;
    for (element item : array) out->push_back(LocatedReader::ScalarText(item));
    return true;
  }
  bool ReadTypedValues(absl::string_view values_key, absl::string_view types_key,
                       std::vector<TypedValueSpec>* out) override {
    Here here(this);
    return reader().ReadTypedValues(fields_, values_key, types_key, out);
  }
  bool ReadObject(absl::string_view key, const std::function<void(LogicConfig&)>& visit) override {
    Here here(this);
    Fields fields;
    element raw;
    if (!reader().ReadEmbeddedObject(fields_, key, &fields, &raw)) return false;
    PathScope scope(reader().path(), key);
    ObjectConfig child(shared_, raw, std::move(fields));
    visit(child);
    return true;
  }
  bool ForEachObject(absl::string_view key,
                     const std::function<void(LogicConfig&)>& visit) override {
    Here here(this);
    simdjson::dom::array array;
    if (!reader().ReadArray(fields_, key, &array)) return false;
    PathScope array_scope(reader().path(), key);
    size_t index = 0;
    for (element item : array) {
      PathScope scope(reader().path(), index++);
      Fields fields;
      if (!reader().AsObject(item, &fields)) continue;
      ObjectConfig child(shared_, item, std::move(fields));
      visit(child);
    }
    return true;
  }

  void Error(absl::string_view key, std::string message) override {
    reader().Report(Diagnostic::Severity::kError, At(key), std::move(message));
  }
  void Warning(absl::string_view key, std::string message) override {
    reader().Report(Diagnostic::Severity::kWarning, At(key), std::move(message));
  }
  int error_count() const override { return shared_->reader.error_count(); }

 private:
  // Puts the reader's path at this object for one call: a factory may read
  // an outer object while it visits an inner one.
  class Here {
   public:
    explicit Here(ObjectConfig* config) : path_(config->reader().path()), saved_(path_.raw()) {
      path_.Reset(config->location_);
    }
    ~Here() { path_.Reset(saved_); }

   private:
    JsonPath& path_;
    std::string saved_;
  };

  LocatedReader& reader() const { return shared_->reader; }
  std::string At(absl::string_view key) const {
    std::string path = location_;
    if (!key.empty()) AppendPathKey(&path, key);
    return path.empty() ? "$" : path;
  }

  ConfigShared* shared_;
  element object_;
  Fields fields_;
  std::string location_;  // raw: "" at the root
  mutable std::optional<std::string> json_;
};

// The configuration of the logic itself: owns what its visits share.
class LogicObjectConfig : public ObjectConfig {
 public:
  LogicObjectConfig(std::unique_ptr<ConfigShared> shared, element object, Fields fields)
      : ObjectConfig(shared.get(), object, std::move(fields)), shared_(std::move(shared)) {}

 private:
  std::unique_ptr<ConfigShared> shared_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogicConfig>> NewLogicConfig(const LogicConfigSource& source,
                                                            LogicBuilder* builder,
                                                            std::vector<Diagnostic>* diagnostics) {
  auto shared = std::make_unique<ConfigShared>(source, builder, diagnostics);
  element root;
  // One parser per thread, each config keeping only its document: a
  // parser's buffers cost more to allocate than a small logic to parse.
  thread_local simdjson::dom::parser parser;
  if (auto error =
          parser.parse_into_document(shared->document, shared->text.data(), shared->text.size())
              .get(root);
      error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("the logic is not valid JSON: ", simdjson::error_message(error)));
  }
  LocatedReader& reader = shared->reader;
  reader.path().Reset(source.location);
  reader.set_node_id(source.node_id);
  reader.SetText(shared->text);
  Fields fields;
  if (!root.is_object() || !reader.AsObject(root, &fields)) {
    return absl::InvalidArgumentError("the logic is not a JSON object");
  }
  return std::unique_ptr<LogicConfig>(
      new LogicObjectConfig(std::move(shared), root, std::move(fields)));
}

}  // namespace internal
}  // namespace convey
