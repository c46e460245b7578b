#!/usr/bin/env bash
# Installs the Debian packages convey builds with, only those missing.
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap       # Bazel 4.2.3
  bazel-rules-cc        # rules_cc, patched at fetch time (bazel/repositories.bzl)
  bazel-rules-java      # resolved by Bazel even for C++-only builds
  g++
  pkg-config            # flags of the system libraries (@system//:...)
  libabsl-dev
  libsimdjson-dev
  libprotobuf-dev
  protobuf-compiler
  libre2-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libconcurrentqueue-dev  # lock-free run queues (header-only)
  libssl-dev              # libcrypto: $.sha1 and $.md5_hex
  libjemalloc-dev         # the allocator of the convey binary and the engine benchmark
  libcurl4-openssl-dev    # the api logic's HTTP transport
  libpugixml-dev          # XML bodies of the api logic
  librocksdb-dev          # the durable task store (runtime/store)
  libcpp-httplib-dev      # loopback HTTP servers in tests and the example (header-only)
  libmicrohttpd-dev       # convey serve's HTTP server (runtime/serve)
  nlohmann-json3-dev      # JSON Patch of task data (runtime/task/json_patch), header-only
  wrk                     # convey serve's benchmark (bench/serve_wrk.sh)
  curl                    # seed 000's recipes against convey serve (tests/tools)
  openssl                 # their signatures
  nginx-light             # the api benchmark's keep-alive server
  chromium                # headless browser: the web console's test (tests/tools/console_browser_test)
  fonts-dejavu-core       # the font of the console and of its pictures, in that test's screenshots
  libmozjs-102-dev        # SpiderMonkey: Code nodes' JavaScript (runtime/script)
  libjs-cryptojs          # Code nodes' require("libs/sha1.js") ... (embedded at build time)
  libjs-moment            # require("libs/moment.js"), moment-with-locales
  libjs-moment-timezone   # require("libs/moment-timezone.js")
  cmake                   # the install test builds examples/host with find_package(convey)
  python3                 # the install test runs examples/python (ctypes)
  binutils                # nm and readelf: the install test checks libconvey.so's symbols
  clang                   # fuzz targets only (tests/fuzz/run.sh, --config=fuzz)
  libclang-rt-14-dev      # libFuzzer and clang's sanitizer runtimes, for the same
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
install_npm_libraries() {
  # Code nodes' libraries that Debian does not package (third_party/npm),
  # pinned by package-lock.json.
  local dir
  dir="$(dirname "$0")/../third_party/npm"
  [ -f "$dir/node_modules/xregexp/xregexp-all.js" ] && return 0
  command -v npm >/dev/null || { echo "npm is needed to install third_party/npm" >&2; return 1; }
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
}

if [ ${#missing[@]} -eq 0 ]; then
  install_npm_libraries
  exit
fi

echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_npm_libraries
