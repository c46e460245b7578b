// Writing a process as SVG (process_svg.h): the shapes, edges, badges and
// legend. Where things go is process_graph.cc's job; text, svg_text.cc's.
#include "runtime/draw/process_svg.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/draw/process_graph.h"
#include "runtime/draw/svg_text.h"

namespace convey {
namespace internal {
namespace {

constexpr double kMargin = 40;
constexpr double kHeadingHeight = 36;
constexpr double kLegendHeight = 84;
constexpr double kLegendItemWidth = 120;
// Distance between the middles of parallel edges, and the reach of a
// node's link to itself.
constexpr double kParallelStep = 22;
constexpr double kLoopReach = 46;

constexpr char kStyle[] =
    "text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;fill:#1e293b}"
    ".heading{font-size:16px;font-weight:bold}"
    ".title{font-size:13px;text-anchor:middle}"
    ".untitled{fill:#64748b;font-style:italic}"
    ".legend text{font-size:12px}"
    ".shape,.swatch{stroke-width:1.5}"
    ".start>.shape,.start>.swatch{fill:#dcfce7;stroke:#16a34a}"
    ".final>.shape,.final>.swatch{fill:#e2e8f0;stroke:#334155;stroke-width:2.5}"
    ".escalation>.shape,.escalation>.swatch{fill:#ffedd5;stroke:#ea580c}"
    ".stub>.shape,.stub>.swatch{fill:#f8fafc;stroke:#64748b;stroke-dasharray:6 4}"
    ".wait>.shape,.wait>.swatch{fill:#fef9c3;stroke:#ca8a04}"
    ".condition>.shape,.condition>.swatch{fill:#ede9fe;stroke:#7c3aed}"
    ".action>.shape,.action>.swatch{fill:#e0f2fe;stroke:#0284c7}"
    ".glyph{fill:none;stroke:#a16207;stroke-width:1.5}"
    ".has-tasks>.shape{stroke:#dc2626;stroke-width:3}"
    ".badge{fill:#94a3b8}"
    ".has-tasks>.badge{fill:#dc2626}"
    ".count{font-size:11px;font-weight:bold;fill:#ffffff;text-anchor:middle}"
    ".edge,.sample{fill:none;stroke-width:1.6}"
    ".edge.go,.sample.go{stroke:#475569}"
    ".edge.condition,.sample.condition{stroke:#7c3aed}"
    ".edge.error,.sample.error{stroke:#dc2626;stroke-dasharray:7 4}"
    ".edge.timer,.sample.timer{stroke:#0891b2;stroke-dasharray:3 3}"
    ".edge.count,.sample.count{stroke:#d97706;stroke-dasharray:1 3}";

constexpr LinkKind kLinkKinds[] = {LinkKind::kGo, LinkKind::kCondition, LinkKind::kError,
                                   LinkKind::kTimer, LinkKind::kCount};

const char* LinkColor(LinkKind kind) {
  switch (kind) {
    case LinkKind::kCondition:
      return "#7c3aed";
    case LinkKind::kError:
      return "#dc2626";
    case LinkKind::kTimer:
      return "#0891b2";
    case LinkKind::kCount:
      return "#d97706";
    default:
      return "#475569";
  }
}

// A coordinate: one decimal, no trailing ".0", never "-0".
std::string Num(double value) {
  double rounded = std::round(value * 10) / 10;
  if (rounded == 0) rounded = 0;
  std::string text = absl::StrFormat("%.1f", rounded);
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text;
}

// A label for a node without a title: what it does.
std::string Placeholder(const schema::Node& node, DrawnKind kind) {
  for (const schema::Logic& logic : node.logics()) {
    if (logic.type() != "go" && logic.type() != "go_if_const") return logic.type();
  }
  for (const schema::Logic& logic : node.logics()) {
    if (logic.type() == "go_if_const") return "condition";
  }
  if (kind == DrawnKind::kWait) return "delay";
  return std::string(DrawnKindName(kind));
}

// The point where a ray from the centre of `box` along (dx, dy) leaves the
// shape, plus `pad` units.
std::pair<double, double> Boundary(const NodeBox& box, DrawnKind kind, double dx, double dy,
                                   double pad) {
  const double length = std::hypot(dx, dy);
  if (length < 1e-9) return {box.center_x, box.center_y};
  const double ux = dx / length, uy = dy / length;
  const double hw = box.width / 2, hh = box.height / 2;
  double t;
  if (kind == DrawnKind::kCondition) {
    t = 1 / (std::fabs(ux) / hw + std::fabs(uy) / hh);
  } else if (kind == DrawnKind::kStart) {
    t = 1 / std::hypot(ux / hw, uy / hh);
  } else {
    t = std::min(std::fabs(ux) > 1e-9 ? hw / std::fabs(ux) : 1e18,
                 std::fabs(uy) > 1e-9 ? hh / std::fabs(uy) : 1e18);
  }
  return {box.center_x + ux * (t + pad), box.center_y + uy * (t + pad)};
}

// Accumulates the picture's extent.
struct Extent {
  double left = 0, top = 0, right = 0, bottom = 0;
  bool empty = true;
  void Add(double x, double y) {
    if (empty) {
      left = right = x;
      top = bottom = y;
      empty = false;
    }
    left = std::min(left, x);
    right = std::max(right, x);
    top = std::min(top, y);
    bottom = std::max(bottom, y);
  }
};

// One shape of `kind` filling `box`, of class `css_class`.
void AppendShape(std::string* out, DrawnKind kind, const NodeBox& box, const char* css_class) {
  const double l = box.left(), r = box.right(), t = box.top(), b = box.bottom();
  const double cx = box.center_x, cy = box.center_y;
  auto rect = [&](double rx) {
    absl::StrAppend(out, "<rect class=\"", css_class, "\" x=\"", Num(l), "\" y=\"", Num(t),
                    "\" width=\"", Num(box.width), "\" height=\"", Num(box.height), "\" rx=\"",
                    Num(rx), "\"/>");
  };
  auto polygon = [&](const std::vector<std::pair<double, double>>& points) {
    absl::StrAppend(out, "<polygon class=\"", css_class, "\" points=\"");
    for (size_t i = 0; i < points.size(); ++i) {
      absl::StrAppend(out, i ? " " : "", Num(points[i].first), ",", Num(points[i].second));
    }
    absl::StrAppend(out, "\"/>");
  };
  switch (kind) {
    case DrawnKind::kStart:
      absl::StrAppend(out, "<ellipse class=\"", css_class, "\" cx=\"", Num(cx), "\" cy=\"", Num(cy),
                      "\" rx=\"", Num(box.width / 2), "\" ry=\"", Num(box.height / 2), "\"/>");
      break;
    case DrawnKind::kFinal:
      rect(box.height / 2);
      break;
    case DrawnKind::kEscalation: {
      const double cut = std::min(12.0, box.height / 3);
      polygon({{l + cut, t},
               {r - cut, t},
               {r, t + cut},
               {r, b - cut},
               {r - cut, b},
               {l + cut, b},
               {l, b - cut},
               {l, t + cut}});
      break;
    }
    case DrawnKind::kCondition:
      polygon({{cx, t}, {r, cy}, {cx, b}, {l, cy}});
      break;
    case DrawnKind::kStub:
      rect(2);
      break;
    default:
      rect(6);
  }
}

// A clock at the left of a wait node.
void AppendClock(std::string* out, double cx, double cy, double radius) {
  absl::StrAppend(out, "<path class=\"glyph\" d=\"M", Num(cx - radius), ",", Num(cy), "a",
                  Num(radius), ",", Num(radius), " 0 1,0 ", Num(2 * radius), ",0a", Num(radius),
                  ",", Num(radius), " 0 1,0 ", Num(-2 * radius), ",0M", Num(cx), ",",
                  Num(cy - radius * 0.6), "V", Num(cy), "H", Num(cx + radius * 0.5), "\"/>");
}

// Room for the title inside the shape.
double TitleWidth(DrawnKind kind, const NodeBox& box) {
  switch (kind) {
    case DrawnKind::kCondition:
      return box.width * 0.6;
    case DrawnKind::kStart:
      return box.width * 0.8;
    case DrawnKind::kWait:
      return box.width - 44;
    default:
      return box.width - 24;
  }
}

void AppendNode(std::string* out, const schema::Node& node, DrawnKind kind, const NodeBox& box,
                const std::optional<int64_t>& count) {
  const std::string id = XmlEscape(node.id());
  absl::StrAppend(out, "<g class=\"node ", DrawnKindName(kind),
                  count.has_value() && *count > 0 ? " has-tasks" : "", "\" data-node-id=\"", id,
                  "\"><title>", XmlEscape(node.title().empty() ? node.id() : node.title()),
                  "</title>");
  AppendShape(out, kind, box, "shape");
  double text_x = box.center_x;
  if (kind == DrawnKind::kWait) {
    AppendClock(out, box.left() + 18, box.center_y, 8);
    text_x += 10;
  }
  const bool untitled = node.title().empty();
  const std::string label = untitled ? Placeholder(node, kind) : node.title();
  absl::StrAppend(out, "<text class=\"title", untitled ? " untitled" : "", "\" x=\"", Num(text_x),
                  "\" y=\"", Num(box.center_y + 4.5), "\">",
                  XmlEscape(FitTitle(label, TitleWidth(kind, box))), "</text>");
  if (count.has_value()) {
    const std::string digits = absl::StrCat(*count);
    const double width = 10 + 7 * static_cast<double>(digits.size());
    // On the shape's upper right edge.
    double x = box.right() - width / 2 - 2, y = box.top();
    if (kind == DrawnKind::kCondition) {
      x = box.center_x + box.width * 0.3, y = box.center_y - box.height * 0.25;
    } else if (kind == DrawnKind::kStart) {
      x = box.center_x + box.width * 0.36, y = box.center_y - box.height * 0.36;
    }
    absl::StrAppend(out, "<rect class=\"badge\" x=\"", Num(x - width / 2), "\" y=\"", Num(y - 9),
                    "\" width=\"", Num(width),
                    "\" height=\"18\" rx=\"9\"/><text class=\"count\" "
                    "data-node-id=\"",
                    id, "\" x=\"", Num(x), "\" y=\"", Num(y + 4), "\">", digits, "</text>");
  }
  absl::StrAppend(out, "</g>\n");
}

// The edges, in file order; parallel edges between two nodes bow apart.
void AppendEdges(std::string* out, const schema::Process& process,
                 const std::vector<DrawnKind>& kinds, const std::vector<NodeBox>& boxes,
                 const std::vector<ProcessLink>& links, const std::string& id_prefix,
                 Extent* extent) {
  absl::flat_hash_map<std::pair<int, int>, int> pair_total;
  for (const ProcessLink& link : links) {
    ++pair_total[std::minmax(link.from, link.to)];
  }
  absl::flat_hash_map<std::pair<int, int>, int> pair_seen;
  for (const ProcessLink& link : links) {
    const std::pair<int, int> pair = std::minmax(link.from, link.to);
    const int index = pair_seen[pair]++;
    const int total = pair_total[pair];
    const NodeBox& from = boxes[link.from];
    const NodeBox& to = boxes[link.to];
    std::string d;
    if (link.from == link.to) {
      const double reach = kLoopReach + 14 * index;
      const double r = from.right(), cy = from.center_y;
      d = absl::StrCat("M", Num(r), ",", Num(cy - 8), "C", Num(r + reach), ",", Num(cy - reach),
                       " ", Num(r + reach), ",", Num(cy + reach), " ", Num(r + 4), ",",
                       Num(cy + 8));
      extent->Add(r + reach, cy - reach);
      extent->Add(r + reach, cy + reach);
    } else {
      // Bow relative to the pair's own direction, so that a->b and b->a part too.
      const NodeBox& low = boxes[pair.first];
      const NodeBox& high = boxes[pair.second];
      double dx = high.center_x - low.center_x, dy = high.center_y - low.center_y;
      const double length = std::max(std::hypot(dx, dy), 1e-9);
      const double offset = (index - (total - 1) / 2.0) * kParallelStep;
      // The control point of a quadratic curve lies twice as far out as its middle.
      const double control_x = (from.center_x + to.center_x) / 2 - dy / length * offset * 2;
      const double control_y = (from.center_y + to.center_y) / 2 + dx / length * offset * 2;
      const auto [x1, y1] =
          Boundary(from, kinds[link.from], control_x - from.center_x, control_y - from.center_y, 1);
      const auto [x2, y2] =
          Boundary(to, kinds[link.to], control_x - to.center_x, control_y - to.center_y, 2);
      d = offset == 0 ? absl::StrCat("M", Num(x1), ",", Num(y1), "L", Num(x2), ",", Num(y2))
                      : absl::StrCat("M", Num(x1), ",", Num(y1), "Q", Num(control_x), ",",
                                     Num(control_y), " ", Num(x2), ",", Num(y2));
      extent->Add(control_x, control_y);
    }
    const absl::string_view kind = LinkKindName(link.kind);
    absl::StrAppend(out, "<path class=\"edge ", kind, "\" data-from=\"",
                    XmlEscape(process.nodes(link.from).id()), "\" data-to=\"",
                    XmlEscape(process.nodes(link.to).id()), "\" d=\"", d, "\" marker-end=\"url(#",
                    id_prefix, "arrow-", kind, ")\"/>\n");
  }
}

// What the shapes and colours mean, in two rows from (left, top).
void AppendLegend(std::string* out, double left, double top, bool counts,
                  const std::string& id_prefix) {
  absl::StrAppend(out, "<g class=\"legend\">\n");
  constexpr DrawnKind kKinds[] = {DrawnKind::kStart, DrawnKind::kAction,     DrawnKind::kCondition,
                                  DrawnKind::kWait,  DrawnKind::kEscalation, DrawnKind::kStub,
                                  DrawnKind::kFinal};
  double x = left;
  for (DrawnKind kind : kKinds) {
    const NodeBox swatch{x + 18, top + 12, 36, kind == DrawnKind::kCondition ? 22.0 : 18.0};
    absl::StrAppend(out, "<g class=\"", DrawnKindName(kind), "\">");
    AppendShape(out, kind, swatch, "swatch");
    absl::StrAppend(out, "<text x=\"", Num(x + 42), "\" y=\"", Num(top + 16), "\">",
                    DrawnKindName(kind), "</text></g>\n");
    x += kLegendItemWidth;
  }
  x = left;
  const double row = top + 40;
  for (LinkKind kind : kLinkKinds) {
    const absl::string_view name = LinkKindName(kind);
    absl::StrAppend(out, "<path class=\"sample ", name, "\" d=\"M", Num(x), ",", Num(row), "H",
                    Num(x + 34), "\" marker-end=\"url(#", id_prefix, "arrow-", name,
                    ")\"/><text x=\"", Num(x + 42), "\" y=\"", Num(row + 4), "\">", name,
                    "</text>\n");
    x += kLegendItemWidth;
  }
  if (counts) {
    absl::StrAppend(out, "<rect class=\"badge\" x=\"", Num(x), "\" y=\"", Num(row - 9),
                    "\" width=\"24\" height=\"18\" rx=\"9\"/><text x=\"", Num(x + 32), "\" y=\"",
                    Num(row + 4), "\">tasks in the node</text>\n");
  }
  absl::StrAppend(out, "</g>\n");
}

}  // namespace

std::string RenderProcessSvg(const schema::Process& process, const ProcessSvgOptions& options) {
  const std::string id_prefix = XmlEscape(options.id_prefix);
  const int count = process.nodes_size();
  std::vector<DrawnKind> kinds(count);
  for (int i = 0; i < count; ++i) kinds[i] = ClassifyNode(process.nodes(i));
  const std::vector<ProcessLink> links = ProcessLinks(process);
  const std::vector<NodeBox> boxes = LayoutNodes(process, kinds, links);

  Extent extent;
  for (const NodeBox& box : boxes) {
    extent.Add(box.left(), box.top() - 10);  // room for a count badge
    extent.Add(box.right(), box.bottom());
  }
  if (extent.empty) extent.Add(0, 0);
  std::string edges;
  AppendEdges(&edges, process, kinds, boxes, links, id_prefix, &extent);

  const double legend_width = kLegendItemWidth * 7;
  const double left = extent.left - kMargin;
  const double top = extent.top - kMargin - kHeadingHeight;
  const double width = std::max(extent.right - extent.left, legend_width) + 2 * kMargin;
  const double height = extent.bottom - extent.top + 2 * kMargin + kHeadingHeight + kLegendHeight;

  std::string out;
  const std::string heading = absl::StrCat(process.title().empty() ? "Process" : process.title(),
                                           " (process ", process.conv_id(), ")");
  absl::StrAppend(&out,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"process\" data-conv-id=\"",
                  process.conv_id(), "\" width=\"", Num(width), "\" height=\"", Num(height),
                  "\" viewBox=\"", Num(left), " ", Num(top), " ", Num(width), " ", Num(height),
                  "\">\n<title>", XmlEscape(heading), "</title>\n<style>", kStyle,
                  "</style>\n<defs>\n");
  for (LinkKind kind : kLinkKinds) {
    absl::StrAppend(&out, "<marker id=\"", id_prefix, "arrow-", LinkKindName(kind),
                    "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" "
                    "markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"",
                    LinkColor(kind), "\"/></marker>\n");
  }
  absl::StrAppend(&out, "</defs>\n<rect class=\"background\" x=\"", Num(left), "\" y=\"", Num(top),
                  "\" width=\"", Num(width), "\" height=\"", Num(height),
                  "\" fill=\"#ffffff\"/>\n<text class=\"heading\" x=\"", Num(left + kMargin),
                  "\" y=\"", Num(top + kMargin - 8), "\">",
                  XmlEscape(FitTitle(heading, (width - 2 * kMargin) * 13 / 16)), "</text>\n");
  // Edges first: a node drawn over an edge end hides nothing, the other way
  // round an edge would cross titles.
  absl::StrAppend(&out, "<g class=\"edges\">\n", edges, "</g>\n<g class=\"nodes\">\n");
  for (int i = 0; i < count; ++i) {
    std::optional<int64_t> tasks;
    if (options.counts.has_value()) {
      auto it = options.counts->find(process.nodes(i).id());
      tasks = it == options.counts->end() ? 0 : it->second;
    }
    AppendNode(&out, process.nodes(i), kinds[i], boxes[i], tasks);
  }
  absl::StrAppend(&out, "</g>\n");
  AppendLegend(&out, left + kMargin, extent.bottom + kMargin, options.counts.has_value(),
               id_prefix);
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

}  // namespace internal
}  // namespace convey
