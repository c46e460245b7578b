/* The C API (convey/c.h) from C: every call, its errors, and that every
 * allocation it hands out is freed by convey_free (run under ASan's leak
 * checker by ./test.sh). Exits non-zero on the first failed check. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convey/c.h"

static int failures = 0;

static void expect(int ok, const char* what, ...) {
  if (ok) return;
  va_list args;
  va_start(args, what);
  fprintf(stderr, "FAILED: ");
  vfprintf(stderr, what, args);
  fprintf(stderr, "\n");
  va_end(args);
  ++failures;
}

static int contains(const char* text, const char* part) {
  return text != NULL && strstr(text, part) != NULL;
}

/* start -> wait (api_callback) -> done (final). */
static const char kScheme[] =
    "[{\"obj_type\":1,\"obj_id\":1003,\"title\":\"Callback\",\"status\":\"active\","
    "\"conv_type\":\"process\",\"scheme\":{\"nodes\":["
    "{\"id\":\"c00000000000000000000001\",\"obj_type\":1,\"title\":\"Start\","
    "\"condition\":{\"logics\":[{\"type\":\"go\",\"to_node_id\":\"c00000000000000000000002\"}],"
    "\"semaphors\":[]}},"
    "{\"id\":\"c00000000000000000000002\",\"obj_type\":0,\"title\":\"Wait\","
    "\"condition\":{\"logics\":[{\"type\":\"api_callback\",\"is_sync\":false,\"obj_id_path\":\"\"},"
    "{\"type\":\"go\",\"to_node_id\":\"c00000000000000000000003\"}],\"semaphors\":[]}},"
    "{\"id\":\"c00000000000000000000003\",\"obj_type\":2,\"title\":\"Done\","
    "\"options\":{\"save_task\":true},\"condition\":{\"logics\":[],\"semaphors\":[]}}]}}]";

struct counts {
  int created;
  int parked;
  int finished;
  int deleted;
  int logged;
  int closed_logged;
};

static void on_event(void* user, convey_event_kind kind, const char* json, size_t length) {
  struct counts* counts = (struct counts*)user;
  if (length != strlen(json)) ++failures;
  if (kind == CONVEY_EVENT_CREATED) __atomic_add_fetch(&counts->created, 1, __ATOMIC_RELAXED);
  if (kind == CONVEY_EVENT_PARKED && contains(json, "\"park_reason\":\"callback\"")) {
    __atomic_add_fetch(&counts->parked, 1, __ATOMIC_RELAXED);
  }
  if (kind == CONVEY_EVENT_FINISHED && contains(json, "\"event\":\"finished\"")) {
    __atomic_add_fetch(&counts->finished, 1, __ATOMIC_RELAXED);
  }
  if (kind == CONVEY_EVENT_DELETED) __atomic_add_fetch(&counts->deleted, 1, __ATOMIC_RELAXED);
}

static void on_log(void* user, int severity, const char* message) {
  struct counts* counts = (struct counts*)user;
  __atomic_add_fetch(&counts->logged, 1, __ATOMIC_RELAXED);
  if (severity == 0 && contains(message, "closed: 0 tasks queued or moving")) {
    __atomic_add_fetch(&counts->closed_logged, 1, __ATOMIC_RELAXED);
  }
}

static void test_version_and_codes(void) {
  expect(strcmp(convey_version(), "0.2.0") == 0, "version %s", convey_version());
  expect(strcmp(convey_code_name(CONVEY_OK), "ok") == 0, "code name ok");
  expect(strcmp(convey_code_name(CONVEY_NOT_FOUND), "not_found") == 0, "code name not_found");
  expect(strcmp(convey_code_name(99), "unknown") == 0, "code name 99");
  convey_free(NULL);
  char* error = (char*)1;
  expect(convey_close(NULL, 0, &error) == CONVEY_OK && error == NULL, "close NULL");
}

static void test_bad_options_and_null_engine(void) {
  convey_options* options = convey_options_create();
  convey_options_set_loop_limit(options, 0);
  convey_engine* engine = NULL;
  char* error = NULL;
  convey_code code = convey_open(options, &engine, &error);
  expect(code == CONVEY_INVALID_ARGUMENT, "open with loop_limit 0: %d", code);
  expect(contains(error, "loop_limit"), "the message names the field: %s", error);
  expect(engine == NULL, "no engine on failure");
  convey_free(error);
  convey_options_destroy(options);

  code = convey_open(NULL, &engine, &error);
  expect(code == CONVEY_INVALID_ARGUMENT, "open NULL options");
  convey_free(error);
  code = convey_wait_idle(NULL, 0, &error);
  expect(code == CONVEY_INVALID_ARGUMENT && contains(error, "NULL"), "NULL engine: %s", error);
  convey_free(error);
  code = convey_task_wait(NULL, 0, NULL, NULL);
  expect(code == CONVEY_INVALID_ARGUMENT, "NULL task");
  expect(convey_stats(NULL) == NULL, "stats of NULL");
  char* reply = convey_handle_ops(NULL, "{}", 2);
  expect(contains(reply, "\"request_proc\":\"error\""), "ops on NULL: %s", reply);
  convey_free(reply);
}

static void test_engine(void) {
  struct counts counts;
  memset(&counts, 0, sizeof counts);
  convey_options* options = convey_options_create();
  convey_options_set_worker_threads(options, 2);
  convey_options_set_virtual_clock(options, 1);
  convey_options_set_variable(options, "@REGION", "eu");
  convey_options_set_event_callback(
      options,
      CONVEY_EVENT_CREATED | CONVEY_EVENT_PARKED | CONVEY_EVENT_FINISHED | CONVEY_EVENT_DELETED,
      on_event, &counts);
  convey_options_set_logger(options, on_log, &counts);
  convey_engine* engine = NULL;
  char* error = NULL;
  convey_code code = convey_open(options, &engine, &error);
  convey_options_destroy(options);
  expect(code == CONVEY_OK && engine != NULL && error == NULL, "open: %s", error);
  if (engine == NULL) return;

  /* Deploy: a broken file says where; a good one gives its conv_ids. */
  int64_t* conv_ids = NULL;
  size_t count = 0;
  char* warnings = NULL;
  code = convey_deploy(engine, "broken.json", "[{\"obj_type\":1", 14, &conv_ids, &count, &warnings,
                       &error);
  expect(code == CONVEY_INVALID_ARGUMENT, "broken deploy: %d", code);
  expect(contains(error, "broken.json"), "names the file: %s", error);
  expect(conv_ids == NULL && count == 0 && warnings == NULL, "nothing returned on failure");
  convey_free(error);
  code = convey_deploy_file(engine, "/no/such/file.json", NULL, NULL, NULL, &error);
  expect(code == CONVEY_NOT_FOUND, "missing file: %d %s", code, error);
  convey_free(error);
  code = convey_deploy(engine, "callback.json", kScheme, strlen(kScheme), &conv_ids, &count,
                       &warnings, &error);
  expect(code == CONVEY_OK && count == 1 && conv_ids != NULL && conv_ids[0] == 1003, "deploy: %s",
         error);
  convey_free(conv_ids);
  convey_free(warnings);

  /* Create with a handle; it waits in the callback node. */
  char* obj_id = NULL;
  convey_task* task = NULL;
  const char* data = "{\"amount\":5}";
  code = convey_create_task(engine, 1003, "order-1", data, strlen(data), &obj_id, &task, &error);
  expect(code == CONVEY_OK && obj_id != NULL && task != NULL, "create: %s", error);
  expect(obj_id != NULL && strlen(obj_id) == 24, "obj_id is 24 hex digits");
  expect(obj_id != NULL && strcmp(obj_id, convey_task_obj_id(task)) == 0, "handle's obj_id");
  char* result = NULL;
  code = convey_task_wait(task, 50, &result, &error);
  expect(code == CONVEY_DEADLINE_EXCEEDED && result == NULL, "wait times out: %d", code);
  expect(contains(error, obj_id), "the timeout names the task: %s", error);
  convey_free(error);
  expect(!convey_task_done(task), "not done while parked");

  /* Refusals. */
  code = convey_create_task(engine, 1003, "order-1", "{}", 2, NULL, NULL, &error);
  expect(code == CONVEY_ALREADY_EXISTS, "duplicate ref: %d", code);
  convey_free(error);
  code = convey_create_task(engine, 1003, NULL, "[1,", 3, NULL, NULL, &error);
  expect(code == CONVEY_INVALID_ARGUMENT && contains(error, "JSON"), "bad JSON: %s", error);
  convey_free(error);
  code = convey_create_task(engine, 4242, NULL, "{}", 2, NULL, NULL, &error);
  expect(code == CONVEY_NOT_FOUND && contains(error, "4242"), "unknown process: %s", error);
  convey_free(error);
  code = convey_show_task(engine, 1003, "nobody", NULL, &result, &error);
  expect(code == CONVEY_NOT_FOUND && result == NULL, "unknown ref: %d", code);
  convey_free(error);

  /* A patch that fails changes nothing; a host note goes to the history. */
  const char* bad_patch = "[{\"op\":\"test\",\"path\":\"/amount\",\"value\":6}]";
  code = convey_patch_task(engine, 1003, "order-1", NULL, bad_patch, strlen(bad_patch), &error);
  expect(code == CONVEY_INVALID_ARGUMENT && contains(error, "the value differs"),
         "failed patch: %s", error);
  convey_free(error);
  code = convey_append_task_history(engine, 1003, "order-1", NULL, "checked", &error);
  expect(code == CONVEY_OK, "append history: %s", error);
  code = convey_append_task_history(engine, 1003, "order-1", NULL, "", &error);
  expect(code == CONVEY_INVALID_ARGUMENT, "empty history text: %d", code);
  convey_free(error);
  code = convey_task_history(engine, 1003, "order-1", NULL, &result, &error);
  expect(code == CONVEY_OK && contains(result, "\"kind\":\"created\"") &&
             contains(result, "\"kind\":\"host\",\"node_id\":") &&
             contains(result, "\"text\":\"checked\""),
         "history: %s", result);
  convey_free(result);
  code = convey_task_history(engine, 1003, "nobody", NULL, &result, &error);
  expect(code == CONVEY_NOT_FOUND && result == NULL, "history of nobody: %d", code);
  convey_free(error);

  /* Show by ref; modify releases it; the handle completes. */
  code = convey_show_task(engine, 1003, "order-1", NULL, &result, NULL);
  expect(code == CONVEY_OK && contains(result, "\"node_title\":\"Wait\"") &&
             contains(result, "\"park_reason\":\"callback\""),
         "show: %s", result);
  convey_free(result);
  code = convey_modify_task(engine, 0, NULL, obj_id, "{\"paid\":true}", 13, &error);
  expect(code == CONVEY_OK, "modify: %s", error);
  code = convey_task_wait(task, CONVEY_NO_TIMEOUT, &result, &error);
  expect(code == CONVEY_OK && contains(result, "\"status\":\"processed\"") &&
             contains(result, "\"data\":{\"amount\":5,\"paid\":true}"),
         "wait: %s", result);
  expect(convey_task_done(task), "done");
  convey_free(result);
  convey_task_destroy(task);
  convey_free(obj_id);

  /* Delete by ref. */
  code = convey_create_task(engine, 1003, "order-2", "{}", 2, NULL, NULL, &error);
  expect(code == CONVEY_OK, "create order-2: %s", error);
  code = convey_wait_idle(engine, 10000, &error);
  expect(code == CONVEY_OK, "wait idle: %s", error);
  code = convey_delete_task(engine, 1003, "order-2", NULL, &error);
  expect(code == CONVEY_OK, "delete: %s", error);
  code = convey_delete_task(engine, 1003, "order-2", NULL, &error);
  expect(code == CONVEY_NOT_FOUND, "delete again: %d", code);
  convey_free(error);

  /* A patch releases a parked task as a modify does. */
  code = convey_create_task(engine, 1003, "order-3", "{\"a\":[1,2]}", 11, NULL, NULL, &error);
  expect(code == CONVEY_OK, "create order-3: %s", error);
  code = convey_wait_idle(engine, 10000, &error);
  expect(code == CONVEY_OK, "wait idle: %s", error);
  const char* patch = "[{\"op\":\"remove\",\"path\":\"/a/0\"}]";
  code = convey_patch_task(engine, 1003, "order-3", NULL, patch, strlen(patch), &error);
  expect(code == CONVEY_OK, "patch: %s", error);
  code = convey_wait_idle(engine, 10000, &error);
  expect(code == CONVEY_OK, "wait idle: %s", error);
  code = convey_show_task(engine, 1003, "order-3", NULL, &result, NULL);
  expect(code == CONVEY_OK && contains(result, "\"data\":{\"a\":[2]}") &&
             contains(result, "\"status\":\"processed\""),
         "patched: %s", result);
  convey_free(result);

  /* The task API and the stats. */
  const char* request =
      "{\"ops\":[{\"type\":\"create\",\"obj\":\"task\",\"conv_id\":1003,\"ref\":\"ops-1\","
      "\"data\":{\"a\":1}},{\"type\":\"show\",\"obj\":\"task\",\"conv_id\":1003,\"ref\":\"ops-1\"}]"
      "}";
  char* reply = convey_handle_ops(engine, request, strlen(request));
  expect(contains(reply, "\"request_proc\":\"ok\"") && contains(reply, "\"ref\":\"ops-1\""),
         "ops: %s", reply);
  convey_free(reply);
  reply = convey_handle_ops(engine, "not json", 8);
  expect(contains(reply, "\"request_proc\":\"format_error\""), "ops format error: %s", reply);
  convey_free(reply);
  code = convey_wait_idle(engine, 10000, NULL);
  char* stats = convey_stats(engine);
  expect(contains(stats, "\"tasks_created\":4") && contains(stats, "\"title\":\"Callback\""),
         "stats: %s", stats);
  convey_free(stats);

  code = convey_close(engine, 10000, &error);
  expect(code == CONVEY_OK && error == NULL, "close: %s", error);
  expect(counts.created == 4, "created events: %d", counts.created);
  expect(counts.parked == 4, "parked events: %d", counts.parked);
  expect(counts.finished == 2, "finished events: %d", counts.finished);
  expect(counts.deleted == 1, "deleted events: %d", counts.deleted);
  expect(counts.closed_logged == 1, "close logged (%d messages)", counts.logged);
}

int main(void) {
  test_version_and_codes();
  test_bad_options_and_null_engine();
  test_engine();
  if (failures != 0) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("c_api_test: every check passed\n");
  return 0;
}
