// Keeps docs/compatibility.md true: its table of the corpus agrees with
// what InspectSchemeFile and the logic registry report for every file, and
// it prints the command line (not for runs answered by the test's loopback
// server) and a result row for every run in corpus_cases.cc (whose outcomes
// corpus_run_test checks).
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/compat/corpus_cases.h"

namespace convey {
namespace compat {
namespace {

constexpr char kDoc[] = "docs/compatibility.md";

// Cells of the rows of the table under `heading` (up to the next "## ").
std::vector<std::vector<std::string>> TableRows(const std::string& doc,
                                                const std::string& heading) {
  std::vector<std::vector<std::string>> rows;
  bool inside = false;
  std::istringstream in(doc);
  for (std::string line; std::getline(in, line);) {
    if (absl::StartsWith(line, "## ")) inside = line == heading;
    if (!inside || !absl::StartsWith(line, "|")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 3) continue;
    cells.erase(cells.begin());
    cells.pop_back();
    for (std::string& cell : cells) {
      cell.erase(std::remove(cell.begin(), cell.end(), '`'), cell.end());
      cell = std::string(absl::StripAsciiWhitespace(cell));
    }
    if (cells[0].size() < 3 || !IsCorpusNumber(cells[0].substr(0, 3))) continue;  // header
    rows.push_back(cells);
  }
  return rows;
}

TEST(CompatibilityDoc, TableOfTheCorpusMatchesInspect) {
  const std::string doc = ReadFile(kDoc);
  ASSERT_FALSE(doc.empty()) << kDoc;
  std::map<std::string, std::vector<std::string>> rows;
  for (std::vector<std::string>& cells : TableRows(doc, "## Every corpus file")) {
    ASSERT_EQ(cells.size(), 6u) << absl::StrJoin(cells, " | ");
    const std::string number = cells[0].substr(0, 3);
    EXPECT_TRUE(rows.emplace(number, cells).second) << "file " << number << " listed twice";
  }
  const std::vector<std::string> files = CorpusFiles();
  EXPECT_EQ(rows.size(), files.size());
  for (const std::string& name : files) {
    const std::string number = name.substr(0, 3);
    auto found = rows.find(number);
    if (found == rows.end()) {
      ADD_FAILURE() << name << " is not in the table";
      continue;
    }
    const std::vector<std::string>& cells = found->second;
    absl::StatusOr<FileRow> inspected = InspectCorpusFile(name);
    ASSERT_TRUE(inspected.ok()) << inspected.status();
    const FileRow& row = *inspected;
    EXPECT_EQ(cells[1], row.conv) << name;
    EXPECT_EQ(cells[2], row.logics) << name;
    EXPECT_EQ(cells[3], row.semaphores) << name;
    EXPECT_EQ(cells[4], row.missing) << name;
    EXPECT_EQ(absl::StartsWith(cells[5], "yes"), row.eligible) << name << ": " << cells[5];
  }
}

TEST(CompatibilityDoc, EveryCaseHasItsCommandLineAndResult) {
  const std::string doc = ReadFile(kDoc);
  ASSERT_FALSE(doc.empty()) << kDoc;
  std::set<std::string> results;
  for (const std::vector<std::string>& cells : TableRows(doc, "## Results")) {
    EXPECT_TRUE(results.insert(cells[0]).second) << "case " << cells[0] << " listed twice";
  }
  std::set<std::string> names;
  for (const Case& c : CorpusCases()) {
    names.insert(c.name);
    // A case answered by the test's loopback server has no command line of
    // its own (a routed one's would be that of its error-route twin).
    if (c.http) continue;
    EXPECT_TRUE(absl::StrContains(doc, DocCommand(c) + "\n"))
        << "docs/compatibility.md lacks the line\n"
        << DocCommand(c);
  }
  EXPECT_EQ(results, names);
}

}  // namespace
}  // namespace compat
}  // namespace convey
