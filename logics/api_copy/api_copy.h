// `api_copy` (Copy Task / Modify Task, Part B §3.6).
//
// mode `create`: starts a task in process `conv_id` with `ref` and the data
// `data` (typed, A5; with `group: "all"` applied on top of a copy of this
// task's data), plus `copy_conv_id`, `copy_node_id` and `copy_ref_id`. This
// task does not wait: it gets `__conveyor_copy_task_result__: "ok"` and goes
// on. Errors in family `copy_task`.
//
// mode `modify`: merges the same data into the task `ref` of `conv_id`
// (releasing it from an api_callback; with `is_sync` only when it waits in
// one). Errors in family `modify_task`.
//
// Decisions where the platform's documentation is silent:
// - `copy_ref_id` is this task's ref, or its obj_id when it has none;
//   `copy_conv_id` is a number. The three are written after `data`, so they
//   win over data keys of the same name. A modify sends none of them.
// - `conv_id` `@alias`: convey has no aliases; the task fails with
//   `conveyor_is_not_active` naming the alias.
// - A ref longer than 255 bytes (and, for modify, an empty ref) fails with
//   `wrong_validate_params` before anything is sent.
// - Tags with a family prefix take the modify family in mode modify
//   (`modify_task_wrong_convert_param`, `modify_task_size_overflow_limit`,
//   `modify_task_fatal_error`); the others (`not_unical_ref`,
//   `conveyor_is_not_active`, ...) are the same in both modes.
// - A run queue that is full (or any other engine failure) is hardware
//   `<family>_fatal_error`: a retry may succeed.
#ifndef CONVEY_LOGICS_API_COPY_API_COPY_H_
#define CONVEY_LOGICS_API_COPY_API_COPY_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiCopyFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_COPY_API_COPY_H_
