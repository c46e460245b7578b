/* convey's C API: the engine for C hosts and for languages that bind to C
 * (Python's ctypes, Go's cgo, Java's FFM, Node's ffi), in the way of SQLite
 * and RocksDB's c.h. Every call is a thin wrapper over convey/engine.h; the
 * contract there (threads, blocking, what a callback may call) holds here.
 *
 * Errors: a call that can fail returns a convey_code: CONVEY_OK (0), or the
 * code of the failure (the numbers of absl::StatusCode: 3 invalid argument,
 * 5 not found, 9 failed precondition, ...). When `error` is not NULL, a
 * failure also stores there a message that says where and why, which the
 * caller frees with convey_free; on success *error is set to NULL.
 *
 * Memory: every pointer the API returns to the caller (strings, arrays,
 * messages) is allocated with malloc and freed with convey_free; objects
 * (options, engine, task) have their own destroy call. Strings are UTF-8,
 * NUL-terminated; JSON text is passed with its length.
 *
 * A NULL engine or task is CONVEY_INVALID_ARGUMENT (convey_stats: NULL).
 *
 * Threads: an engine and its tasks may be used from any thread at once.
 * Options are not thread-safe (fill them from one thread, then open). */
#ifndef CONVEY_C_H_
#define CONVEY_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int convey_code;
#define CONVEY_OK 0
#define CONVEY_CANCELLED 1
#define CONVEY_UNKNOWN 2
#define CONVEY_INVALID_ARGUMENT 3
#define CONVEY_DEADLINE_EXCEEDED 4
#define CONVEY_NOT_FOUND 5
#define CONVEY_ALREADY_EXISTS 6
#define CONVEY_PERMISSION_DENIED 7
#define CONVEY_RESOURCE_EXHAUSTED 8
#define CONVEY_FAILED_PRECONDITION 9
#define CONVEY_ABORTED 10
#define CONVEY_OUT_OF_RANGE 11
#define CONVEY_UNIMPLEMENTED 12
#define CONVEY_INTERNAL 13
#define CONVEY_UNAVAILABLE 14
#define CONVEY_DATA_LOSS 15
#define CONVEY_UNAUTHENTICATED 16

/* A timeout meaning "no limit". */
#define CONVEY_NO_TIMEOUT (-1)

typedef struct convey_options convey_options;
typedef struct convey_engine convey_engine;
typedef struct convey_task convey_task;

/* "MAJOR.MINOR.PATCH" of the library. Static; do not free. */
const char* convey_version(void);
/* Frees what the API returned (strings, arrays, messages). NULL is fine. */
void convey_free(void* pointer);
/* "ok", "invalid_argument", ... Static; do not free. */
const char* convey_code_name(convey_code code);

/* ---- Options (EngineOptions) ---- */

convey_options* convey_options_create(void);
void convey_options_destroy(convey_options* options);
/* 0: one per hardware thread. */
void convey_options_set_worker_threads(convey_options* options, int threads);
/* Non-zero: a virtual clock that jumps to the next timer when nothing else
 * can move (a 30-day delay runs at once), as `convey run` does. Zero (the
 * default): the system clock. */
void convey_options_set_virtual_clock(convey_options* options, int virtual_clock);
void convey_options_set_max_task_size(convey_options* options, size_t bytes);
void convey_options_set_loop_limit(convey_options* options, int limit);
/* A durable store in `directory` (RocksDB); NULL or "": in memory only.
 * `sync`: non-zero for Durability::kSync (the default with a store), zero
 * for kAsync. */
void convey_options_set_store(convey_options* options, const char* directory, int sync);
/* A project variable (`{{env_var[@NAME]}}`). */
void convey_options_set_variable(convey_options* options, const char* name, const char* value);
/* The api logic's timeout for one request, in milliseconds. */
void convey_options_set_api_timeout_ms(convey_options* options, int64_t milliseconds);
/* Non-zero: api calls may not reach private, loopback or metadata
 * addresses; `allowed` (may be NULL) names networks that stay reachable,
 * comma-separated ("10.1.0.0/16,::1"). */
void convey_options_set_api_refuse_private(convey_options* options, int refuse,
                                           const char* allowed);

/* What happened to a task (Observer's events). */
typedef enum convey_event_kind {
  CONVEY_EVENT_CREATED = 1 << 0,
  CONVEY_EVENT_NODE_ENTERED = 1 << 1,
  CONVEY_EVENT_PARKED = 1 << 2,
  CONVEY_EVENT_RESUMED = 1 << 3,
  CONVEY_EVENT_HTTP_SENT = 1 << 4,
  CONVEY_EVENT_HTTP_ANSWERED = 1 << 5,
  CONVEY_EVENT_TIMER_FIRED = 1 << 6,
  CONVEY_EVENT_FINISHED = 1 << 7,
  CONVEY_EVENT_ERROR = 1 << 8,
  CONVEY_EVENT_LOOP_STOPPED = 1 << 9,
  CONVEY_EVENT_DELETED = 1 << 10,
  CONVEY_EVENT_ALL = (1 << 11) - 1
} convey_event_kind;

/* Receives one event: its kind and the task as a JSON object
 * {"event","conv_id","obj_id","ref","node_id","node_title","time" (unix
 * seconds), "data", and where it applies "prev_node_id", "park_reason",
 * "error_tag", "error_description", "http_url", "http_status"}. `json` is
 * valid during the call only. Called from the engine's threads,
 * concurrently; must be quick and thread-safe. */
typedef void (*convey_event_fn)(void* user, convey_event_kind kind, const char* json,
                                size_t length);
/* Events of the kinds in `mask` (convey_event_kind bits) go to `fn`. */
void convey_options_set_event_callback(convey_options* options, uint32_t mask, convey_event_fn fn,
                                       void* user);

/* What the engine has to say that no call returns. `severity`: 0 info,
 * 1 warning, 2 error. Same threading rules as events. */
typedef void (*convey_log_fn)(void* user, int severity, const char* message);
void convey_options_set_logger(convey_options* options, convey_log_fn fn, void* user);

/* ---- The engine ---- */

/* Opens an engine; *engine is set on success. The options may be destroyed
 * right after. */
convey_code convey_open(const convey_options* options, convey_engine** engine, char** error);
/* Closes the engine (Engine::Close: intake stops, what moves drains for up
 * to `timeout_ms`, 0 stops at once, CONVEY_NO_TIMEOUT waits as long as it
 * takes) and frees it, whatever it returns. NULL is fine. */
convey_code convey_close(convey_engine* engine, int64_t timeout_ms, char** error);

/* Deploys a scheme file from a path, or from bytes (`name` is used in
 * messages). *conv_ids (may be NULL) receives the file's conv_ids, in file
 * order, *count their number; free with convey_free. *warnings (may be
 * NULL) receives the warnings, one per line, or NULL when none. */
convey_code convey_deploy_file(convey_engine* engine, const char* path, int64_t** conv_ids,
                               size_t* count, char** warnings, char** error);
convey_code convey_deploy(convey_engine* engine, const char* name, const char* json, size_t length,
                          int64_t** conv_ids, size_t* count, char** warnings, char** error);

/* Creates a task at the start of process `conv_id`. `ref` may be NULL or
 * "". *obj_id (may be NULL) receives its obj_id (free with convey_free).
 * When `task` is not NULL, *task receives a handle to wait on
 * (convey_task_wait) that the caller destroys with convey_task_destroy. */
convey_code convey_create_task(convey_engine* engine, int64_t conv_id, const char* ref,
                               const char* json, size_t length, char** obj_id, convey_task** task,
                               char** error);
/* The task's obj_id. Valid until the handle is destroyed. */
const char* convey_task_obj_id(const convey_task* task);
/* Waits until the task ends (final node, error, loop guard, deleted) or
 * `timeout_ms` passes (CONVEY_DEADLINE_EXCEEDED; the task goes on).
 * *result receives the task as JSON (see convey_show_task). */
convey_code convey_task_wait(convey_task* task, int64_t timeout_ms, char** result, char** error);
/* Non-zero once the task has ended. */
int convey_task_done(const convey_task* task);
void convey_task_destroy(convey_task* task);

/* A task is named by `obj_id` when it is not NULL or "", else by `ref`
 * within `conv_id`. */

/* Merges the JSON object into the task's data (a parked task resumes). */
convey_code convey_modify_task(convey_engine* engine, int64_t conv_id, const char* ref,
                               const char* obj_id, const char* json, size_t length, char** error);
/* *result receives {"obj_id","ref","conv_id","status","park_reason",
 * "node_id","node_title","node_prev_id","create_time","change_time"
 * (unix seconds), "data"}. */
convey_code convey_show_task(convey_engine* engine, int64_t conv_id, const char* ref,
                             const char* obj_id, char** result, char** error);
convey_code convey_delete_task(convey_engine* engine, int64_t conv_id, const char* ref,
                               const char* obj_id, char** error);
/* Applies a JSON Patch (RFC 6902, a JSON array of operations) to the task's
 * data, all or nothing (Engine::PatchTask); a parked task resumes as with
 * a modify. */
convey_code convey_patch_task(convey_engine* engine, int64_t conv_id, const char* ref,
                              const char* obj_id, const char* patch, size_t length, char** error);
/* *result receives the task's history: {"obj_id","dropped","history":
 * [{"time_us" (unix microseconds),"kind","node_id","text"}]} (see
 * Engine::GetTaskHistory). */
convey_code convey_task_history(convey_engine* engine, int64_t conv_id, const char* ref,
                                const char* obj_id, char** result, char** error);
/* Appends the host's own entry (kind "host", 1..1024 bytes of UTF-8). */
convey_code convey_append_task_history(convey_engine* engine, int64_t conv_id, const char* ref,
                                       const char* obj_id, const char* text, char** error);

/* Waits until no task moves (and, with a virtual clock, no timer is due). */
convey_code convey_wait_idle(convey_engine* engine, int64_t timeout_ms, char** error);
/* Engine::Stats as JSON: {"tasks_created", ..., "processes":[{"conv_id",
 * "title","created","nodes":[{"node_id","title","tasks","finished",
 * "sums":[{"id","name","value"}]}]}]}. Free with convey_free. */
char* convey_stats(convey_engine* engine);
/* The Corezoid task API (convey/ops.h): a request body {"ops":[...]} in,
 * the reply out (never NULL; free with convey_free). */
char* convey_handle_ops(convey_engine* engine, const char* body, size_t length);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CONVEY_C_H_ */
