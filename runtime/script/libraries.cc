#include "runtime/script/libraries.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "runtime/script/embedded_scripts.h"

namespace convey {
namespace internal {
namespace {

const std::vector<ScriptLibrary>& Libraries() {
  using Scope = ScriptLibrary::Scope;
  static const auto* const kLibraries = [] {
    auto* libraries = new std::vector<ScriptLibrary>();
    // CryptoJS 3.1.2 as Debian packages it: one rollup per platform module.
    for (const char* name : {"sha1", "sha256", "sha512", "md5", "hmac-sha1", "hmac-md5",
                             "hmac-sha256", "aes", "tripledes", "rc4", "rabbit"}) {
      libraries->push_back(
          {name, {absl::StrCat("cryptojs/rollups/", name, ".js")}, Scope::kShared, "CryptoJS"});
    }
    libraries->push_back({"base64",
                          {"cryptojs/components/core.js", "cryptojs/components/enc-base64.js"},
                          Scope::kShared,
                          "CryptoJS"});
    libraries->push_back({"moment", {"moment/moment.js"}, Scope::kModule, ""});
    libraries->push_back(
        {"moment-with-locales", {"moment/moment-with-locales.js"}, Scope::kModule, ""});
    libraries->push_back({"moment-timezone",
                          {"moment/moment.js", "moment-timezone/moment-timezone-with-data.js"},
                          Scope::kOwn,
                          "moment"});
    libraries->push_back({"xregexp", {"xregexp/xregexp-all.js"}, Scope::kOwnGlobal, ""});
    libraries->push_back({"dateutils", {"convey/dateutils.js"}, Scope::kCaller, ""});
    return libraries;
  }();
  return *kLibraries;
}

}  // namespace

const ScriptLibrary* FindScriptLibrary(absl::string_view argument) {
  absl::string_view name = argument;
  if (!absl::ConsumePrefix(&name, "libs/") && !absl::ConsumePrefix(&name, "./libs/")) {
    return nullptr;
  }
  absl::ConsumeSuffix(&name, ".js");
  for (const ScriptLibrary& library : Libraries()) {
    if (library.name == name) return &library;
  }
  return nullptr;
}

std::string ScriptLibraryList() {
  return absl::StrJoin(Libraries(), ", ", [](std::string* out, const ScriptLibrary& library) {
    absl::StrAppend(out, "libs/", library.name, ".js");
  });
}

absl::string_view EmbeddedScriptText(absl::string_view name) {
  for (int i = 0; i < kEmbeddedScriptCount; ++i) {
    if (name == kEmbeddedScripts[i].name) {
      return absl::string_view(kEmbeddedScripts[i].text, kEmbeddedScripts[i].size);
    }
  }
  return {};
}

}  // namespace internal
}  // namespace convey
