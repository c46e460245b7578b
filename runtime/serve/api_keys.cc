#include "runtime/serve/api_keys.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/base/quote.h"

namespace convey::serve {
namespace {

constexpr size_t kMaxLogin = 128;
constexpr size_t kMaxSecret = 1024;

bool IsLoginByte(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

}  // namespace

absl::Status ApiKeys::Add(absl::string_view login_and_secret, absl::string_view where) {
  size_t colon = login_and_secret.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected LOGIN:SECRET, got no ':'"));
  }
  absl::string_view login = login_and_secret.substr(0, colon);
  absl::string_view secret = login_and_secret.substr(colon + 1);
  if (login.empty() || login.size() > kMaxLogin) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the login must be 1..", kMaxLogin, " bytes, got ", login.size()));
  }
  for (char c : login) {
    if (!IsLoginByte(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the login ", internal::Quote(login),
                       " may hold only letters, digits, '_', '-' and '.' (it is part of the URL)"));
    }
  }
  if (secret.empty() || secret.size() > kMaxSecret) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": the secret of ",
                                                   internal::Quote(login), " must be 1..",
                                                   kMaxSecret, " bytes, got ", secret.size()));
  }
  if (secret.find_first_of("\r\n") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the secret of ", internal::Quote(login), " holds a line break"));
  }
  if (!secrets_.try_emplace(login, secret).second) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the login ", internal::Quote(login), " is given twice"));
  }
  return absl::OkStatus();
}

absl::Status ApiKeys::AddFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the API keys file ", path));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    absl::Status added = Add(text, absl::StrCat(path, ":", number));
    if (!added.ok()) return added;
  }
  return absl::OkStatus();
}

absl::Status ApiKeys::AllowConsoleWrites(absl::string_view login, absl::string_view where) {
  if (!secrets_.contains(login)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", internal::Quote(login),
                     " is not a configured API login (give it with --api-key or --api-keys)"));
  }
  console_writers_.emplace(login);
  return absl::OkStatus();
}

const std::string* ApiKeys::SecretOf(absl::string_view login) const {
  auto it = secrets_.find(login);
  return it == secrets_.end() ? nullptr : &it->second;
}

}  // namespace convey::serve
