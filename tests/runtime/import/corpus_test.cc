// Every real export in ../shared/corpus/valid loads with no error (imported,
// then each process compiled by the built-in logic factories, as a deploy
// does), every one in ../shared/corpus/invalid fails with a located error,
// every import survives a round trip through its protobuf serialisation, the
// kept text of every element is simdjson's, and every node and logic is where
// the path rendered for it says.
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "convey/logic.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "runtime/engine/process.h"
#include "runtime/import/importer.h"
#include "runtime/import/scheme_locations.h"
#include "runtime/json/minify.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

constexpr char kCorpus[] = "external/shared_corpus/";

std::vector<std::string> ListJson(const std::string& dir) {
  std::vector<std::string> files;
  DIR* handle = opendir((kCorpus + dir).c_str());
  if (handle == nullptr) return files;
  while (dirent* entry = readdir(handle)) {
    const std::string name = entry->d_name;
    if (absl::EndsWith(name, ".json")) files.push_back(kCorpus + dir + "/" + name);
  }
  closedir(handle);
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string Describe(const ImportResult& result) {
  std::string text;
  for (const Diagnostic& d : result.diagnostics) text += d.ToString() + "\n";
  return text;
}

TEST(Corpus, EveryValidFileLoads) {
  const std::vector<std::string> files = ListJson("valid");
  ASSERT_EQ(files.size(), 51u);
  LogicRegistry registry;
  ASSERT_TRUE(RegisterBuiltinLogics(registry).ok());
  for (const std::string& file : files) {
    ImportResult result = ImportScheme(file, ReadFile(file));
    EXPECT_TRUE(result.ok()) << Describe(result);
    EXPECT_GT(result.scheme().processes_size(), 0) << file;
    if (!result.ok()) continue;
    // The logics' configurations are read by their factories at deploy.
    for (const schema::Process& process : result.scheme().processes()) {
      std::vector<Diagnostic> diagnostics;
      absl::StatusOr<std::unique_ptr<CompiledProcess>> compiled =
          CompileProcess(file, process, registry, CompileOptions{}, &diagnostics);
      EXPECT_TRUE(compiled.ok()) << file << " process " << process.conv_id() << ": "
                                 << compiled.status();
    }
  }
}

TEST(Corpus, EveryInvalidFileFailsWithALocatedError) {
  const std::vector<std::string> files = ListJson("invalid");
  ASSERT_EQ(files.size(), 3u);
  for (const std::string& file : files) {
    ImportResult result = ImportScheme(file, ReadFile(file));
    EXPECT_FALSE(result.ok()) << file;
    ASSERT_FALSE(result.diagnostics.empty()) << file;
    const Diagnostic& error = result.diagnostics.front();
    EXPECT_TRUE(error.is_error());
    EXPECT_EQ(error.file, file);
    EXPECT_TRUE(absl::StartsWith(error.location, "byte ")) << error.ToString();
    EXPECT_TRUE(absl::StrContains(error.location, "line ")) << error.ToString();
  }
}

TEST(Corpus, ImportSerialiseParseIsLossless) {
  for (const std::string& file : ListJson("valid")) {
    ImportResult result = ImportScheme(file, ReadFile(file));
    std::string bytes;
    ASSERT_TRUE(result.scheme().SerializeToString(&bytes)) << file;
    schema::Scheme parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes)) << file;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(result.scheme(), parsed))
        << file;
    // Importing the same bytes twice gives the same scheme.
    ImportResult again = ImportScheme(file, ReadFile(file));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(result.scheme(), again.scheme()))
        << file;
  }
}

// The importer keeps logics and options as the text Minify writes, which
// must be simdjson::minify's to the byte: checked on every object, array and
// scalar of every real export (their Code sources, escapes, non-ASCII text
// and integers; doubles are in minify_test). Stops at the first difference.
bool MinifiesAsSimdjsonDoes(simdjson::dom::element element, const std::string& file,
                            size_t* checked) {
  const std::string expected = simdjson::minify(element);
  const std::string written = Minify(element);
  EXPECT_EQ(written, expected) << file;
  if (written != expected) return false;
  ++*checked;
  if (element.is_object()) {
    for (simdjson::dom::key_value_pair field : element.get_object().value_unsafe()) {
      if (!MinifiesAsSimdjsonDoes(field.value, file, checked)) return false;
    }
  } else if (element.is_array()) {
    for (simdjson::dom::element item : element.get_array().value_unsafe()) {
      if (!MinifiesAsSimdjsonDoes(item, file, checked)) return false;
    }
  }
  return true;
}

TEST(Corpus, EveryElementMinifiesAsSimdjsonDoes) {
  simdjson::dom::parser parser;
  size_t checked = 0;
  for (const std::string& file : ListJson("valid")) {
    std::string text = ReadFile(file);
    if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.erase(0, 3);
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(text).get(root), simdjson::SUCCESS) << file;
    ASSERT_TRUE(MinifiesAsSimdjsonDoes(root, file, &checked));
  }
  EXPECT_GT(checked, 10000u);
}

// The element at a raw path of the kind scheme_locations.h renders: keys
// that are plain names, and [index]. An empty optional when it is not there.
std::optional<simdjson::dom::element> At(simdjson::dom::element root, absl::string_view path) {
  simdjson::dom::element here = root;
  while (!path.empty()) {
    if (absl::ConsumePrefix(&path, "[")) {
      const size_t end = path.find(']');
      size_t index = 0;
      if (end == absl::string_view::npos || !absl::SimpleAtoi(path.substr(0, end), &index) ||
          here.at(index).get(here) != simdjson::SUCCESS) {
        return std::nullopt;
      }
      path.remove_prefix(end + 1);
      continue;
    }
    absl::ConsumePrefix(&path, ".");
    const size_t end = std::min(path.find('.'), path.find('['));
    const absl::string_view key = path.substr(0, end);
    if (here[std::string_view(key.data(), key.size())].get(here) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    path.remove_prefix(key.size());
  }
  return here;
}

// A logic's kept text is its element's, unless repeats were collapsed.
void ExpectLogicAt(simdjson::dom::element root, const std::string& location,
                   const schema::Logic& logic, const std::string& file) {
  std::optional<simdjson::dom::element> element = At(root, location);
  ASSERT_TRUE(element.has_value()) << file << ": " << location;
  std::string_view type;
  ASSERT_EQ((*element)["type"].get(type), simdjson::SUCCESS) << file << ": " << location;
  EXPECT_EQ(type, logic.type()) << file << ": " << location;
  if (!HasRepeatedKeys(*element)) {
    EXPECT_EQ(Minify(*element), logic.json()) << file << ": " << location;
  }
}

TEST(Corpus, EveryNodeAndLogicIsWhereItsLocationSays) {
  simdjson::dom::parser parser;
  size_t logics = 0;
  size_t stub_logics = 0;
  for (const std::string& file : ListJson("valid")) {
    std::string text = ReadFile(file);
    ImportResult imported = ImportScheme(file, text);
    ASSERT_TRUE(imported.ok()) << Describe(imported);
    if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.erase(0, 3);
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(text).get(root), simdjson::SUCCESS) << file;
    for (const schema::Process& process : imported.scheme().processes()) {
      for (int i = 0; i < process.nodes_size(); ++i) {
        const schema::Node& node = process.nodes(i);
        const std::string node_location = NodeLocation(process, i);
        std::optional<simdjson::dom::element> node_json = At(root, node_location);
        ASSERT_TRUE(node_json.has_value()) << file << ": " << node_location;
        std::string_view id;
        if ((*node_json)["id"].get(id) == simdjson::SUCCESS && !id.empty()) {
          EXPECT_EQ(id, node.id()) << file << ": " << node_location;
        }
        for (int j = 0; j < node.logics_size(); ++j, ++logics) {
          ExpectLogicAt(root, LogicLocation(node_location, j), node.logics(j), file);
        }
        for (int b = 0; b < node.stub_size(); ++b) {
          for (int s = 0; s < node.stub(b).logics_size(); ++s, ++stub_logics) {
            ExpectLogicAt(root, StubLogicLocation(node_location, b, s), node.stub(b).logics(s),
                          file);
          }
        }
      }
    }
  }
  EXPECT_GT(logics, 500u);  // 606 in the 51 files
  EXPECT_GT(stub_logics, 0u);
}

}  // namespace
}  // namespace internal
}  // namespace convey
