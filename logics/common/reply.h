// An `api_rpc_reply` (Part B §3.8), compiled: what it sends back to the
// task that called its process.
//
// mode `key_value`: `res_data` is key -> template with `res_data_type`
// types (A5; keys are paths). mode `keys`: `res_data` lists task keys
// (paths); each present one is returned with its current value, converted to
// its declared type when that is not `string`; missing keys are left out.
// (`string` is also what a key gets when the file declares no type, so
// `string` means "as it is": a number stays a number.)
//
// Immutable once read; Build may run on many threads at once.
#ifndef CONVEY_LOGICS_COMMON_REPLY_H_
#define CONVEY_LOGICS_COMMON_REPLY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "convey/value.h"
#include "logics/common/typed_values.h"
#include "runtime/json/path.h"

namespace convey {
namespace logics {

class Reply {
 public:
  Reply() = default;
  Reply(Reply&&) = default;
  Reply& operator=(Reply&&) = default;

  // Reads the api_rpc_reply object `config` with the importer's rules
  // (`mode` "key_value", the default, or "keys"; `res_data` + `res_data_type`,
  // in mode keys also an array of keys typed by `res_data_type`; without
  // `res_data`, `extra` + `extra_type`; `throw_exception`,
  // `exception_reason`, `err_node_id`) and compiles it. Every problem is
  // reported in `config`, located (an unknown mode, a key that is not a
  // path, a template that does not compile); when any was, the result is
  // config.Failed(). `prefix` goes before the field names in the compile
  // messages ("" but for a caller that wants them qualified).
  static absl::StatusOr<Reply> Read(LogicConfig& config, absl::string_view prefix,
                                    LogicBuilder& builder);

  // The reply object, its templates evaluated against `source`.
  // InvalidArgument whose message is the A5 description when a value does
  // not convert; OutOfRange when it would pass kMaxBuiltObjectBytes.
  absl::Status Build(ValueSource& source, std::string* json) const;

  bool throw_exception() const { return throw_exception_; }
  // `exception_reason` (a template) evaluated against `source`.
  std::string Reason(ValueSource& source) const;
  // `err_node_id` (invalid when none).
  NodeHandle err_node() const { return err_node_; }

 private:
  struct Key {
    std::string text;
    internal::Path path;
    Value::Type type = Value::Type::kString;
  };
  bool keys_mode_ = false;
  TypedValues values_;     // key_value
  std::vector<Key> keys_;  // keys
  bool throw_exception_ = false;
  const Template* reason_ = nullptr;
  NodeHandle err_node_;
};

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_COMMON_REPLY_H_
