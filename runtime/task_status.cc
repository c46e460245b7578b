// Names of the engine's public enums (convey/engine.h, convey/environment.h).
#include "convey/engine.h"

namespace convey {

absl::string_view TaskStatusName(TaskStatus status) {
  switch (status) {
    case TaskStatus::kProcessing:
      return "processing";
    case TaskStatus::kProcessed:
      return "processed";
    case TaskStatus::kError:
      return "error";
    case TaskStatus::kLoopStopped:
      return "loop_stopped";
    case TaskStatus::kDeleted:
      return "deleted";
  }
  return "unknown";
}

absl::string_view ParkReasonName(ParkReason reason) {
  switch (reason) {
    case ParkReason::kNone:
      return "none";
    case ParkReason::kCallback:
      return "callback";
    case ParkReason::kReply:
      return "reply";
    case ParkReason::kQueue:
      return "queue";
    case ParkReason::kHttp:
      return "http";
    case ParkReason::kTimer:
      return "timer";
    case ParkReason::kNoExit:
      return "no_exit";
    case ParkReason::kUnroutable:
      return "unroutable";
    case ParkReason::kError:
      return "error";
    case ParkReason::kLoopStopped:
      return "loop_stopped";
    case ParkReason::kFinal:
      return "final";
    case ParkReason::kPaused:
      return "paused";
    case ParkReason::kScheduled:
      return "scheduled";
  }
  return "unknown";
}

absl::string_view LogSeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kInfo:
      return "info";
    case LogSeverity::kWarning:
      return "warning";
    case LogSeverity::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace convey
