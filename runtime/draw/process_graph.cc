// The drawable graph of one process (process_graph.h).
#include "runtime/draw/process_graph.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

// The editor's boxes (x, y is their top-left): expanded and collapsed. In
// the platform's exports a start or final node under an expanded one has
// an x 100 px greater: both are centred on the same line.
constexpr double kEditorWideWidth = 240;
constexpr double kEditorWideHeight = 56;
constexpr double kEditorCompactSize = 40;

// Room kept between two shapes before the picture is stretched, and the
// most it is stretched (nodes the editor put on top of each other would
// otherwise blow the picture up).
constexpr double kGapX = 24;
constexpr double kGapY = 20;
constexpr double kMaxStretch = 3;
// Above this many placed nodes the overlap check (quadratic when nodes
// share a column) is skipped: such a picture is not read node by node.
constexpr size_t kMaxStretchNodes = 3000;

// Automatic layout: distances between the centres of rows and columns, and
// how many nodes without coordinates go in one row under the drawn ones.
constexpr double kRowStep = 120;
constexpr double kColumnStep = 240;
constexpr size_t kLeftoversPerRow = 8;

// Editor coordinates beyond this are clamped: a hostile file must not make
// the numbers written to the SVG unbounded.
constexpr double kMaxCoordinate = 1e7;

struct Size {
  double width;
  double height;
};

Size ShapeSize(DrawnKind kind, bool compact) {
  switch (kind) {
    case DrawnKind::kStart:
      return {120, 40};
    case DrawnKind::kFinal:
      return compact ? Size{150, 40} : Size{200, 44};
    case DrawnKind::kCondition:
      return compact ? Size{160, 64} : Size{200, 72};
    default:
      return compact ? Size{150, 48} : Size{200, 56};
  }
}

double Clamp(double value) { return std::clamp(value, -kMaxCoordinate, kMaxCoordinate); }

bool HasPosition(const schema::Node& node) {
  return node.has_x() && node.has_y() && std::isfinite(node.x()) && std::isfinite(node.y());
}

// Adds the link `key` of the logic object `logic` names, when it names a
// node of the process.
void AddLink(simdjson::dom::object logic, std::string_view key, int from, LinkKind kind,
             const absl::flat_hash_map<absl::string_view, int>& index,
             std::vector<ProcessLink>* links) {
  std::string_view target;
  if (logic[key].get_string().get(target) != simdjson::SUCCESS || target.empty()) return;
  auto it = index.find(absl::string_view(target.data(), target.size()));
  if (it != index.end()) links->push_back({from, it->second, kind});
}

void AddLogicLinks(const schema::Logic& logic, int from, simdjson::dom::parser& parser,
                   const absl::flat_hash_map<absl::string_view, int>& index,
                   std::vector<ProcessLink>* links) {
  simdjson::dom::object object;
  if (parser.parse(logic.json()).get_object().get(object) != simdjson::SUCCESS) return;
  AddLink(object, "to_node_id", from,
          logic.type() == "go_if_const" ? LinkKind::kCondition : LinkKind::kGo, index, links);
  AddLink(object, "err_node_id", from, LinkKind::kError, index, links);
}

void AddSemaphoreLink(const std::string& target, int from, LinkKind kind,
                      const absl::flat_hash_map<absl::string_view, int>& index,
                      std::vector<ProcessLink>* links) {
  auto it = index.find(target);
  if (!target.empty() && it != index.end()) links->push_back({from, it->second, kind});
}

// Rows by distance from the start node along the links; nodes the start
// does not reach start rows of their own below, in file order.
std::vector<NodeBox> LayeredLayout(const schema::Process& process,
                                   const std::vector<DrawnKind>& kinds,
                                   const std::vector<ProcessLink>& links) {
  const int count = process.nodes_size();
  std::vector<std::vector<int>> next(count);
  for (const ProcessLink& link : links) next[link.from].push_back(link.to);
  std::vector<int> depth(count, -1);
  std::vector<std::vector<int>> rows;
  auto visit_from = [&](int root, int base) {
    depth[root] = base;
    std::deque<int> queue = {root};
    while (!queue.empty()) {
      const int node = queue.front();
      queue.pop_front();
      if (static_cast<size_t>(depth[node]) >= rows.size()) rows.resize(depth[node] + 1);
      rows[depth[node]].push_back(node);
      for (int to : next[node]) {
        if (depth[to] >= 0) continue;
        depth[to] = depth[node] + 1;
        queue.push_back(to);
      }
    }
  };
  int start = 0;
  for (int i = 0; i < count; ++i) {
    if (kinds[i] == DrawnKind::kStart) {
      start = i;
      break;
    }
  }
  if (count > 0) visit_from(start, 0);
  for (int i = 0; i < count; ++i) {
    if (depth[i] < 0) visit_from(i, static_cast<int>(rows.size()));
  }
  std::vector<NodeBox> boxes(count);
  for (size_t row = 0; row < rows.size(); ++row) {
    const double first = -(static_cast<double>(rows[row].size()) - 1) / 2 * kColumnStep;
    for (size_t column = 0; column < rows[row].size(); ++column) {
      const int node = rows[row][column];
      const Size size = ShapeSize(kinds[node], IsCompact(process.nodes(node), kinds[node]));
      boxes[node] = {first + column * kColumnStep, row * kRowStep, size.width, size.height};
    }
  }
  return boxes;
}

// How much x and y must be stretched so that no two of `boxes` overlap:
// each overlapping pair is parted along the axis that needs less.
std::pair<double, double> Stretch(const std::vector<NodeBox>& boxes,
                                  const std::vector<int>& placed) {
  double stretch_x = 1;
  double stretch_y = 1;
  if (placed.size() > kMaxStretchNodes) return {stretch_x, stretch_y};
  for (size_t i = 0; i < placed.size(); ++i) {
    const NodeBox& a = boxes[placed[i]];
    for (size_t j = i + 1; j < placed.size(); ++j) {
      const NodeBox& b = boxes[placed[j]];
      const double dx = std::fabs(a.center_x - b.center_x);
      const double dy = std::fabs(a.center_y - b.center_y);
      const double need_x = (a.width + b.width) / 2 + kGapX;
      const double need_y = (a.height + b.height) / 2 + kGapY;
      if (dx * stretch_x >= need_x || dy * stretch_y >= need_y) continue;
      const double factor_x = dx > 0 ? need_x / dx : kMaxStretch + 1;
      const double factor_y = dy > 0 ? need_y / dy : kMaxStretch + 1;
      // Shapes (nearly) on top of each other in the editor stay so: no
      // stretch within bounds would part them.
      if (std::min(factor_x, factor_y) > kMaxStretch) continue;
      if (factor_x <= factor_y) {
        stretch_x = std::max(stretch_x, factor_x);
      } else {
        stretch_y = std::max(stretch_y, factor_y);
      }
    }
  }
  return {stretch_x, stretch_y};
}

}  // namespace

absl::string_view DrawnKindName(DrawnKind kind) {
  switch (kind) {
    case DrawnKind::kStart:
      return "start";
    case DrawnKind::kFinal:
      return "final";
    case DrawnKind::kEscalation:
      return "escalation";
    case DrawnKind::kStub:
      return "stub";
    case DrawnKind::kWait:
      return "wait";
    case DrawnKind::kCondition:
      return "condition";
    case DrawnKind::kAction:
      return "action";
  }
  return "action";
}

absl::string_view LinkKindName(LinkKind kind) {
  switch (kind) {
    case LinkKind::kGo:
      return "go";
    case LinkKind::kCondition:
      return "condition";
    case LinkKind::kError:
      return "error";
    case LinkKind::kTimer:
      return "timer";
    case LinkKind::kCount:
      return "count";
  }
  return "go";
}

DrawnKind ClassifyNode(const schema::Node& node) {
  switch (node.kind()) {
    case schema::NODE_KIND_START:
      return DrawnKind::kStart;
    case schema::NODE_KIND_FINAL:
      return DrawnKind::kFinal;
    case schema::NODE_KIND_ESCALATION:
      return DrawnKind::kEscalation;
    case schema::NODE_KIND_STUB:
      return DrawnKind::kStub;
    default:
      break;
  }
  bool condition = false;
  bool only_go = true;
  for (const schema::Logic& logic : node.logics()) {
    const std::string& type = logic.type();
    if (type == "api_callback" || type == "api_queue" || type == "api_rpc") {
      return DrawnKind::kWait;
    }
    condition = condition || type == "go_if_const";
    only_go = only_go && type == "go";
  }
  if (only_go) {
    for (const schema::Semaphore& semaphore : node.semaphores()) {
      if (semaphore.has_time()) return DrawnKind::kWait;
    }
  }
  return condition ? DrawnKind::kCondition : DrawnKind::kAction;
}

bool IsCompact(const schema::Node& node, DrawnKind kind) {
  if (node.has_collapsed()) return node.collapsed();
  return kind == DrawnKind::kStart || kind == DrawnKind::kFinal || node.title().empty();
}

std::vector<ProcessLink> ProcessLinks(const schema::Process& process) {
  absl::flat_hash_map<absl::string_view, int> index;
  for (int i = 0; i < process.nodes_size(); ++i) index.emplace(process.nodes(i).id(), i);
  std::vector<ProcessLink> links;
  simdjson::dom::parser parser;
  for (int i = 0; i < process.nodes_size(); ++i) {
    const schema::Node& node = process.nodes(i);
    for (const schema::Logic& logic : node.logics()) AddLogicLinks(logic, i, parser, index, &links);
    for (const schema::Semaphore& semaphore : node.semaphores()) {
      if (semaphore.has_time()) {
        AddSemaphoreLink(semaphore.time().to_node_id(), i, LinkKind::kTimer, index, &links);
      } else if (semaphore.has_count()) {
        AddSemaphoreLink(semaphore.count().esc_node_id(), i, LinkKind::kCount, index, &links);
      }
    }
    for (const schema::StubBranch& branch : node.stub()) {
      for (const schema::Logic& logic : branch.logics()) {
        AddLogicLinks(logic, i, parser, index, &links);
      }
    }
  }
  return links;
}

std::vector<NodeBox> LayoutNodes(const schema::Process& process,
                                 const std::vector<DrawnKind>& kinds,
                                 const std::vector<ProcessLink>& links) {
  const int count = process.nodes_size();
  std::vector<int> placed;
  std::vector<int> leftovers;
  for (int i = 0; i < count; ++i) (HasPosition(process.nodes(i)) ? placed : leftovers).push_back(i);
  if (placed.empty()) return LayeredLayout(process, kinds, links);

  std::vector<NodeBox> boxes(count);
  for (int i : placed) {
    const schema::Node& node = process.nodes(i);
    const bool compact = IsCompact(node, kinds[i]);
    const Size size = ShapeSize(kinds[i], compact);
    const double editor_width = compact ? kEditorCompactSize : kEditorWideWidth;
    const double editor_height = compact ? kEditorCompactSize : kEditorWideHeight;
    boxes[i] = {Clamp(node.x()) + editor_width / 2, Clamp(node.y()) + editor_height / 2, size.width,
                size.height};
  }
  const auto [stretch_x, stretch_y] = Stretch(boxes, placed);
  double left = boxes[placed[0]].left();
  double bottom = boxes[placed[0]].bottom();
  for (int i : placed) {
    boxes[i].center_x *= stretch_x;
    boxes[i].center_y *= stretch_y;
    left = std::min(left, boxes[i].left());
    bottom = std::max(bottom, boxes[i].bottom());
  }
  // Nodes without coordinates: rows under the drawn ones.
  for (size_t k = 0; k < leftovers.size(); ++k) {
    const int i = leftovers[k];
    const Size size = ShapeSize(kinds[i], IsCompact(process.nodes(i), kinds[i]));
    const double row = static_cast<double>(k / kLeftoversPerRow);
    const double column = static_cast<double>(k % kLeftoversPerRow);
    boxes[i] = {left + size.width / 2 + column * kColumnStep,
                bottom + kRowStep * (row + 1) - kEditorWideHeight / 2, size.width, size.height};
  }
  return boxes;
}

}  // namespace internal
}  // namespace convey
