// The `convey` command-line program. See docs/cli.md.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "convey/version.h"
#include "tools/draw_command.h"
#include "tools/inspect_command.h"
#include "tools/run_command.h"
#include "tools/serve_command.h"

namespace {

constexpr char kUsage[] =
    "usage: convey <command> [args]\n"
    "commands:\n"
    "  inspect FILE... [--json]   load scheme files and report what they hold\n"
    "  run FILE... [options]      deploy scheme files, run tasks through one of\n"
    "                             their processes and summarise where they ended\n"
    "                             (convey run --help)\n"
    "  serve [FILE...] [options]  serve the platform's task API over HTTP\n"
    "                             (convey serve --help)\n"
    "  draw FILE... [options]     draw one process as SVG, with the tasks in\n"
    "                             each node (convey draw --help)\n"
    "  --version                  print the version\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "inspect") {
    return convey::tools::RunInspect(args, std::cout, std::cerr);
  }
  if (command == "run") {
    return convey::tools::RunRun(args, std::cout, std::cerr,
                                 /*show_progress=*/isatty(STDERR_FILENO) == 1);
  }
  if (command == "serve") {
    return convey::tools::RunServe(args, std::cout, std::cerr);
  }
  if (command == "draw") {
    return convey::tools::RunDraw(args, std::cout, std::cerr);
  }
  if (command == "--version" || command == "version") {
    std::cout << "convey " << convey::Version() << "\n";
    return 0;
  }
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "convey: unknown command " << command << "\n" << kUsage;
  return 2;
}
