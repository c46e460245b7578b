// Shared by the fuzz targets of tests/fuzz: invariant checks that stop the
// process (a finding for libFuzzer), splitting an input into lines, JSON
// checks. Engine helpers are in engine_support.h.
#ifndef CONVEY_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define CONVEY_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"

// An invariant of the product that the input broke: prints what and where,
// then traps (libFuzzer reports a deadly signal with the stack and saves the
// input as a crash). Not abort(): libmozjs, linked by every target that
// reaches the engine, replaces abort() with a null-pointer write.
#define FUZZ_CHECK(condition, ...)                                              \
  do {                                                                          \
    if (!(condition)) {                                                         \
      std::fprintf(stderr, "\nFUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__, \
                   __LINE__, #condition);                                       \
      std::fprintf(stderr, __VA_ARGS__);                                        \
      std::fprintf(stderr, "\n");                                               \
      std::fflush(stderr);                                                      \
      __builtin_trap();                                                         \
    }                                                                           \
  } while (0)

namespace convey {
namespace fuzz {

// CONVEY_FUZZ_VERBOSE=1: targets say what they did with each input (for
// understanding a seed or a reproducer; far too slow for fuzzing).
inline bool Verbose() {
  static const bool verbose = [] {
    const char* value = std::getenv("CONVEY_FUZZ_VERBOSE");
    return value != nullptr && *value != '\0' && std::strcmp(value, "0") != 0;
  }();
  return verbose;
}

// A known product bug (tests/fuzz/findings/README.md, by `id`) that the
// input hit: true when the target should skip the input instead of
// reporting it again, so that fuzzing gets past it. CONVEY_FUZZ_STRICT=1
// turns every such filter off (to check that the bug is fixed: then the
// filter should be removed). Each filter is listed in tests/fuzz/README.md.
inline bool SkipKnownBug(const char* id) {
  static const bool strict = [] {
    const char* value = std::getenv("CONVEY_FUZZ_STRICT");
    return value != nullptr && *value != '\0' && std::strcmp(value, "0") != 0;
  }();
  if (strict) return false;
  if (Verbose()) std::fprintf(stderr, "skipped: known bug %s\n", id);
  return true;
}

inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// `text` split at '\n', the separators dropped: "a\nb" gives "a" and "b",
// "a\n" gives "a" and "", "" gives one empty line.
inline std::vector<absl::string_view> Lines(absl::string_view text) {
  std::vector<absl::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Inputs may hold repetition groups, so that a few bytes can stand for the
// long or deeply nested texts some bugs need (a `$.math` chain of 50 000
// terms, a path of 2 000 steps), which libFuzzer would never grow by itself:
// split at NUL bytes, the parts are LITERAL (COUNT CHUNK LITERAL)*, and each
// CHUNK is repeated COUNT times (decimal, at most 1 000 000; not a number:
// once). An input without NUL is itself. Expansion stops at `max_bytes`.
// (NUL is never part of JSON text or of a template read from one.)
inline std::string Expand(absl::string_view input, size_t max_bytes) {
  std::string out;
  if (input.find('\0') == absl::string_view::npos) return std::string(input);
  std::vector<absl::string_view> parts;
  size_t start = 0;
  for (;;) {
    const size_t nul = input.find('\0', start);
    parts.push_back(input.substr(start, nul == absl::string_view::npos ? nul : nul - start));
    if (nul == absl::string_view::npos) break;
    start = nul + 1;
  }
  auto append = [&](absl::string_view text) {
    out.append(text.data(), std::min(text.size(), max_bytes - out.size()));
  };
  append(parts[0]);
  for (size_t i = 1; i < parts.size() && out.size() < max_bytes; i += 3) {
    uint32_t count = 1;
    if (!absl::SimpleAtoi(parts[i], &count) || count > 1000000) count = 1;
    const absl::string_view chunk = i + 1 < parts.size() ? parts[i + 1] : absl::string_view();
    for (uint32_t n = 0; n < count && out.size() < max_bytes && !chunk.empty(); ++n) append(chunk);
    if (i + 2 < parts.size()) append(parts[i + 2]);
  }
  return out;
}

// True when `text` is valid UTF-8 (what JSON text, and so every string of a
// scheme file or of task data, is).
inline bool IsUtf8(absl::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

// True when `text` is JSON that simdjson parses (at its default depth,
// 1024). `*depth_exceeded` tells a document that is only too deep.
inline bool ParsesAsJson(absl::string_view text, simdjson::dom::element_type* type = nullptr,
                         bool* depth_exceeded = nullptr) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const simdjson::error_code error = parser.parse(text.data(), text.size()).get(root);
  if (depth_exceeded != nullptr) *depth_exceeded = error == simdjson::DEPTH_ERROR;
  if (error != simdjson::SUCCESS) return false;
  if (type != nullptr) *type = root.type();
  return true;
}

}  // namespace fuzz
}  // namespace convey

#endif  // CONVEY_TESTS_FUZZ_FUZZ_SUPPORT_H_
