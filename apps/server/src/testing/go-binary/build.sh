#!/bin/sh
# Builds the small Go program the scanner's tests read as a real Go binary
# (services/scanning/inventory/go-binary.test.ts and api/scans-layers.test.ts).
#
#   ./build.sh            rebuilds the checked-in berth-fixture (do this after changing the
#                         sources, and commit both files)
#   ./build.sh <path>     builds to <path> instead; the tests do this when Go is installed
#
# Next to the binary it writes <binary>.go-version, the toolchain's own name for itself, which
# is what the binary's build information must say.
#
# Everything the build needs is in this folder, so it works offline and gives the same bytes
# for the same toolchain: the one dependency is vendored (a module version recorded in its
# build information, which a `replace` by a local folder would not have), the toolchain is
# the local one, and paths, VCS stamps and the symbol table are left out to keep it ~1 MB.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/berth-fixture"}
case "$out" in /*) ;; *) out="$(pwd)/$out" ;; esac
cd "$here"
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOFLAGS=-mod=vendor GOTOOLCHAIN=local \
  GOPROXY=off GOSUMDB=off GOWORK=off
go build -trimpath -buildvcs=false -ldflags='-s -w' -o "$out" .
go env GOVERSION >"$out.go-version"
