// The C API (convey/c.h) over the C++ engine: options, the engine, task
// handles, events and the logger, with every result copied into memory the
// caller frees with convey_free.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/c.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/ops.h"
#include "convey/version.h"
#include "runtime/json/json_writer.h"

namespace {

using convey::internal::JsonWriter;

// A copy of `text` the caller frees with convey_free (free).
char* CopyOut(absl::string_view text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

convey_code Fail(const absl::Status& status, char** error) {
  if (error != nullptr) *error = status.ok() ? nullptr : CopyOut(status.message());
  return static_cast<convey_code>(status.code());
}

convey_code Done(const absl::Status& status, char** error) { return Fail(status, error); }

absl::Status NullEngine() { return absl::InvalidArgumentError("the engine is NULL"); }
absl::Status NullTask() { return absl::InvalidArgumentError("the task is NULL"); }

absl::Duration TimeoutOf(int64_t milliseconds) {
  return milliseconds < 0 ? absl::InfiniteDuration() : absl::Milliseconds(milliseconds);
}

absl::string_view TextOf(const char* text) { return text == nullptr ? "" : text; }

convey::TaskKey KeyOf(int64_t conv_id, const char* ref, const char* obj_id) {
  if (obj_id != nullptr && obj_id[0] != '\0') return convey::TaskKey::ByObjId(obj_id);
  return convey::TaskKey::ByRef(conv_id, std::string(TextOf(ref)));
}

double UnixSeconds(absl::Time time) { return absl::ToDoubleSeconds(time - absl::UnixEpoch()); }

std::string SnapshotJson(const convey::TaskSnapshot& task) {
  JsonWriter out;
  out.BeginObject()
      .Key("obj_id")
      .String(task.obj_id)
      .Key("ref")
      .String(task.ref)
      .Key("conv_id")
      .Int(task.conv_id)
      .Key("status")
      .String(convey::TaskStatusName(task.status))
      .Key("park_reason")
      .String(convey::ParkReasonName(task.park_reason))
      .Key("node_id")
      .String(task.node_id)
      .Key("node_title")
      .String(task.node_title)
      .Key("node_prev_id")
      .String(task.node_prev_id)
      .Key("create_time")
      .Double(UnixSeconds(task.create_time))
      .Key("change_time")
      .Double(UnixSeconds(task.change_time))
      .Key("data")
      .Raw(task.data.empty() ? "{}" : task.data)
      .EndObject();
  return out.Release();
}

const char* EventName(convey_event_kind kind) {
  switch (kind) {
    case CONVEY_EVENT_CREATED:
      return "created";
    case CONVEY_EVENT_NODE_ENTERED:
      return "node_entered";
    case CONVEY_EVENT_PARKED:
      return "parked";
    case CONVEY_EVENT_RESUMED:
      return "resumed";
    case CONVEY_EVENT_HTTP_SENT:
      return "http_sent";
    case CONVEY_EVENT_HTTP_ANSWERED:
      return "http_answered";
    case CONVEY_EVENT_TIMER_FIRED:
      return "timer_fired";
    case CONVEY_EVENT_FINISHED:
      return "finished";
    case CONVEY_EVENT_ERROR:
      return "error";
    case CONVEY_EVENT_LOOP_STOPPED:
      return "loop_stopped";
    case CONVEY_EVENT_DELETED:
      return "deleted";
    default:
      return "unknown";
  }
}

// Forwards the engine's events to a C callback as JSON.
class CallbackObserver : public convey::Observer {
 public:
  CallbackObserver(uint32_t mask, convey_event_fn fn, void* user)
      : mask_(mask & CONVEY_EVENT_ALL), fn_(fn), user_(user) {}

  // The C kinds are the Observer::Event bits.
  uint32_t events() const override { return mask_; }
  void OnTaskCreated(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_CREATED, e); }
  void OnNodeEntered(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_NODE_ENTERED, e); }
  void OnTaskParked(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_PARKED, e); }
  void OnTaskResumed(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_RESUMED, e); }
  void OnHttpSent(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_HTTP_SENT, e); }
  void OnHttpAnswered(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_HTTP_ANSWERED, e); }
  void OnTimerFired(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_TIMER_FIRED, e); }
  void OnTaskFinished(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_FINISHED, e); }
  void OnTaskError(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_ERROR, e); }
  void OnTaskLoopStopped(const convey::TaskEvent& e) override {
    Send(CONVEY_EVENT_LOOP_STOPPED, e);
  }
  void OnTaskDeleted(const convey::TaskEvent& e) override { Send(CONVEY_EVENT_DELETED, e); }

 private:
  void Send(convey_event_kind kind, const convey::TaskEvent& e) const {
    JsonWriter out;
    out.BeginObject()
        .Key("event")
        .String(EventName(kind))
        .Key("conv_id")
        .Int(e.conv_id)
        .Key("obj_id")
        .String(e.obj_id)
        .Key("ref")
        .String(e.ref)
        .Key("node_id")
        .String(e.node_id)
        .Key("node_title")
        .String(e.node_title)
        .Key("time")
        .Double(UnixSeconds(e.time));
    if (!e.prev_node_id.empty()) out.Key("prev_node_id").String(e.prev_node_id);
    if (e.park_reason != convey::ParkReason::kNone) {
      out.Key("park_reason").String(convey::ParkReasonName(e.park_reason));
    }
    if (!e.error_tag.empty()) {
      out.Key("error_tag").String(e.error_tag).Key("error_description").String(e.error_description);
    }
    if (e.http_request != nullptr) out.Key("http_url").String(e.http_request->url);
    if (e.http_response != nullptr) {
      if (e.http_response->ok()) {
        out.Key("http_status").Int((*e.http_response)->status);
      } else {
        out.Key("http_error").String(e.http_response->status().message());
      }
    }
    out.Key("data").Raw(e.data.empty() ? "{}" : e.data).EndObject();
    const std::string& json = out.str();
    fn_(user_, kind, json.c_str(), json.size());
  }

  const uint32_t mask_;
  const convey_event_fn fn_;
  void* const user_;
};

}  // namespace

struct convey_options {
  convey::EngineOptions options;
  bool virtual_clock = false;
  uint32_t event_mask = 0;
  convey_event_fn event_fn = nullptr;
  void* event_user = nullptr;
};

// What the C++ engine borrows lives here, beside it, and dies after it.
struct convey_engine {
  std::unique_ptr<convey::VirtualClock> clock;
  std::unique_ptr<CallbackObserver> observer;
  std::unique_ptr<convey::Engine> engine;  // last: destroyed first
};

struct convey_task {
  convey::TaskHandle handle;
};

extern "C" {

const char* convey_version(void) { return convey::Version(); }

void convey_free(void* pointer) { std::free(pointer); }

const char* convey_code_name(convey_code code) {
  static const char* const kNames[] = {"ok",
                                       "cancelled",
                                       "unknown",
                                       "invalid_argument",
                                       "deadline_exceeded",
                                       "not_found",
                                       "already_exists",
                                       "permission_denied",
                                       "resource_exhausted",
                                       "failed_precondition",
                                       "aborted",
                                       "out_of_range",
                                       "unimplemented",
                                       "internal",
                                       "unavailable",
                                       "data_loss",
                                       "unauthenticated"};
  if (code < 0 || code >= static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) return "unknown";
  return kNames[code];
}

convey_options* convey_options_create(void) { return new (std::nothrow) convey_options(); }

void convey_options_destroy(convey_options* options) { delete options; }

void convey_options_set_worker_threads(convey_options* options, int threads) {
  if (options == nullptr) return;
  options->options.worker_threads = threads;
}

void convey_options_set_virtual_clock(convey_options* options, int virtual_clock) {
  if (options == nullptr) return;
  options->virtual_clock = virtual_clock != 0;
}

void convey_options_set_max_task_size(convey_options* options, size_t bytes) {
  if (options == nullptr) return;
  options->options.max_task_size = bytes;
}

void convey_options_set_loop_limit(convey_options* options, int limit) {
  if (options == nullptr) return;
  options->options.loop_limit = limit;
}

void convey_options_set_store(convey_options* options, const char* directory, int sync) {
  if (options == nullptr) return;
  options->options.store_directory = std::string(TextOf(directory));
  options->options.durability = options->options.store_directory.empty() ? convey::Durability::kNone
                                : sync != 0                              ? convey::Durability::kSync
                                            : convey::Durability::kAsync;
}

void convey_options_set_variable(convey_options* options, const char* name, const char* value) {
  if (options == nullptr) return;
  options->options.variables[std::string(TextOf(name))] = std::string(TextOf(value));
}

void convey_options_set_api_timeout_ms(convey_options* options, int64_t milliseconds) {
  if (options == nullptr) return;
  options->options.api_timeout = TimeoutOf(milliseconds);
}

void convey_options_set_api_refuse_private(convey_options* options, int refuse,
                                           const char* allowed) {
  if (options == nullptr) return;
  options->options.api_refuse_private_addresses = refuse != 0;
  options->options.api_allowed_networks.clear();
  for (absl::string_view network : absl::StrSplit(TextOf(allowed), ',', absl::SkipEmpty())) {
    options->options.api_allowed_networks.emplace_back(network);
  }
}

void convey_options_set_event_callback(convey_options* options, uint32_t mask, convey_event_fn fn,
                                       void* user) {
  if (options == nullptr) return;
  options->event_mask = fn != nullptr ? mask : 0;
  options->event_fn = fn;
  options->event_user = user;
}

void convey_options_set_logger(convey_options* options, convey_log_fn fn, void* user) {
  if (options == nullptr) return;
  if (fn == nullptr) {
    options->options.logger = nullptr;
    return;
  }
  options->options.logger = [fn, user](convey::LogSeverity severity, absl::string_view message) {
    const std::string text(message);
    fn(user, static_cast<int>(severity), text.c_str());
  };
}

convey_code convey_open(const convey_options* options, convey_engine** engine, char** error) {
  if (options == nullptr || engine == nullptr) {
    return Fail(absl::InvalidArgumentError("convey_open: options and engine must not be NULL"),
                error);
  }
  *engine = nullptr;
  auto opened = std::make_unique<convey_engine>();
  convey::EngineOptions engine_options = options->options;
  if (options->virtual_clock) {
    opened->clock = std::make_unique<convey::VirtualClock>(absl::Now());
    engine_options.clock = opened->clock.get();
  }
  if (options->event_fn != nullptr && options->event_mask != 0) {
    opened->observer = std::make_unique<CallbackObserver>(options->event_mask, options->event_fn,
                                                          options->event_user);
    engine_options.observer = opened->observer.get();
  }
  absl::StatusOr<std::unique_ptr<convey::Engine>> made = convey::Engine::Open(engine_options);
  if (!made.ok()) return Fail(made.status(), error);
  opened->engine = *std::move(made);
  *engine = opened.release();
  return Done(absl::OkStatus(), error);
}

convey_code convey_close(convey_engine* engine, int64_t timeout_ms, char** error) {
  if (engine == nullptr) return Done(absl::OkStatus(), error);
  const absl::Status closed = engine->engine->Close(TimeoutOf(timeout_ms));
  delete engine;
  return Done(closed, error);
}

namespace {

convey_code Deployed(const absl::StatusOr<convey::DeployResult>& result, int64_t** conv_ids,
                     size_t* count, char** warnings, char** error) {
  if (conv_ids != nullptr) *conv_ids = nullptr;
  if (count != nullptr) *count = 0;
  if (warnings != nullptr) *warnings = nullptr;
  if (!result.ok()) return Fail(result.status(), error);
  if (conv_ids != nullptr && !result->conv_ids.empty()) {
    const size_t bytes = result->conv_ids.size() * sizeof(int64_t);
    *conv_ids = static_cast<int64_t*>(std::malloc(bytes));
    if (*conv_ids == nullptr) return Fail(absl::ResourceExhaustedError("out of memory"), error);
    std::memcpy(*conv_ids, result->conv_ids.data(), bytes);
  }
  if (count != nullptr) *count = result->conv_ids.size();
  if (warnings != nullptr && !(result->warnings.empty() && result->unresolved_references.empty())) {
    std::string text;
    for (const auto* list : {&result->warnings, &result->unresolved_references}) {
      for (const convey::Diagnostic& warning : *list)
        absl::StrAppend(&text, warning.ToString(), "\n");
    }
    *warnings = CopyOut(text);
  }
  return Done(absl::OkStatus(), error);
}

}  // namespace

convey_code convey_deploy_file(convey_engine* engine, const char* path, int64_t** conv_ids,
                               size_t* count, char** warnings, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  return Deployed(engine->engine->DeployFile(std::string(TextOf(path))), conv_ids, count, warnings,
                  error);
}

convey_code convey_deploy(convey_engine* engine, const char* name, const char* json, size_t length,
                          int64_t** conv_ids, size_t* count, char** warnings, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  return Deployed(engine->engine->Deploy(TextOf(name), absl::string_view(json, length)), conv_ids,
                  count, warnings, error);
}

convey_code convey_create_task(convey_engine* engine, int64_t conv_id, const char* ref,
                               const char* json, size_t length, char** obj_id, convey_task** task,
                               char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  if (obj_id != nullptr) *obj_id = nullptr;
  if (task != nullptr) *task = nullptr;
  const absl::string_view data(json == nullptr ? "" : json, json == nullptr ? 0 : length);
  std::string id;
  if (task != nullptr) {
    absl::StatusOr<convey::TaskHandle> handle = engine->engine->Submit(conv_id, TextOf(ref), data);
    if (!handle.ok()) return Fail(handle.status(), error);
    id = handle->obj_id();
    *task = new convey_task{*std::move(handle)};
  } else {
    absl::StatusOr<std::string> created = engine->engine->CreateTask(conv_id, TextOf(ref), data);
    if (!created.ok()) return Fail(created.status(), error);
    id = *std::move(created);
  }
  if (obj_id != nullptr) *obj_id = CopyOut(id);
  return Done(absl::OkStatus(), error);
}

const char* convey_task_obj_id(const convey_task* task) {
  return task == nullptr ? "" : task->handle.obj_id().c_str();
}

convey_code convey_task_wait(convey_task* task, int64_t timeout_ms, char** result, char** error) {
  if (result != nullptr) *result = nullptr;
  if (task == nullptr) return Fail(NullTask(), error);
  absl::StatusOr<convey::TaskSnapshot> ended = task->handle.Wait(TimeoutOf(timeout_ms));
  if (!ended.ok()) return Fail(ended.status(), error);
  if (result != nullptr) *result = CopyOut(SnapshotJson(*ended));
  return Done(absl::OkStatus(), error);
}

int convey_task_done(const convey_task* task) {
  return task != nullptr && task->handle.done() ? 1 : 0;
}

void convey_task_destroy(convey_task* task) { delete task; }

convey_code convey_modify_task(convey_engine* engine, int64_t conv_id, const char* ref,
                               const char* obj_id, const char* json, size_t length, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  const absl::string_view data(json == nullptr ? "" : json, json == nullptr ? 0 : length);
  return Done(engine->engine->ModifyTask(KeyOf(conv_id, ref, obj_id), data), error);
}

convey_code convey_show_task(convey_engine* engine, int64_t conv_id, const char* ref,
                             const char* obj_id, char** result, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  if (result != nullptr) *result = nullptr;
  absl::StatusOr<convey::TaskSnapshot> shown =
      engine->engine->ShowTask(KeyOf(conv_id, ref, obj_id));
  if (!shown.ok()) return Fail(shown.status(), error);
  if (result != nullptr) *result = CopyOut(SnapshotJson(*shown));
  return Done(absl::OkStatus(), error);
}

convey_code convey_delete_task(convey_engine* engine, int64_t conv_id, const char* ref,
                               const char* obj_id, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  return Done(engine->engine->DeleteTask(KeyOf(conv_id, ref, obj_id)), error);
}

convey_code convey_patch_task(convey_engine* engine, int64_t conv_id, const char* ref,
                              const char* obj_id, const char* patch, size_t length, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  const absl::string_view text(patch == nullptr ? "" : patch, patch == nullptr ? 0 : length);
  return Done(engine->engine->PatchTask(KeyOf(conv_id, ref, obj_id), text), error);
}

convey_code convey_task_history(convey_engine* engine, int64_t conv_id, const char* ref,
                                const char* obj_id, char** result, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  if (result != nullptr) *result = nullptr;
  absl::StatusOr<convey::TaskHistory> history =
      engine->engine->GetTaskHistory(KeyOf(conv_id, ref, obj_id));
  if (!history.ok()) return Fail(history.status(), error);
  JsonWriter out;
  out.BeginObject()
      .Key("obj_id")
      .String(history->obj_id)
      .Key("dropped")
      .Int(static_cast<int64_t>(history->dropped))
      .Key("history")
      .BeginArray();
  for (const convey::TaskHistoryEntry& entry : history->entries) {
    out.BeginObject()
        .Key("time_us")
        .Int(absl::ToUnixMicros(entry.time))
        .Key("kind")
        .String(entry.kind)
        .Key("node_id")
        .String(entry.node_id)
        .Key("text")
        .String(entry.text)
        .EndObject();
  }
  out.EndArray().EndObject();
  if (result != nullptr) *result = CopyOut(out.Release());
  return Done(absl::OkStatus(), error);
}

convey_code convey_append_task_history(convey_engine* engine, int64_t conv_id, const char* ref,
                                       const char* obj_id, const char* text, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  return Done(
      engine->engine->AppendTaskHistory(KeyOf(conv_id, ref, obj_id), text == nullptr ? "" : text),
      error);
}

convey_code convey_wait_idle(convey_engine* engine, int64_t timeout_ms, char** error) {
  if (engine == nullptr) return Fail(NullEngine(), error);
  return Done(engine->engine->WaitIdle(TimeoutOf(timeout_ms)), error);
}

char* convey_stats(convey_engine* engine) {
  if (engine == nullptr) return nullptr;
  const convey::EngineStats stats = engine->engine->Stats();
  JsonWriter out;
  out.BeginObject()
      .Key("tasks_created")
      .Int(stats.tasks_created)
      .Key("tasks_finished")
      .Int(stats.tasks_finished)
      .Key("tasks_errored")
      .Int(stats.tasks_errored)
      .Key("tasks_loop_stopped")
      .Int(stats.tasks_loop_stopped)
      .Key("tasks_recovered")
      .Int(stats.tasks_recovered)
      .Key("node_transitions")
      .Int(stats.node_transitions)
      .Key("tasks_queued")
      .Int(stats.tasks_queued)
      .Key("timers_pending")
      .Int(stats.timers_pending)
      .Key("timers_fired")
      .Int(stats.timers_fired)
      .Key("processes")
      .BeginArray();
  for (const convey::ProcessStats& process : stats.processes) {
    out.BeginObject()
        .Key("conv_id")
        .Int(process.conv_id)
        .Key("title")
        .String(process.title)
        .Key("created")
        .Int(process.created)
        .Key("nodes")
        .BeginArray();
    for (const convey::NodeStats& node : process.nodes) {
      out.BeginObject()
          .Key("node_id")
          .String(node.node_id)
          .Key("title")
          .String(node.title)
          .Key("is_final")
          .Bool(node.is_final)
          .Key("tasks")
          .Int(node.tasks)
          .Key("finished")
          .Int(node.finished)
          .Key("sums")
          .BeginArray();
      for (const convey::SumStats& sum : node.sums) {
        out.BeginObject()
            .Key("id")
            .String(sum.id)
            .Key("name")
            .String(sum.name)
            .Key("value")
            .Double(sum.value)
            .EndObject();
      }
      out.EndArray().EndObject();
    }
    out.EndArray().EndObject();
  }
  out.EndArray().EndObject();
  return CopyOut(out.str());
}

char* convey_handle_ops(convey_engine* engine, const char* body, size_t length) {
  if (engine == nullptr) {
    return CopyOut(R"({"request_proc":"error","description":"the engine is NULL","ops":[]})");
  }
  return CopyOut(convey::HandleOps(
      *engine->engine,
      absl::string_view(body == nullptr ? "" : body, body == nullptr ? 0 : length)));
}

}  // extern "C"
