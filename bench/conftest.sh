#!/usr/bin/env bash
# tollgate test against conftest test: the same kubernetes-style policy (deny, violation, warn, an exception) over
# the same 1,000 YAML input files, in one directory walked by both, and a single file. Needs hyperfine
# (apt-get install hyperfine), conftest and opa (bash scripts/setup.sh --peers). tollgate compiles the Rego once
# and keeps the WASM in its cache (~/.cache/tollgate/check), so the warm-up runs fill it; the "first run" line
# measures a compile (cache cleared before every run).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/go/bin:$PATH"
BUN=node_modules/.bin/bun
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME="$tmp/cache" # tollgate's compile cache for this run only
mkdir -p "$tmp/policy" "$tmp/inputs"
cp test/conftest-corpus/policy/main.rego "$tmp/policy/main.rego"
sed -i '/print(/d' "$tmp/policy/main.rego" # print() output would dominate both runs
for i in $(seq 1 1000); do
  if (( i % 3 == 0 )); then
    printf 'kind: Deployment\nmetadata: {name: web-%d}\nspec:\n  template:\n    spec:\n      containers: [{image: "nginx:latest"}]\n' "$i"
  else
    printf 'kind: Deployment\nmetadata: {name: api-%d, labels: {app: api, team: core}}\nspec:\n  template:\n    spec:\n      securityContext: {runAsNonRoot: true}\n      containers: [{image: "api@sha256:%064d"}]\n' "$i" "$i"
  fi > "$tmp/inputs/deploy-$i.yaml"
done
cp "$tmp/inputs/deploy-3.yaml" "$tmp/one.yaml"
cd "$tmp"
T="$OLDPWD/$BUN $OLDPWD/src/cli/main.ts test --no-color"
hyperfine --warmup 3 --runs "${RUNS:-10}" -i --export-markdown "$tmp/conftest.md" \
  -n "tollgate test, 1,000 files" "$T inputs" \
  -n "conftest test, 1,000 files" "conftest test --no-color inputs" \
  -n "tollgate test, 1 file" "$T one.yaml" \
  -n "conftest test, 1 file" "conftest test --no-color one.yaml"
hyperfine --runs "${RUNS:-10}" -i --export-markdown "$tmp/first.md" --prepare "rm -rf $XDG_CACHE_HOME/tollgate" \
  -n "tollgate test, 1 file, first run (compiles the Rego)" "$T one.yaml"
cat "$tmp/conftest.md" "$tmp/first.md"
uptime
