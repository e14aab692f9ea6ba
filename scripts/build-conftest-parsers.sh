#!/usr/bin/env bash
# Builds conftest v0.69.0's own CUE, Jsonnet and HOCON parsers (cuelang.org/go, google/go-jsonnet and
# go-akka/configuration, through github.com/open-policy-agent/conftest/parser/{cue,jsonnet,hocon}) as
# WebAssembly, one gzipped module per format, into src/check/parsers/wasm/ with the Go toolchain's
# wasm_exec.js beside them (the two must come from the same Go release). Module versions are pinned by
# scripts/conftest-parsers/go.sum. Run it after changing scripts/conftest-parsers/ and commit the output.
set -euo pipefail
cd "$(dirname "$0")/.."
committed="$PWD/src/check/parsers/wasm"
out=$committed
# --check: build into a scratch directory and compare with the committed modules (the test command runs it, as
# it does for bundles/: the committed bytes must be what this script makes from the pinned sources).
if [ "${1:-}" = "--check" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
src=scripts/conftest-parsers
mkdir -p "$out"
for f in cue jsonnet hocon cyclonedx; do
  (cd "$src" && GOOS=js GOARCH=wasm go build -tags "$f" -trimpath -buildvcs=false -ldflags="-s -w" -o "$out/$f.wasm" .)
  gzip -9n -f "$out/$f.wasm"
  chmod 644 "$out/$f.wasm.gz" # data, not programs (go build leaves the module executable)
done
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
go version > "$out/GO_VERSION"
if [ "$out" != "$committed" ]; then
  for f in cue.wasm.gz jsonnet.wasm.gz hocon.wasm.gz cyclonedx.wasm.gz wasm_exec.js GO_VERSION; do
    cmp -s "$out/$f" "$committed/$f" || { echo "build-conftest-parsers: $committed/$f differs from what scripts/build-conftest-parsers.sh builds ($(cat "$out/GO_VERSION")); run it and commit the result" >&2; exit 1; }
  done
  echo "conftest parsers: $committed matches its build"
fi
