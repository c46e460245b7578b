#!/usr/bin/env bash
# Installs convey into a temporary prefix (the archive tools/install.sh
# unpacks) and, outside Bazel, builds and runs the example hosts against it:
# C++ with g++ and pkg-config, C++ with CMake (find_package), C with gcc and
# pkg-config, and Python with ctypes. Also checks what the library exports
# (the public API only) and what it links (no allocator forced).
set -euo pipefail

runfile() { echo "$TEST_SRCDIR/$TEST_WORKSPACE/$1"; }
tree=$(runfile dist/convey-install.tar)
scheme=$(runfile examples/orders.conv.json)
work="${TEST_TMPDIR:-$(mktemp -d)}/install"
prefix="$work/prefix"
rm -rf "$work"
mkdir -p "$prefix"
tar -C "$prefix" --no-same-owner -xf "$tree"

fail() { echo "FAILED: $*" >&2; exit 1; }
expect_in() {  # expect_in TEXT PART WHAT
  case "$1" in *"$2"*) ;; *) printf '%s\n' "$1" >&2; fail "$3: no \"$2\"" ;; esac
}

version=$(sed -n 's/^#define CONVEY_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/convey/version.h")
[ -n "$version" ] || fail "no version in version.h"
[ -f "$prefix/lib/libconvey.so.$version" ] || fail "no lib/libconvey.so.$version"
[ -L "$prefix/lib/libconvey.so" ] || fail "no lib/libconvey.so link"
export LD_LIBRARY_PATH="$prefix/lib"

# 1. What the library exports: the C API and convey:: names that start with
# a capital letter (the public C++ API), nothing else of ours. (A
# thread_local of a header-only queue is a GNU unique symbol ld cannot hide.)
exported=$(nm -DC --defined-only "$prefix/lib/libconvey.so" | cut -c20-)
leaked=$(printf '%s\n' "$exported" |
  grep -v -E '^(convey_|convey::[A-Z]|typeinfo for convey::[A-Z]|typeinfo name for convey::[A-Z]|vtable for convey::[A-Z]|CONVEY_)' |
  grep -v -E '^moodycamel::details::thread_id\(\)::x$' || true)
[ -z "$leaked" ] || fail "libconvey.so exports internals: $leaked"
expect_in "$exported" "convey::Engine::Open(" "exported symbols"
expect_in "$exported" "convey_open@@CONVEY_0" "exported symbols"
dynamic=$(readelf -d "$prefix/lib/libconvey.so")
case "$dynamic" in *jemalloc*) fail "libconvey.so links jemalloc: the allocator is the host's choice" ;; esac
# It only asks whether the host's malloc is jemalloc (task_data_buffers.cc):
# a weak reference, left unresolved without it.
dynamic_symbols=$(readelf --dyn-syms -W "$prefix/lib/libconvey.so")
grep -qE 'WEAK +DEFAULT +UND mallctl$' <<<"$dynamic_symbols" ||
  fail "libconvey.so does not refer weakly to mallctl: it cannot tell jemalloc from glibc's malloc"
expect_in "$dynamic" "Library soname: [libconvey.so.${version%.*}]" "SONAME"

# 2. pkg-config, and the C++ host built with plain g++.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion convey)" = "$version" ] || fail "pkg-config --modversion"
cd "$work"
# shellcheck disable=SC2046
g++ -std=c++17 -o host_pkgconfig "$(runfile examples/host/host.cc)" \
  $(pkg-config --cflags --libs convey)
out=$(./host_pkgconfig "$scheme")
expect_in "$out" "Count small orders: small_orders = 86000" "host (pkg-config)"
expect_in "$out" 'one-more: processed in "Accepted"' "host (pkg-config)"

# A file that includes convey/engine.h compiles without simdjson's headers.
printf '#include "convey/engine.h"\nint main() { return 0; }\n' > lean.cc
# shellcheck disable=SC2046
g++ -std=c++17 -E lean.cc $(pkg-config --cflags convey) > lean.i
if grep -q 'simdjson' lean.i; then fail "convey/engine.h pulls in simdjson"; fi
if grep -q 'google/protobuf' lean.i; then fail "convey/engine.h pulls in protobuf"; fi

# 3. CMake: find_package(convey).
mkdir -p cmake-src
cp "$(runfile examples/host/CMakeLists.txt)" "$(runfile examples/host/host.cc)" cmake-src/
cmake -S cmake-src -B cmake-build -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  > cmake.log 2>&1 || { cat cmake.log >&2; fail "cmake configure"; }
cmake --build cmake-build > build.log 2>&1 || { cat build.log >&2; fail "cmake build"; }
out=$(cmake-build/host "$scheme")
expect_in "$out" "Count big orders: big_orders = 14000" "host (CMake)"
# A version the package does not promise is refused.
mkdir -p cmake-old
cat > cmake-old/CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(too_new LANGUAGES CXX)
find_package(convey 9.0 REQUIRED)
CMAKE
if cmake -S cmake-old -B cmake-old-build -DCMAKE_PREFIX_PATH="$prefix" > old.log 2>&1; then
  fail "find_package(convey 9.0) succeeded against $version"
fi

# 4. C, with gcc and pkg-config.
# shellcheck disable=SC2046
gcc -std=c11 -o host_c "$(runfile examples/c/host.c)" $(pkg-config --cflags --libs convey)
out=$(./host_c "$scheme")
expect_in "$out" '"node_title":"Reviewed"' "C host"
expect_in "$out" "bad data: invalid_argument: task data is not valid JSON" "C host"
expect_in "$out" '"tasks_created":1001' "C host"

# 5. Python, with ctypes only.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
out=$(CONVEY_LIBRARY="$prefix/lib/libconvey.so" "$python" \
  "$(runfile examples/python/convey_example.py)" "$scheme")
expect_in "$out" "convey $version" "Python example"
expect_in "$out" "172  processed in Accepted" "Python example"
expect_in "$out" "28  processed in Reviewed" "Python example"
expect_in "$out" "refused: invalid_argument: task data must be a JSON object" "Python example"
expect_in "$out" "created 201, finished 201" "Python example"

# 6. The CLI installed beside it.
[ "$("$prefix/bin/convey" --version)" = "convey $version" ] || fail "convey --version"

echo "install test: every host built and ran against $prefix"
