#include "tools/flag_values.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/http/address_policy.h"

namespace convey {
namespace tools {

// Digits only: SimpleAtoi alone would also take "+5" and " 5".
bool ParseWholeNumber(absl::string_view text, int64_t min, int64_t max, int64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, value) && *value >= min && *value <= max;
}

bool ParseSeconds(absl::string_view text, absl::Duration* value) {
  double seconds = 0;
  if (text.empty() || absl::ascii_isspace(static_cast<unsigned char>(text[0])) ||
      !absl::SimpleAtod(text, &seconds) || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > 1e9) {
    return false;
  }
  *value = absl::Seconds(seconds);
  return true;
}

// A DNS name: dot-separated labels of letters, digits and hyphens (1-63
// bytes, no hyphen at either end), at most 253 bytes, a trailing dot
// allowed; the last label is not all digits (that would be an IPv4 form).
bool IsHostName(absl::string_view text) {
  if (absl::EndsWith(text, ".")) text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return false;
  absl::string_view last;
  for (absl::string_view label : absl::StrSplit(text, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    last = label;
  }
  return !std::all_of(last.begin(), last.end(),
                      [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

// One --allow-net entry: a network or address, or a host name. Else the
// usage problem.
std::optional<std::string> CheckAllowNetEntry(const std::string& entry) {
  if (entry.empty()) {
    return "--allow-net has an empty entry (entries are separated by single commas)";
  }
  absl::StatusOr<internal::IpNetwork> network = internal::ParseIpNetwork(entry);
  if (network.ok()) return std::nullopt;
  // Text that reads as an address (digits and dots, or IPv6's colons) and
  // does not parse is a mistake, not a host name.
  const bool address_like = entry.find_first_of(":/[]") != std::string::npos ||
                            std::all_of(entry.begin(), entry.end(), [](char c) {
                              return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
                            });
  if (address_like || !IsHostName(entry)) {
    return absl::StrCat("--allow-net \"", absl::CHexEscape(entry), "\": ",
                        address_like ? network.status().message()
                                     : "neither a network (10.0.0.0/8, fd00::/8), an address "
                                       "(127.0.0.1, ::1) nor a host name");
  }
  return std::nullopt;
}

std::optional<std::string> SplitCommandLine(const std::vector<std::string>& args,
                                            const std::vector<absl::string_view>& value_flags,
                                            const std::vector<absl::string_view>& switches,
                                            const std::vector<absl::string_view>& repeatable,
                                            CommandLine* line) {
  auto listed = [](const std::vector<absl::string_view>& list, absl::string_view name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  std::vector<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      line->help = true;
      return std::nullopt;
    }
    if (!absl::StartsWith(arg, "--")) {
      if (absl::StartsWith(arg, "-") && arg != "-") return absl::StrCat("unknown option ", arg);
      line->positional.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (!listed(repeatable, name) && std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return absl::StrCat(name, " is given twice");
    }
    seen.push_back(name);
    if (listed(switches, name)) {
      if (value) return absl::StrCat(name, " takes no value");
      line->options.emplace_back(name, "");
      continue;
    }
    if (!listed(value_flags, name)) return absl::StrCat("unknown option ", name);
    if (!value) {
      if (i + 1 >= args.size() || absl::StartsWith(args[i + 1], "--")) {
        return absl::StrCat(name, " needs a value");
      }
      value = args[++i];
    }
    line->options.emplace_back(name, *value);
  }
  return std::nullopt;
}

std::optional<std::string> OutputNamesAnInput(const std::string& output,
                                              const std::vector<std::string>& inputs) {
  struct stat out_stat;
  if (::stat(output.c_str(), &out_stat) != 0) return std::nullopt;  // a new file: no input
  for (const std::string& input : inputs) {
    struct stat in_stat;
    if (input == output ||
        (::stat(input.c_str(), &in_stat) == 0 && in_stat.st_dev == out_stat.st_dev &&
         in_stat.st_ino == out_stat.st_ino)) {
      return absl::StrCat("--output ", output, " is the input file ", input,
                          ": writing it would destroy it before it is read");
    }
  }
  return std::nullopt;
}

}  // namespace tools
}  // namespace convey
