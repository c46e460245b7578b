#!/usr/bin/env bash
# Lays out an installed convey and packs it: make_install_tree.sh OUT.tar
# VERSION_H LIBRARY CLI PC_IN CONFIG_IN CONFIG_VERSION_IN HEADER...
# (run by //dist:install_tree; tools/install.sh unpacks the archive).
set -euo pipefail
out=$1 version_h=$2 library=$3 cli=$4 pc_in=$5 config_in=$6 config_version_in=$7
shift 7

field() { sed -n "s/^#define CONVEY_VERSION_$1 \\(.*\\)$/\\1/p" "$version_h"; }
major=$(field MAJOR) minor=$(field MINOR) patch=$(field PATCH)
version="$major.$minor.$patch"
soversion="$major.$minor"
[ -n "$major" ] && [ -n "$minor" ] && [ -n "$patch" ] || { echo "no version in $version_h" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/include/convey" "$stage/lib/pkgconfig" "$stage/lib/cmake/convey" "$stage/bin"
for header in "$@"; do cp "$header" "$stage/include/convey/"; done
cp "$library" "$stage/lib/libconvey.so.$version"
ln -s "libconvey.so.$version" "$stage/lib/libconvey.so.$soversion"
ln -s "libconvey.so.$soversion" "$stage/lib/libconvey.so"
cp "$cli" "$stage/bin/convey"
substitute() {
  sed -e "s/@VERSION@/$version/g" -e "s/@SOVERSION@/$soversion/g" \
      -e "s/@MAJOR@/$major/g" -e "s/@MINOR@/$minor/g" "$1" > "$2"
}
substitute "$pc_in" "$stage/lib/pkgconfig/convey.pc"
substitute "$config_in" "$stage/lib/cmake/convey/conveyConfig.cmake"
substitute "$config_version_in" "$stage/lib/cmake/convey/conveyConfigVersion.cmake"
chmod -R u+w,go-w "$stage"
chmod 755 "$stage"
chmod 755 "$stage/lib/libconvey.so.$version" "$stage/bin/convey"
tar -C "$stage" --owner=0 --group=0 --sort=name --mtime=@0 -cf "$out" .
