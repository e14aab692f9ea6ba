#!/usr/bin/env bash
# Cold start: one `tollgate eval` process (Bun start, bundle load, WASM compile, verify, decide) vs one
# `opa eval -b` process on the same policies and the same input document. Needs hyperfine (apt-get install
# hyperfine) and opa (scripts/setup.sh). The opa installed by `go install` has no WASM engine, so opa
# evaluates the rego-target build of the same policies/ (its Go evaluator).
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
OPA="$($BUN -e 'import { findOpa } from "./src/policy/opa-tool.ts"; console.log(findOpa() ?? "")')"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$OPA" build --ignore '*_test.rego' -o "$tmp/rego.tar.gz" policies
ARGS=(--time 2026-11-23T00:00:00Z --key examples/keys/release.pub --artifact examples/artifact/acme-api-1.4.2.tar.gz --data examples/data.yaml)
$BUN src/cli/main.ts inspect "${ARGS[@]}" examples/evidence > "$tmp/input.json"
hyperfine --warmup 3 --runs "${RUNS:-20}" --export-markdown "$tmp/cold.md" \
  -n "tollgate eval (embedded bundle, verify + decide)" "$BUN src/cli/main.ts eval ${ARGS[*]} examples/evidence" \
  -n "opa eval -b (same policies, same input)" "$OPA eval -b $tmp/rego.tar.gz -i $tmp/input.json data.tollgate.gate.decision" \
  -i
cat "$tmp/cold.md"
