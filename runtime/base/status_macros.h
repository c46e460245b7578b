// Early returns on an error status, for convey's own code (not part of the
// public API): what would otherwise be a hand-written
// `if (!status.ok()) return status;` after every call.
//
//   CONVEY_RETURN_IF_ERROR(Validate(options));
//   CONVEY_ASSIGN_OR_RETURN(NodeHandle to, builder.Node(id));
//
// Both evaluate their expression once. CONVEY_ASSIGN_OR_RETURN declares (or
// assigns) its left side in the enclosing scope, so it may not be the body
// of an unbraced if/else.
#ifndef CONVEY_RUNTIME_BASE_STATUS_MACROS_H_
#define CONVEY_RUNTIME_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CONVEY_RETURN_IF_ERROR(expr)                                    \
  do {                                                                  \
    if (::absl::Status convey_status_ = (expr); !convey_status_.ok()) { \
      return convey_status_;                                            \
    }                                                                   \
  } while (false)

#define CONVEY_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define CONVEY_STATUS_MACROS_CONCAT_(a, b) CONVEY_STATUS_MACROS_CONCAT_INNER_(a, b)

#define CONVEY_ASSIGN_OR_RETURN(lhs, expr) \
  CONVEY_ASSIGN_OR_RETURN_IMPL_(CONVEY_STATUS_MACROS_CONCAT_(convey_statusor_, __LINE__), lhs, expr)

#define CONVEY_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // CONVEY_RUNTIME_BASE_STATUS_MACROS_H_
