#!/usr/bin/env bash
# Cold start: one `dist/tollgate eval` process (the single binary: start, embedded bundle, WASM compile, read
# and verify the example release, decide) against one `opa eval -b` process and one `regorus eval` process on
# the same policies and the same input document (the one `tollgate inspect` writes for that release).
#
# Needs hyperfine (apt-get install -y hyperfine) and opa (scripts/setup.sh). regorus is installed here, pinned,
# when missing (cargo install; a few minutes the first time). The opa installed by `go install` has no WASM
# engine, so opa evaluates the rego-target build of the same policies/ (its Go evaluator); regorus reads the
# same .rego files and examples/data.yaml.
#
#   bash bench/cold.sh            # RUNS=30 by default
#   RUNS=50 bash bench/cold.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/go/bin:$HOME/.cargo/bin:$PATH"
BUN=node_modules/.bin/bun
REGORUS_VERSION=0.14.1
OPA="$($BUN -e 'import { findOpa } from "./src/policy/opa-tool.ts"; console.log(findOpa() ?? "")')"
[ -n "$OPA" ] || { echo "cold.sh: opa not found (scripts/setup.sh)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "cold.sh: hyperfine not found (apt-get install -y hyperfine)" >&2; exit 2; }
if ! regorus --version 2>/dev/null | grep -qx "regorus $REGORUS_VERSION"; then
  cargo install regorus --version "$REGORUS_VERSION" --locked --example regorus --features full-opa
fi
bash scripts/build-binary.sh >/dev/null
TG=dist/tollgate
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$OPA" build --ignore '*_test.rego' -o "$tmp/rego.tar.gz" policies
ARGS=(--time 2026-11-23T00:00:00Z --key examples/keys/release.pub --artifact examples/artifact/acme-api-1.4.2.tar.gz --data examples/data.yaml)
"$TG" inspect "${ARGS[@]}" examples/evidence > "$tmp/input.json"
QUERY=data.tollgate.gate.decision
# The three must agree before they are timed (the binary's decision vs opa's on the same input).
"$TG" eval "${ARGS[@]}" -o json examples/evidence | $BUN -e 'const d = await Bun.stdin.json(); console.log(JSON.stringify({ allow: d.allow, deny: d.deny.length }))' > "$tmp/tg.txt" || true
"$OPA" eval -f raw -b "$tmp/rego.tar.gz" -i "$tmp/input.json" "$QUERY" | $BUN -e 'const d = await Bun.stdin.json(); console.log(JSON.stringify({ allow: d.allow, deny: d.deny.length }))' > "$tmp/opa.txt"
echo "tollgate: $(cat "$tmp/tg.txt")  opa: $(cat "$tmp/opa.txt")"
cmp -s "$tmp/tg.txt" "$tmp/opa.txt" || { echo "cold.sh: tollgate and opa disagree" >&2; exit 1; }
REGO=(); while IFS= read -r f; do REGO+=(-d "$f"); done < <(find policies -name '*.rego' ! -name '*_test.rego' | sort)
REGORUS_CMD="regorus eval ${REGO[*]} -d examples/data.yaml -i $tmp/input.json $QUERY"
named=(-n "dist/tollgate eval (binary, verify + decide)" "$TG eval ${ARGS[*]} examples/evidence"
       -n "opa eval -b (same policies, same input)" "$OPA eval -b $tmp/rego.tar.gz -i $tmp/input.json $QUERY")
if RUST_BACKTRACE=0 $REGORUS_CMD > "$tmp/regorus.out" 2>&1; then
  named+=(-n "regorus eval $REGORUS_VERSION (same .rego, same input)" "$REGORUS_CMD")
else
  # Said, not hidden: a peer that cannot evaluate the policies is not timed.
  echo "regorus $REGORUS_VERSION refuses the policies, not timed: $(grep -m1 -E '^error' "$tmp/regorus.out" || head -c 300 "$tmp/regorus.out")"
  grep -m1 -- '-->' "$tmp/regorus.out" || true
fi
uptime
hyperfine -N --warmup 5 --runs "${RUNS:-30}" --export-markdown "$tmp/cold.md" "${named[@]}" -i
cat "$tmp/cold.md"
