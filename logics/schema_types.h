// Mapping the imported schema's enums onto the run-time types logics use.
#ifndef CONVEY_LOGICS_SCHEMA_TYPES_H_
#define CONVEY_LOGICS_SCHEMA_TYPES_H_

#include "convey/value.h"
#include "schema/process.pb.h"

namespace convey {
namespace logics {

// `cast` / `extra_type` as a Value type.
inline Value::Type ValueTypeOf(schema::ValueType type) {
  switch (type) {
    case schema::VALUE_TYPE_NUMBER:
      return Value::Type::kNumber;
    case schema::VALUE_TYPE_BOOLEAN:
      return Value::Type::kBoolean;
    case schema::VALUE_TYPE_OBJECT:
      return Value::Type::kObject;
    case schema::VALUE_TYPE_ARRAY:
      return Value::Type::kArray;
    default:
      return Value::Type::kString;
  }
}

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_SCHEMA_TYPES_H_
