#!/usr/bin/env bash
# Builds conftest v0.69.0's own CUE, Jsonnet and HOCON parsers (cuelang.org/go, google/go-jsonnet and
# go-akka/configuration, through github.com/open-policy-agent/conftest/parser/{cue,jsonnet,hocon}) as
# WebAssembly, one gzipped module per format, into src/check/parsers/wasm/ with the Go toolchain's
# wasm_exec.js beside them (the two must come from the same Go release). Module versions are pinned by
# scripts/conftest-parsers/go.sum; GO_VERSION names the Go release the committed modules were built with. Run it
# after changing scripts/conftest-parsers/ and commit the output.
set -euo pipefail
cd "$(dirname "$0")/.."
committed="$PWD/src/check/parsers/wasm"
out=$committed
src=scripts/conftest-parsers
# The release the committed modules were built with (GO_VERSION held `go version`'s whole line before).
want=$(grep -o 'go[0-9][0-9.a-z]*' "$committed/GO_VERSION" 2>/dev/null | head -n1 || true)
if ! command -v go >/dev/null; then
  echo "build-conftest-parsers: needs ${want:-go}, found no go on PATH" >&2
  exit 1
fi
# The release that builds (the go command may switch to the one go.mod asks for).
found=$(cd "$src" && go env GOVERSION)
# --check: build into a scratch directory and compare with the committed modules (the test command runs it, as
# it does for bundles/: the committed bytes must be what this script makes from the pinned sources).
if [ "${1:-}" = "--check" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
mkdir -p "$out"
for f in cue jsonnet hocon cyclonedx; do
  # GOOS/GOARCH, -trimpath and no VCS stamp: the bytes depend on the sources and the Go release, not on the host.
  (cd "$src" && GOOS=js GOARCH=wasm go build -tags "$f" -trimpath -buildvcs=false -ldflags="-s -w" -o "$out/$f.wasm" .)
  gzip -9n -f "$out/$f.wasm"
  chmod 644 "$out/$f.wasm.gz" # data, not programs (go build leaves the module executable)
done
cp "$(cd "$src" && go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
if [ "$out" = "$committed" ]; then
  echo "$found" > "$out/GO_VERSION"
  exit 0
fi
for f in cue.wasm.gz jsonnet.wasm.gz hocon.wasm.gz cyclonedx.wasm.gz wasm_exec.js; do
  cmp -s "$out/$f" "$committed/$f" && continue
  # Another Go release makes other bytes (go1.27.3's modules differ from go1.26.8's, wasm_exec.js does not).
  if [ "$found" != "$want" ]; then
    echo "build-conftest-parsers: needs ${want:-the release GO_VERSION names}, found $found: $f differs, and the modules' bytes depend on the Go release (run it with GOTOOLCHAIN=$want, or rebuild with $found and commit)" >&2
    exit 1
  fi
  echo "build-conftest-parsers: $committed/$f differs from what scripts/build-conftest-parsers.sh builds ($found); run it and commit the result" >&2
  exit 1
done
if [ "$found" = "$want" ]; then echo "conftest parsers: $committed matches its build ($found)"
else echo "conftest parsers: $committed matches its build ($found makes the same bytes as $want, which GO_VERSION names)"; fi
