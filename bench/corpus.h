// The files of ../shared/corpus/valid (`@shared_corpus//:valid` in a
// benchmark's data), read whole: the real exports benchmarks run on.
#ifndef CONVEY_BENCH_CORPUS_H_
#define CONVEY_BENCH_CORPUS_H_

#include <dirent.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"

namespace convey {
namespace bench {

// Empty when the folder is missing (not run from the workspace root).
inline std::vector<std::string> LoadCorpus() {
  const std::string dir = "external/shared_corpus/valid/";
  std::vector<std::string> files;
  if (DIR* handle = opendir(dir.c_str())) {
    while (dirent* entry = readdir(handle)) {
      const std::string name = entry->d_name;
      if (!absl::EndsWith(name, ".json")) continue;
      std::ifstream in(dir + name, std::ios::binary);
      std::ostringstream contents;
      contents << in.rdbuf();
      files.push_back(contents.str());
    }
    closedir(handle);
  }
  return files;
}

}  // namespace bench
}  // namespace convey

#endif  // CONVEY_BENCH_CORPUS_H_
