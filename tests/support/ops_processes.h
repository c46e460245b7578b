// The processes the ops protocol's tests and its fuzz target run against:
// one JSON object each, joined into a scheme file's array by the user.
#ifndef CONVEY_TESTS_SUPPORT_OPS_PROCESSES_H_
#define CONVEY_TESTS_SUPPORT_OPS_PROCESSES_H_

namespace convey {
namespace testing {

// 1001 "Pass": start -> final (save_task).
inline constexpr char kOpsPassProcess[] = R"json({"obj_type": 1, "obj_id": 1001, "title": "Pass", "status": "active", "conv_type": "process",
   "scheme": {"nodes": [
     {"id": "a00000000000000000000001", "obj_type": 1, "title": "Start",
      "condition": {"logics": [{"type": "go", "to_node_id": "a00000000000000000000002"}],
                    "semaphors": []}},
     {"id": "a00000000000000000000002", "obj_type": 2, "title": "Done",
      "options": {"save_task": true},
      "condition": {"logics": [], "semaphors": []}}]}})json";

// 1002 "Hold": start -> hold (parks, no logics) -> final.
inline constexpr char kOpsHoldProcess[] = R"json({"obj_type": 1, "obj_id": 1002, "title": "Hold", "status": "active", "conv_type": "process",
   "scheme": {"nodes": [
     {"id": "b00000000000000000000001", "obj_type": 1, "title": "Start",
      "condition": {"logics": [{"type": "go", "to_node_id": "b00000000000000000000002"}],
                    "semaphors": []}},
     {"id": "b00000000000000000000002", "obj_type": 0, "title": "Hold",
      "condition": {"logics": [], "semaphors": []}},
     {"id": "b00000000000000000000003", "obj_type": 2, "title": "Done",
      "options": {"save_task": true},
      "condition": {"logics": [], "semaphors": []}}]}})json";

// 1003 "Callback" (a state diagram): start -> wait (api_callback) -> final.
inline constexpr char kOpsCallbackProcess[] = R"json({"obj_type": 1, "obj_id": 1003, "title": "Callback", "status": "active", "conv_type": "state",
   "scheme": {"nodes": [
     {"id": "c00000000000000000000001", "obj_type": 1, "title": "Start",
      "condition": {"logics": [{"type": "go", "to_node_id": "c00000000000000000000002"}],
                    "semaphors": []}},
     {"id": "c00000000000000000000002", "obj_type": 0, "title": "Wait",
      "condition": {"logics": [{"type": "api_callback", "is_sync": false, "obj_id_path": ""},
                               {"type": "go", "to_node_id": "c00000000000000000000003"}],
                    "semaphors": []}},
     {"id": "c00000000000000000000003", "obj_type": 2, "title": "Done",
      "options": {"save_task": true},
      "condition": {"logics": [], "semaphors": []}}]}})json";

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_SUPPORT_OPS_PROCESSES_H_
