// API v2's object operations (seed 001): processes (`conv`) and their nodes
// created, modified, deleted and restored; `confirm commit` deploying a
// process's draft as a new version; `get obj_scheme` exporting a process
// (inline, or as a download URL); `create obj_scheme` importing an export.
// Task ops in the same request run through HandleOps, in request order.
//
// Each op's result has the platform's shape: `proc` "ok" with the fields
// seed 001 shows (`obj_id`, `version`, `hash`, `scheme`, `download_url`),
// or "error" with a `description`.
#ifndef CONVEY_RUNTIME_SERVE_OBJECT_OPS_H_
#define CONVEY_RUNTIME_SERVE_OBJECT_OPS_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "runtime/serve/process_catalog.h"

namespace convey::serve {

// Exports waiting to be fetched from their download URL.
class Downloads {
 public:
  // Keeps `json` for `ttl`; returns its file name (random, unguessable).
  std::string Add(std::string json, absl::Duration ttl = absl::Hours(1));
  // The file, or null when unknown or expired.
  bool Get(absl::string_view name, std::string* json);

 private:
  struct File {
    std::string json;
    absl::Time expires;
  };
  std::mutex mutex_;
  absl::flat_hash_map<std::string, File> files_;
};

class ObjectOps {
 public:
  // `hash_of` gives a process's direct-URL hash (empty when off).
  ObjectOps(Engine& engine, ProcessCatalog& catalog, Downloads& downloads,
            std::function<std::string(int64_t)> hash_of)
      : engine_(engine), catalog_(catalog), downloads_(downloads), hash_of_(std::move(hash_of)) {}

  // Cheap test: may the body hold ops on other objects than tasks? False
  // means HandleOps alone answers it.
  static bool MayHoldObjectOps(absl::string_view body);

  // Answers an ops request (`download_base`: the URL download links start
  // with, "http://host:port").
  std::string Handle(absl::string_view body, absl::string_view download_base);

  // Imports a scheme file: deploys it and adds its processes to the
  // catalog. Returns the conv_ids deployed.
  absl::StatusOr<std::vector<int64_t>> Import(absl::string_view scheme_json,
                                              absl::string_view file_name);
  // The same as one op's result JSON (`id_json`: the op id to echo, or
  // empty), for the upload route.
  std::string ImportResult(absl::string_view scheme_json, absl::string_view file_name,
                           const std::string& id_json);

 private:
  Engine& engine_;
  ProcessCatalog& catalog_;
  Downloads& downloads_;
  const std::function<std::string(int64_t)> hash_of_;
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_OBJECT_OPS_H_
