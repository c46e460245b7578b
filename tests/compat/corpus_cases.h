// The runs of corpus files that docs/compatibility.md documents, and what
// the document's table of the corpus says about each file. Shared by
// corpus_run_test (runs them) and compatibility_doc_test (checks the
// document). Paths are relative to the test's runfiles directory.
#ifndef CONVEY_TESTS_COMPAT_CORPUS_CASES_H_
#define CONVEY_TESTS_COMPAT_CORPUS_CASES_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace convey {
namespace compat {

// Where the corpus is at run time (`@shared_corpus//:valid`).
inline constexpr char kCorpusDir[] = "external/shared_corpus/valid/";
// How docs/compatibility.md names that directory in its command lines.
inline constexpr char kDocCorpusDir[] = "$V/";
// A DataCheck value meaning "the key is absent".
inline constexpr char kMissing[] = "<missing>";

// Tasks in one place when the run ended.
struct Outcome {
  int64_t conv_id;
  std::string node_id;
  // `processed`, `error`, `loop_stopped`, or for a task still processing
  // the reason it waits (`reply`, `no_exit`, `callback`, `queue`, ...).
  std::string state;
  // The `__conveyor_*_return_type_tag__` values in its data, joined by ",".
  std::string tag;
  int count;
};

// `count` tasks in (`conv_id`, `node_id`) have `key` equal to `json`
// (compact JSON text; kMissing: the key is absent).
struct DataCheck {
  int64_t conv_id;
  std::string node_id;
  std::string key;
  std::string json;
  int count;
};

// One request a LocalHttp server expects, and its answer.
struct HttpExchange {
  std::string method;
  std::string url;     // without the query string; `{server}` as in LocalHttp
  std::string body;    // empty: not checked
  std::string answer;  // a JSON object, answered with HTTP 200
};

// A loopback HTTP server (127.0.0.1, any free port) that answers a case's
// `api` requests: corpus files call hosts that are unreachable here.
struct LocalHttp {
  // True: the file names an external host literally, so an HttpTransport in
  // the test sends every request to the server whatever its URL (keeping
  // path and query). False: the task data (or a project variable, Case::env)
  // points at the server: `{server}` there stands for its
  // `http://127.0.0.1:PORT`.
  bool route = false;
  // The first `requests` requests (all of them when `then` is empty): their
  // method, URL without the query string (`send_sys` adds a signature that
  // changes with the body; `{server}` as above), body (empty: not checked)
  // and answer (a JSON object, sent with HTTP 200).
  std::string method;
  std::string url;
  std::string body;
  std::string answer;
  int requests = 1;
  // Requests that arrive after those `requests`, in this order, each with
  // its own expectation and answer: one task's calls one after the other
  // (a process that calls two endpoints).
  std::vector<HttpExchange> then = {};
};

struct Case {
  std::string name;     // how docs/compatibility.md names the run
  std::string subject;  // the corpus file (its 3-digit number) the run is about
  // Deployed in order: a 3-digit number is a corpus file, anything else a
  // path in the workspace.
  std::vector<std::string> files;
  int64_t conv_id;    // where the tasks are created
  std::string data;   // one task (`--data`), or
  std::string input;  // a .jsonl file with one task per line (`--input`)
  std::vector<Outcome> outcomes;
  std::vector<DataCheck> checks;
  int64_t virtual_seconds = 0;  // how far the virtual clock moved
  // Set: the case runs on an Engine only (`convey run` can neither route
  // requests nor know the server's port) and the document prints no
  // command line for it.
  std::optional<LocalHttp> http = std::nullopt;
  // Project variables, `NAME=VALUE` as `convey run --env` takes them (and
  // EngineOptions::variables gets them); `{server}` as in LocalHttp.
  std::vector<std::string> env = {};
};

// gtest prints a failing case by its name, not its bytes.
void PrintTo(const Case& c, std::ostream* os);

// What `{server}` stands for in LocalHttp.
inline constexpr char kServer[] = "{server}";

// Every documented run, in the document's order.
const std::vector<Case>& CorpusCases();

// The names of the corpus files, sorted.
std::vector<std::string> CorpusFiles();
// "027" and the like.
bool IsCorpusNumber(const std::string& file);
// The path of a case's file: a corpus number resolved in kCorpusDir (empty
// when no single file has that number), else `file` itself.
std::string PathOf(const std::string& file);
// The data of a case's tasks: its `data`, or the lines of its `input`.
std::vector<std::string> TaskData(const Case& c);
// The words after `convey run` for a case, corpus files named in `dir`
// (kCorpusDir: real paths; kDocCorpusDir: `$V/NNN_*.json`).
std::vector<std::string> RunArgs(const Case& c, const std::string& dir);
// The command line docs/compatibility.md prints for a case.
std::string DocCommand(const Case& c);

std::string ReadFile(const std::string& path);

// One row of the document's table of the corpus, from InspectSchemeFile and
// LogicRegistry::Global().
struct FileRow {
  std::string conv;        // conv_ids, ", "-joined; " (synthetic)" when assigned
  std::string logics;      // "type count, ..." summed over the processes, or "—"
  std::string semaphores;  // the same for semaphores
  std::string missing;     // logic types convey does not run, sorted, or "—"
  bool eligible = false;   // loads, and convey runs every logic type it uses
};
// `name` is a file of CorpusFiles(). An error when it cannot be read or
// does not load.
absl::StatusOr<FileRow> InspectCorpusFile(const std::string& name);

}  // namespace compat
}  // namespace convey

#endif  // CONVEY_TESTS_COMPAT_CORPUS_CASES_H_
