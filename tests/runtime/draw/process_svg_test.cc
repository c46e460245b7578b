// The SVG of a process (runtime/draw): escaping, a shape per node kind, an
// edge per link, count badges, the layouts, hostile titles. Every picture
// is read back with a strict XML reader, so each test also checks that the
// document is well-formed.
#include "runtime/draw/process_svg.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/draw/process_graph.h"
#include "runtime/draw/svg_text.h"
#include "runtime/import/importer.h"
#include "tests/support/xml_reader.h"

namespace convey {
namespace internal {
namespace {

using ::convey::testing::ParseXml;
using ::convey::testing::XmlElement;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// Imports `json` (a process object) and keeps it alive for the test.
class Imported {
 public:
  explicit Imported(const std::string& json) : result_(ImportScheme("test.json", json)) {
    EXPECT_TRUE(result_.ok()) << (result_.diagnostics.empty()
                                      ? std::string()
                                      : result_.diagnostics.front().ToString());
  }
  const schema::Process& process() const { return result_.scheme().processes(0); }

 private:
  ImportResult result_;
};

std::string ReadTestData(const std::string& name) {
  std::ifstream in("tests/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The document, checked well-formed.
XmlElement Parse(const std::string& svg) {
  absl::StatusOr<XmlElement> root = ParseXml(svg);
  EXPECT_TRUE(root.ok()) << root.status() << "\n" << svg;
  return root.ok() ? *root : XmlElement();
}

std::vector<const XmlElement*> Nodes(const XmlElement& root) {
  return root.FindAll([](const XmlElement& e) { return e.name == "g" && e.HasClass("node"); });
}

std::vector<const XmlElement*> Edges(const XmlElement& root) {
  return root.FindAll([](const XmlElement& e) { return e.name == "path" && e.HasClass("edge"); });
}

const XmlElement* NodeById(const XmlElement& root, const std::string& id) {
  for (const XmlElement* node : Nodes(root)) {
    if (node->Attribute("data-node-id") == id) return node;
  }
  return nullptr;
}

// The node's one shape element (the test fails when it has none or more).
const XmlElement* ShapeOf(const XmlElement& node) {
  const XmlElement* shape = nullptr;
  int shapes = 0;
  for (const XmlElement& child : node.children) {
    if (child.HasClass("shape")) {
      shape = &child;
      ++shapes;
    }
  }
  EXPECT_EQ(shapes, 1) << node.Attribute("data-node-id");
  return shape;
}

const XmlElement* ChildNamed(const XmlElement& node, absl::string_view name,
                             absl::string_view css_class = "") {
  for (const XmlElement& child : node.children) {
    if (child.name == name && (css_class.empty() || child.HasClass(css_class))) return &child;
  }
  return nullptr;
}

std::string Node(const std::string& id, int obj_type, const std::string& title,
                 const std::string& logics, const std::string& more = "") {
  return absl::StrCat(R"({"id":")", id, R"(","obj_type":)", obj_type, R"(,"title":")", title,
                      R"(","condition":{"logics":[)", logics, "]", more, "}}");
}

std::string Process(const std::vector<std::string>& nodes) {
  std::string json = R"({"obj_id":77,"title":"T","scheme":{"nodes":[)";
  for (size_t i = 0; i < nodes.size(); ++i) absl::StrAppend(&json, i ? "," : "", nodes[i]);
  return json + "]}}";
}

std::string Go(const std::string& to) {
  return absl::StrCat(R"({"type":"go","to_node_id":")", to, R"("})");
}

// The reader the tests rely on refuses what is not well-formed.
TEST(XmlReader, RefusesMalformedDocuments) {
  for (const char* bad : {"<a><b></a>", "<a x=1/>", "<a x=\"1\"y=\"2\"/>", "<a>&bogus;</a>",
                          "<a>&amp</a>", "<a>\x01</a>", "<a/><b/>", "<a x=\"<\"/>", "<a>",
                          "<a x=\"1\" x=\"2\"/>", "<a>&#1;</a>", "<a>\xff</a>"}) {
    EXPECT_FALSE(ParseXml(bad).ok()) << bad;
  }
  absl::StatusOr<XmlElement> good =
      ParseXml("<?xml version=\"1.0\"?>\n<a k='&lt;&#x41;'>&amp;<b/></a>");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->Attribute("k"), "<A");
  EXPECT_EQ(good->text, "&");
}

TEST(XmlEscape, EscapesMarkupAndDropsWhatXmlForbids) {
  EXPECT_EQ(XmlEscape(R"(a&b<c>d"e'f)"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  EXPECT_EQ(XmlEscape(std::string("x\x01y\x1f\t\n\r\0z", 10)), "xy\t\n\rz");
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBE\xEF\xBF\xBF"), "");  // U+FFFE, U+FFFF
  EXPECT_EQ(XmlEscape("a\xff"
                      "b\xC3"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");                                                    // not UTF-8
  EXPECT_EQ(XmlEscape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(XmlEscape("Заказ € \xF0\x9F\x98\x80"), "Заказ € \xF0\x9F\x98\x80");
}

TEST(ProcessSvg, EachNodeKindHasItsShape) {
  const Imported imported(Process({
      Node("s", 1, "Start", Go("a")),
      Node("a", 0, "Call", R"({"type":"api","url":"http://x","err_node_id":"x"},)" + Go("c")),
      Node("c", 0, "Check",
           R"({"type":"go_if_const","to_node_id":"cb","conditions":[]},)" + Go("d")),
      Node("cb", 0, "Callback", R"({"type":"api_callback"},)" + Go("q")),
      Node("q", 0, "Queue", R"({"type":"api_queue"},)" + Go("r")),
      Node("r", 0, "Call process", R"({"type":"api_rpc","conv_id":1},)" + Go("d")),
      Node("d", 0, "Delay", Go("st"),
           R"(,"semaphors":[{"type":"time","value":60,"to_node_id":"st"}])"),
      Node("t", 0, "Timed action", R"({"type":"set_param","extra":{}},)" + Go("st"),
           R"(,"semaphors":[{"type":"time","value":60,"to_node_id":"st"}])"),
      Node("st", 4, "Stub", R"({"type":"api_rpc","conv_id":1},)" + Go("e"),
           R"(,"stub":{"logics":[[{"type":"api_rpc_reply","res_data":{}}]]})"),
      Node("e", 3, "Escalation", Go("x")),
      Node("x", 2, "End", ""),
  }));
  const XmlElement root = Parse(RenderProcessSvg(imported.process(), {}));
  EXPECT_EQ(root.name, "svg");
  EXPECT_EQ(root.Attribute("xmlns"), "http://www.w3.org/2000/svg");
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"s", {"start", "ellipse"}},      {"a", {"action", "rect"}}, {"c", {"condition", "polygon"}},
      {"cb", {"wait", "rect"}},         {"q", {"wait", "rect"}},   {"r", {"wait", "rect"}},
      {"d", {"wait", "rect"}},          {"t", {"action", "rect"}}, {"st", {"stub", "rect"}},
      {"e", {"escalation", "polygon"}}, {"x", {"final", "rect"}}};
  ASSERT_EQ(Nodes(root).size(), expected.size());
  for (const auto& [id, kind_and_shape] : expected) {
    const XmlElement* node = NodeById(root, id);
    ASSERT_NE(node, nullptr) << id;
    EXPECT_EQ(node->Attribute("class"), "node " + kind_and_shape.first) << id;
    const XmlElement* shape = ShapeOf(*node);
    ASSERT_NE(shape, nullptr);
    EXPECT_EQ(shape->name, kind_and_shape.second) << id;
    ASSERT_NE(ChildNamed(*node, "title"), nullptr) << id;
    ASSERT_NE(ChildNamed(*node, "text", "title"), nullptr) << id;
  }
  // Stubs are dashed, finals are stadiums (fully rounded ends).
  EXPECT_EQ(ShapeOf(*NodeById(root, "x"))->Attribute("rx"),
            std::to_string(std::stoi(ShapeOf(*NodeById(root, "x"))->Attribute("height")) / 2));
  EXPECT_EQ(ShapeOf(*NodeById(root, "e"))->Attribute("points").find(' ') != std::string::npos,
            true);
  // A wait node has its clock.
  EXPECT_NE(ChildNamed(*NodeById(root, "cb"), "path", "glyph"), nullptr);
  // Titles in the nodes, in file order.
  EXPECT_EQ(ChildNamed(*Nodes(root)[1], "text", "title")->text, "Call");
  // The legend has a swatch per kind but none of them counts as a node.
  EXPECT_EQ(root.FindAll([](const XmlElement& e) { return e.HasClass("swatch"); }).size(), 7u);
}

using EdgeKey = std::tuple<std::string, std::string, std::string>;

std::vector<EdgeKey> EdgeKeys(const XmlElement& root) {
  std::vector<EdgeKey> keys;
  for (const XmlElement* edge : Edges(root)) {
    std::string kind = edge->Attribute("class");
    EXPECT_TRUE(absl::StartsWith(kind, "edge ")) << kind;
    keys.emplace_back(edge->Attribute("data-from"), edge->Attribute("data-to"), kind.substr(5));
    EXPECT_THAT(edge->Attribute("marker-end"), HasSubstr("#arrow-" + kind.substr(5)));
    EXPECT_THAT(edge->Attribute("d"), Not(HasSubstr("nan")));
  }
  return keys;
}

TEST(ProcessSvg, OneEdgePerLinkOfEveryKind) {
  const Imported imported(ReadTestData("draw/all_links.json"));
  const XmlElement root = Parse(RenderProcessSvg(imported.process(), {}));
  // File order: per node, each logic's to_node_id then err_node_id, the
  // semaphores, the stub branches.
  EXPECT_THAT(EdgeKeys(root),
              ElementsAre(EdgeKey{"s", "c", "go"}, EdgeKey{"c", "a", "condition"},
                          EdgeKey{"c", "st", "condition"}, EdgeKey{"c", "a", "go"},
                          EdgeKey{"a", "e", "error"}, EdgeKey{"a", "w", "go"},
                          EdgeKey{"e", "a", "condition"}, EdgeKey{"e", "e", "go"},
                          EdgeKey{"w", "f", "go"}, EdgeKey{"w", "f", "timer"},
                          EdgeKey{"w", "e", "count"}, EdgeKey{"st", "fe", "error"},
                          EdgeKey{"st", "f", "go"}, EdgeKey{"st", "fe", "condition"}));
  // Parallel edges bow apart (a curve each); a node's link to itself loops.
  int curves = 0;
  for (const XmlElement* edge : Edges(root)) curves += absl::StrContains(edge->Attribute("d"), "Q");
  EXPECT_EQ(curves, 8);  // c->a twice, w->f twice, st->fe twice, a->e and e->a
  for (const XmlElement* edge : Edges(root)) {
    if (edge->Attribute("data-from") == "e" && edge->Attribute("data-to") == "e") {
      EXPECT_THAT(edge->Attribute("d"), HasSubstr("C"));
    }
  }
}

TEST(ProcessSvg, ALinkToNoNodeDrawsNothing) {
  const Imported imported(Process({
      Node("s", 1, "Start",
           R"({"type":"go_if_const","to_node_id":"gone","conditions":[]},)"
           R"({"type":"api","err_node_id":"also gone"},{"type":"set_param","err_node_id":""},)"
           R"({"type":"api","err_node_id":5},{"type":"go","to_node_id":"f"})"),
      Node("f", 2, "End", ""),
  }));
  EXPECT_THAT(EdgeKeys(Parse(RenderProcessSvg(imported.process(), {}))),
              ElementsAre(EdgeKey{"s", "f", "go"}));
  // A logic whose JSON does not parse (a hand-built scheme) is skipped too.
  schema::Process process = imported.process();
  process.mutable_nodes(0)->mutable_logics(4)->set_json("{not json");
  EXPECT_THAT(EdgeKeys(Parse(RenderProcessSvg(process, {}))), ::testing::IsEmpty());
}

TEST(ProcessSvg, CountsGiveEveryNodeABadge) {
  const Imported imported(ReadTestData("draw/all_links.json"));
  EXPECT_TRUE(
      Parse(RenderProcessSvg(imported.process(), {}))
          .FindAll([](const XmlElement& e) { return e.name == "text" && e.HasClass("count"); })
          .empty());
  ProcessSvgOptions options;
  options.counts.emplace();
  (*options.counts)["w"] = 2500;
  (*options.counts)["f"] = 0;
  (*options.counts)["elsewhere"] = 7;  // no such node: ignored
  const XmlElement root = Parse(RenderProcessSvg(imported.process(), options));
  const auto badges =
      root.FindAll([](const XmlElement& e) { return e.name == "text" && e.HasClass("count"); });
  ASSERT_EQ(badges.size(), 8u);
  for (const XmlElement* node : Nodes(root)) {
    const std::string id = node->Attribute("data-node-id");
    const XmlElement* badge = ChildNamed(*node, "text", "count");
    ASSERT_NE(badge, nullptr) << id;
    EXPECT_EQ(badge->Attribute("data-node-id"), id);
    EXPECT_EQ(badge->text, id == "w" ? "2500" : "0") << id;
    EXPECT_EQ(node->HasClass("has-tasks"), id == "w") << id;
  }
}

TEST(ProcessSvg, HostileTitlesStayText) {
  const std::string hostile = "</svg><script>alert(1)</script>\\u0001\\u001b[2J & 'x' \\\"y\\\"";
  const Imported imported(Process({Node("s\\\"><x", 1, hostile, Go("f")), Node("f", 2, "ok", "")}));
  const std::string svg = RenderProcessSvg(imported.process(), {});
  const XmlElement root = Parse(svg);
  EXPECT_THAT(svg, Not(HasSubstr("<script")));
  EXPECT_THAT(svg, Not(HasSubstr("\x01")));
  EXPECT_THAT(svg, Not(HasSubstr("\x1b")));
  EXPECT_TRUE(root.FindAll([](const XmlElement& e) { return e.name == "script"; }).empty());
  const XmlElement* node = NodeById(root, "s\"><x");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(ChildNamed(*node, "title")->text, "</svg><script>alert(1)</script>[2J & 'x' \"y\"");
  // The shown title is cut to fit, with an ellipsis.
  EXPECT_THAT(ChildNamed(*node, "text", "title")->text, HasSubstr("\xE2\x80\xA6"));
  EXPECT_EQ(Edges(root)[0]->Attribute("data-from"), "s\"><x");
}

TEST(ProcessSvg, LongTitlesAreCutWhole) {
  const std::string title = "Ёлка ёлка ёлка ёлка ёлка ёлка ёлка ёлка ёлка";
  const Imported imported(Process(
      {Node("s", 1, "Start", Go("a")), Node("a", 0, title, Go("f")), Node("f", 2, "End", "")}));
  const XmlElement root = Parse(RenderProcessSvg(imported.process(), {}));
  const XmlElement* node = NodeById(root, "a");
  EXPECT_EQ(ChildNamed(*node, "title")->text, title);
  const std::string shown = ChildNamed(*node, "text", "title")->text;
  EXPECT_TRUE(absl::EndsWith(shown, "\xE2\x80\xA6")) << shown;
  EXPECT_LT(shown.size(), title.size());
}

TEST(ProcessSvg, OutputIsDeterministicAndPrefixesItsIds) {
  const Imported imported(ReadTestData("draw/all_links.json"));
  ProcessSvgOptions options;
  options.id_prefix = "p9001-";
  const std::string svg = RenderProcessSvg(imported.process(), options);
  EXPECT_EQ(svg, RenderProcessSvg(imported.process(), options));
  EXPECT_THAT(svg, HasSubstr(R"(<marker id="p9001-arrow-go")"));
  EXPECT_THAT(svg, HasSubstr("url(#p9001-arrow-timer)"));
  EXPECT_THAT(svg, Not(HasSubstr("\"arrow-")));
}

TEST(ProcessSvg, EmptyAndFarAwayProcessesStayWellFormed) {
  schema::Process empty;
  empty.set_conv_id(5);
  const XmlElement root = Parse(RenderProcessSvg(empty, {}));
  EXPECT_TRUE(Nodes(root).empty());
  const Imported far(R"({"obj_id":6,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"x":1e300,"y":-1e300,"condition":{"logics":[{"type":"go","to_node_id":"f"}]}},
    {"id":"f","obj_type":2,"x":0,"y":0}]}})");
  const std::string svg = RenderProcessSvg(far.process(), {});
  Parse(svg);
  EXPECT_THAT(svg, Not(HasSubstr("e+")));
  EXPECT_THAT(svg, Not(HasSubstr("inf")));
}

// Without coordinates: rows by distance from the start, in the order reached;
// nodes the start does not reach go below.
TEST(ProcessLayout, RowsWhenTheExportHasNoCoordinates) {
  const Imported imported(Process({
      Node("lost", 0, "Unreached", Go("f")),
      Node("s", 1, "Start", Go("b")),
      Node("f", 2, "End", ""),
      Node("b", 0, "B", R"({"type":"go_if_const","to_node_id":"c","conditions":[]},)" + Go("f")),
      Node("c", 0, "C", Go("f")),
  }));
  const schema::Process& process = imported.process();
  std::vector<DrawnKind> kinds;
  for (const schema::Node& node : process.nodes()) kinds.push_back(ClassifyNode(node));
  const std::vector<NodeBox> boxes = LayoutNodes(process, kinds, ProcessLinks(process));
  ASSERT_EQ(boxes.size(), 5u);
  const NodeBox &lost = boxes[0], &start = boxes[1], &end = boxes[2], &b = boxes[3], &c = boxes[4];
  EXPECT_LT(start.center_y, b.center_y);
  EXPECT_EQ(c.center_y, end.center_y);  // both two links from the start
  EXPECT_LT(c.center_x, end.center_x);  // c is reached first (b's first link)
  EXPECT_GT(lost.center_y, end.center_y);
  EXPECT_EQ(start.center_x, b.center_x);  // alone in their rows, centred
  const XmlElement root = Parse(RenderProcessSvg(process, {}));
  EXPECT_EQ(Nodes(root).size(), 5u);
}

TEST(ProcessLayout, EditorCoordinatesPlaceNodesAndPartThem) {
  // The start sits 100 px right of the expanded node under it, as the
  // platform's exports have it: both are centred on one line. The final's
  // collapsed box is 40 px from an expanded node, so the picture is
  // stretched to part their larger shapes. The node without coordinates
  // goes below.
  const Imported imported(Process({
      R"({"id":"s","obj_type":1,"title":"Start","x":200,"y":0,"condition":{"logics":[)" + Go("a") +
          "]}}",
      R"({"id":"a","obj_type":0,"title":"Act","x":100,"y":150,"condition":{"logics":[)" + Go("f") +
          "]}}",
      R"({"id":"f","obj_type":2,"title":"End","x":340,"y":160})",
      R"({"id":"n","obj_type":2,"title":"Nowhere"})",
  }));
  const schema::Process& process = imported.process();
  std::vector<DrawnKind> kinds;
  for (const schema::Node& node : process.nodes()) kinds.push_back(ClassifyNode(node));
  const std::vector<NodeBox> boxes = LayoutNodes(process, kinds, ProcessLinks(process));
  EXPECT_EQ(boxes[0].center_x, boxes[1].center_x);
  EXPECT_LT(boxes[0].bottom(), boxes[1].top());
  EXPECT_LE(boxes[1].right(), boxes[2].left());  // parted
  for (int i = 0; i < 3; ++i) EXPECT_LT(boxes[i].bottom(), boxes[3].top()) << i;
}

}  // namespace
}  // namespace internal
}  // namespace convey
