#!/usr/bin/env bash
# Builds conftest v0.69.0's own CUE, Jsonnet and HOCON parsers (cuelang.org/go, google/go-jsonnet and
# go-akka/configuration, through github.com/open-policy-agent/conftest/parser/{cue,jsonnet,hocon}) as
# WebAssembly, one gzipped module per format, into src/check/parsers/wasm/ with the Go toolchain's
# wasm_exec.js beside them (the two must come from the same Go release). Module versions are pinned by
# scripts/conftest-parsers/go.sum. Run it after changing scripts/conftest-parsers/ and commit the output.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/check/parsers/wasm
src=scripts/conftest-parsers
mkdir -p "$out"
for f in cue jsonnet hocon; do
  (cd "$src" && GOOS=js GOARCH=wasm go build -tags "$f" -trimpath -buildvcs=false -ldflags="-s -w" -o "../../$out/$f.wasm" .)
  gzip -9n -f "$out/$f.wasm"
done
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
go version > "$out/GO_VERSION"
