#!/usr/bin/env bash
# Build tollgate as one self-contained executable: Bun, every module (statically reachable from
# src/cli/main.ts), the precompiled validators and the embedded default bundle, compiled to bytecode and
# minified. The result needs nothing else at run time (no Bun, no node_modules, no checkout).
#
#   bash scripts/build-binary.sh                          # dist/tollgate for this machine
#   bash scripts/build-binary.sh --target linux-arm64     # dist/tollgate-linux-arm64 (also linux-x64, darwin-arm64, darwin-x64)
#   bash scripts/build-binary.sh -o /tmp/tollgate         # another output path
#
# Cross-compiling downloads the Bun runtime for the target once (Bun caches it); building for the host does not.
set -euo pipefail
cd "$(dirname "$0")/.."
target="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="${2:?--target needs linux-x64, linux-arm64, darwin-arm64 or darwin-x64}"; shift 2 ;;
    --target=*) target="${1#--target=}"; shift ;;
    -o|--outfile) out="${2:?-o needs a path}"; shift 2 ;;
    *) echo "build-binary: unknown argument $1" >&2; exit 2 ;;
  esac
done
args=()
if [ -n "$target" ]; then
  case "$target" in
    linux-x64|linux-arm64|darwin-x64|darwin-arm64|linux-x64-musl|linux-arm64-musl) ;;
    *) echo "build-binary: unknown target $target (linux-x64, linux-arm64, darwin-arm64, darwin-x64)" >&2; exit 2 ;;
  esac
  args+=(--target "bun-$target")
  out="${out:-dist/tollgate-$target}"
fi
out="${out:-dist/tollgate}"
mkdir -p "$(dirname "$out")"
# --format=esm: main.ts awaits at top level; bytecode is supported for ESM output. The gate's worker thread is
# an entry point of its own (src/serve/workers.ts names it by its path below src/, the build root).
node_modules/.bin/bun build --compile --bytecode --minify --format=esm "${args[@]}" \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  src/cli/main.ts src/serve/worker.ts src/check/parsers/conftest-wasm-worker.ts --outfile "$out"
echo "build-binary: wrote $out"
