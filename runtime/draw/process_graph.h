// The drawable graph of one process: what each node is drawn as, the links
// between nodes (read from the logics' JSON, the semaphores and the stub
// branches), and where each node goes on the page (the editor's own x/y,
// or a layered layout when the export has none). process_svg.cc turns it
// into SVG; kept apart so that the geometry can be tested without parsing
// SVG.
#ifndef CONVEY_RUNTIME_DRAW_PROCESS_GRAPH_H_
#define CONVEY_RUNTIME_DRAW_PROCESS_GRAPH_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "schema/process.pb.h"

namespace convey {
namespace internal {

// What a node is drawn as. The first four follow obj_type; a normal node is
// a wait, a condition or an action by its logics (ClassifyNode).
enum class DrawnKind { kStart, kFinal, kEscalation, kStub, kWait, kCondition, kAction };

// "start", "final", "escalation", "stub", "wait", "condition", "action":
// the SVG class of the node.
absl::string_view DrawnKindName(DrawnKind kind);

// For a normal node: a wait when it holds api_callback, api_queue or
// api_rpc (the task parks there), or a time semaphore and no logic but go
// (a delay); else a condition when it holds a go_if_const; else an action.
DrawnKind ClassifyNode(const schema::Node& node);

// What a link is: a logic's to_node_id (kGo; kCondition for go_if_const),
// a logic's err_node_id (kError), a time semaphore's to_node_id (kTimer), a
// count semaphore's esc_node_id (kCount).
enum class LinkKind { kGo, kCondition, kError, kTimer, kCount };

// "go", "condition", "error", "timer", "count": the SVG class of the edge.
absl::string_view LinkKindName(LinkKind kind);

struct ProcessLink {
  int from = 0;  // node index in the process
  int to = 0;
  LinkKind kind = LinkKind::kGo;
};

// Every link of the process, in file order: per node, its logics (each
// logic's to_node_id, then its err_node_id), its semaphores, then the
// logics of its stub branches. A link that is empty or names no node of
// the process is left out (an import or deploy error reports it); so is a
// logic whose JSON does not parse.
std::vector<ProcessLink> ProcessLinks(const schema::Process& process);

// A node's place on the page: the centre and the size of its shape, in SVG
// user units (one unit is one editor pixel).
struct NodeBox {
  double center_x = 0;
  double center_y = 0;
  double width = 0;
  double height = 0;

  double left() const { return center_x - width / 2; }
  double right() const { return center_x + width / 2; }
  double top() const { return center_y - height / 2; }
  double bottom() const { return center_y + height / 2; }
};

// Whether the shape is drawn small: the editor draws the node collapsed
// (an icon of about 40 px) rather than expanded (about 240 px wide). As the
// export says (Node.collapsed, from `extra.modeForm`); when it does not,
// start and final nodes and untitled nodes, as the editor makes them.
bool IsCompact(const schema::Node& node, DrawnKind kind);

// Where every node goes, indexed like process.nodes(). With coordinates
// (x, y the top-left of the editor's box: 240 x 56 expanded, 40 x 40
// collapsed) the shapes are centred where the editor's boxes were, and
// the whole picture is stretched along x and/or y (at most 3 times) where
// shapes would overlap, since ours are larger than collapsed editor boxes
// (shapes the editor itself stacked stay stacked).
// Without any coordinates nodes are laid out in rows by their distance
// from the start node along the links, left to right in the order reached;
// nodes without coordinates among nodes with them go in a row below.
std::vector<NodeBox> LayoutNodes(const schema::Process& process,
                                 const std::vector<DrawnKind>& kinds,
                                 const std::vector<ProcessLink>& links);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_DRAW_PROCESS_GRAPH_H_
