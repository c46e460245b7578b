// What the web console shows (console.h), read from the engine: the JSON its
// pages' scripts fetch, and a process's picture. Apart from HTTP so that the
// shapes can be tested on their own; docs/serve.md ("Web console") lists
// them.
//
// Every string is JSON-escaped here and the scripts put it in the page as
// text, never as markup; the picture is escaped by the SVG renderer. A
// node's `count` is what its badge shows: the tasks in it now, and for a
// final node the tasks that ended there (the engine keeps no task "in" a
// final node: NodeStats::tasks stays 0 there).
#ifndef CONVEY_RUNTIME_SERVE_CONSOLE_VIEWS_H_
#define CONVEY_RUNTIME_SERVE_CONSOLE_VIEWS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "runtime/serve/process_catalog.h"

namespace convey::serve {

// The count a node's badge shows (see above).
int64_t NodeCount(const NodeStats& node);

// {"processes":[{"conv_id","title","paused","deleted","created","in_nodes",
// "waiting","finished","errors","held","nodes"}, ...]} in deploy order.
std::string ProcessesJson(Engine& engine, const ProcessCatalog& catalog);

// One process: its summary as above plus "has_picture" and
// "nodes":[{"node_id","title","final","count","tasks","finished",
// "parked":{"callback":N,...}}] in file order (`parked`: the non-zero
// reasons). NotFound for a process the engine does not run.
absl::StatusOr<std::string> ProcessJson(Engine& engine, const ProcessCatalog& catalog,
                                        int64_t conv_id);

// A process's picture with every node's count, drawn from the export of its
// last committed version (ProcessCatalog::CommittedExport). NotFound when
// the server has no export of it (a process brought back from a store
// without its file).
absl::StatusOr<std::string> ProcessSvg(Engine& engine, const ProcessCatalog& catalog,
                                       int64_t conv_id);

// A page of the tasks of a process, in creation order, newest first.
struct ConsoleTaskQuery {
  int64_t conv_id = 0;
  std::string node_id;     // empty: every node
  std::string ref_prefix;  // empty: any ref
  std::string cursor;      // the previous page's next_cursor
  size_t limit = 20;       // 1..100
};
// {"conv_id","node_id","tasks":[{"obj_id","ref","status","park_reason",
// "node_id","node_title","create_time","change_time"}],"next_cursor"} with
// next_cursor null on the last page. Searches on (a bounded number of
// SearchTasks calls) until the page is full, so that a node holding few of
// many tasks still fills pages. InvalidArgument for a cursor of another
// query; NotFound for an unknown process.
absl::StatusOr<std::string> TasksJson(Engine& engine, const ConsoleTaskQuery& query);

// One task: {"obj_id","ref","conv_id","process_title","status",
// "park_reason","node_id","node_title","node_prev_id","create_time",
// "change_time","data":{...},"data_text","history":[{"time","kind","node_id",
// "node_title","text"}],"history_dropped","nodes":[{"node_id","title",
// "final"}]} (`nodes`: its process's, for a move). NotFound for an unknown
// task.
absl::StatusOr<std::string> TaskJson(Engine& engine, absl::string_view obj_id);

// RFC 3339 in UTC with milliseconds ("2026-12-04T03:15:56.123Z").
std::string ConsoleTime(absl::Time time);

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_CONSOLE_VIEWS_H_
