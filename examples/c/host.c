/* A C host: deploy the example process, run 1000 orders on a virtual clock
 * (the hour-long review passes at once), wait for one of them by its
 * handle, ask the Corezoid task API, and print the totals.
 *   cc host.c $(pkg-config --cflags --libs convey) -o host
 *   ./host examples/orders.conv.json */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convey/c.h"

static int check(convey_code code, char* error, const char* what) {
  if (code == CONVEY_OK) return 0;
  fprintf(stderr, "%s: %s: %s\n", what, convey_code_name(code), error ? error : "");
  convey_free(error);
  return 1;
}

int main(int argc, char** argv) {
  const char* scheme = argc > 1 ? argv[1] : "examples/orders.conv.json";
  char* error = NULL;
  convey_options* options = convey_options_create();
  convey_options_set_virtual_clock(options, 1);
  convey_engine* engine = NULL;
  convey_code code = convey_open(options, &engine, &error);
  convey_options_destroy(options);
  if (check(code, error, "open")) return 1;

  int64_t* conv_ids = NULL;
  size_t count = 0;
  code = convey_deploy_file(engine, scheme, &conv_ids, &count, NULL, &error);
  if (check(code, error, "deploy")) return 1;
  const int64_t conv_id = conv_ids[0];
  convey_free(conv_ids);

  char data[64];
  for (int i = 0; i < 1000; ++i) {
    snprintf(data, sizeof data, "{\"price\":%d,\"qty\":%d}", i % 50, i % 40);
    code = convey_create_task(engine, conv_id, NULL, data, strlen(data), NULL, NULL, &error);
    if (check(code, error, "create")) return 1;
  }
  /* One order with a handle: wait for where it ends. */
  const char* big = "{\"price\":100,\"qty\":10}";
  convey_task* task = NULL;
  code = convey_create_task(engine, conv_id, "big-one", big, strlen(big), NULL, &task, &error);
  if (check(code, error, "create big-one")) return 1;
  char* result = NULL;
  code = convey_task_wait(task, 10000, &result, &error);
  if (check(code, error, "wait")) return 1;
  printf("task %s ended: %s\n", convey_task_obj_id(task), result);
  convey_free(result);
  convey_task_destroy(task);

  /* A bad create says where and why. */
  code = convey_create_task(engine, conv_id, NULL, "[1,", 3, NULL, NULL, &error);
  printf("bad data: %s: %s\n", convey_code_name(code), error);
  convey_free(error);

  /* The Corezoid task API. */
  const char* request =
      "{\"ops\":[{\"type\":\"show\",\"obj\":\"task\",\"conv_id\":1001,"
      "\"ref\":\"big-one\"}]}";
  char* reply = convey_handle_ops(engine, request, strlen(request));
  printf("ops reply: %.60s...\n", reply);
  convey_free(reply);

  code = convey_wait_idle(engine, 10000, &error);
  if (check(code, error, "wait idle")) return 1;
  char* stats = convey_stats(engine);
  printf("stats: %.80s...\n", stats);
  convey_free(stats);
  code = convey_close(engine, 10000, &error);
  return check(code, error, "close");
}
