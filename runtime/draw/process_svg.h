// One process of a scheme drawn as a standalone SVG document: `convey draw`
// writes it, and the web console of `convey serve` is to show it with live
// counts. Nodes sit where the export's editor coordinates put them (laid
// out in rows when it has none), shaped by kind, with their titles; every
// link is an arrow coloured by kind; optional per-node task counts show as
// badges. docs/cli.md ("convey draw") describes the picture and the
// classes and data attributes scripts can rely on:
//
//   <g class="node KIND[ has-tasks]" data-node-id="ID">  one per node, with
//     <title>, one element of class "shape", <text class="title">, and with
//     counts <text class="count" data-node-id="ID">N</text>
//   <path class="edge KIND" data-from="ID" data-to="ID">  one per link
//
// The output depends only on its inputs (no time, no hash order): nodes and
// edges are written in file order.
#ifndef CONVEY_RUNTIME_DRAW_PROCESS_SVG_H_
#define CONVEY_RUNTIME_DRAW_PROCESS_SVG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "schema/process.pb.h"

namespace convey {
namespace internal {

struct ProcessSvgOptions {
  // Tasks per node id. When set, every node gets a count badge (0 for a
  // node not in the map) and nodes holding tasks are highlighted; ids of
  // nodes the process does not hold are ignored. Unset: no badges.
  std::optional<absl::flat_hash_map<std::string, int64_t>> counts;
  // Prefixes the document's own ids (arrowhead markers), so that several
  // pictures can be inlined in one HTML page.
  std::string id_prefix;
};

std::string RenderProcessSvg(const schema::Process& process, const ProcessSvgOptions& options);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_DRAW_PROCESS_SVG_H_
