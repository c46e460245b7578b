#!/usr/bin/env bash
# Installs convey under PREFIX (default /usr/local): headers (include/convey),
# libconvey.so with its version links, the convey CLI, a pkg-config file
# (lib/pkgconfig/convey.pc) and a CMake package (lib/cmake/convey), built
# optimised. docs/embedding.md says how hosts use them.
#   tools/install.sh [PREFIX]
set -euo pipefail
prefix=${1:-/usr/local}
cd "$(dirname "$0")/.."
tools/install-deps.sh
bazel build --config=opt //dist:install_tree
tree=$(bazel info --config=opt bazel-bin)/dist/convey-install.tar
mkdir -p "$prefix"
# Existing directories keep their owner and mode; files get the time of the
# install (so that make-style builds see a new version as newer).
tar -C "$prefix" --no-same-owner --no-overwrite-dir --touch -xf "$tree"
version=$(sed -n 's/^#define CONVEY_VERSION_STRING "\(.*\)"$/\1/p' runtime/include/convey/version.h)
echo "convey $version installed in $prefix"
case "$prefix" in
  /usr | /usr/local) [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null && ldconfig ;;
  *) echo "the loader finds libconvey.so with LD_LIBRARY_PATH=$prefix/lib (or an rpath)" ;;
esac
