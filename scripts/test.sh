#!/usr/bin/env bash
# Every test: type-check, the Rego unit tests (opa test) and their formatting (opa fmt), bundle and
# precompiled-validator reproducibility, the bun test suite. Ends with one line "N passed, N failed" (each bun test
# and each opa test counts; tsc, the formatting check and the three reproducibility checks count one each). Exit 0
# only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --peers || { echo "0 passed, 1 failed"; exit 1; }
BUN=node_modules/.bin/bun
export PATH="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"
OPA="$($BUN -e 'import { findOpa } from "./scripts/opa.ts"; console.log(findOpa() ?? "")')"
passed=0; failed=0
log=$(mktemp); trap 'rm -f "$log"' EXIT

echo "== type-check (tsc --noEmit)"
if node_modules/.bin/tsc --noEmit; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAILED: tsc"; fi

echo "== opa test policies/"
if "$OPA" test policies/ --format json >"$log" 2>&1; then :; fi
read -r p f < <($BUN -e '
  const t = await Bun.file(process.argv[1]).text();
  let r; try { r = JSON.parse(t); } catch { console.error(t); console.log("0 1"); process.exit(0); }
  let p = 0, f = 0;
  for (const x of r) { if (x.fail || x.error) { f++; console.error(`FAIL ${x.package}.${x.name}: ${JSON.stringify(x.error ?? "")}`); } else if (!x.skip) p++; }
  console.log(`${p} ${f}`);' "$log")
echo "opa test: $p passed, $f failed"
passed=$((passed+p)); failed=$((failed+f))

echo "== policies/ formatted (opa fmt)"
if unformatted=$("$OPA" fmt -l policies/) && [ -z "$unformatted" ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAILED: opa fmt -l lists: ${unformatted:-(opa fmt failed)} (run: opa fmt -w policies/)"; fi

echo "== bundles/ reproducible from policies/"
if OPA="$OPA" $BUN scripts/build-bundles.ts --check; then passed=$((passed+1)); else failed=$((failed+1)); fi

echo "== precompiled schema validators up to date"
if $BUN scripts/build-validators.ts --check; then passed=$((passed+1)); else failed=$((failed+1)); fi

echo "== conftest's parsers (Go WebAssembly) reproducible from scripts/conftest-parsers"
if bash scripts/build-conftest-parsers.sh --check; then passed=$((passed+1)); else failed=$((failed+1)); fi

echo "== bun test"
$BUN test --timeout 60000 "$@" 2>&1 | tee "$log"
bun_rc=${PIPESTATUS[0]}
p=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
f=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
e=$(grep -Eo '^ *[0-9]+ error' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
[ "$p" = 0 ] && [ "$f" = 0 ] && f=1 && echo "FAILED: bun test ran no test"
# bun exiting non-zero with nothing counted as failed (a crash, an error outside any test) is a failure too.
[ "$bun_rc" != 0 ] && [ "$((f + e))" = 0 ] && e=1 && echo "FAILED: bun test exited $bun_rc"
passed=$((passed+p)); failed=$((failed+f+e))

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
