#!/usr/bin/env bash
# The tollgate GitHub Action (action.yml at the repository root runs this as its one step).
#
# Inputs arrive as TOLLGATE_INPUT_* environment variables that action.yml maps from its inputs (a composite
# action gets no INPUT_* variables of its own). Multi-valued inputs (evidence, key, subject, and the
# certificate-identity / certificate-oidc-issuer pairs) are one value per line.
#
# It installs the binary (TOLLGATE_BIN if set; else dist/tollgate in the action's checkout; else it builds one
# from the action's checkout with scripts/build-binary.sh, using Bun from npm, into $RUNNER_TEMP), runs
# `tollgate eval` (mode: eval) or `tollgate test` (mode: test) twice at one fixed instant -- once for the job
# summary (Markdown; for test, its table), once for SARIF -- appends the summary to $GITHUB_STEP_SUMMARY, writes
# decision=admit|deny|error and sarif-file=PATH to $GITHUB_OUTPUT, and exits as the CLI does: 0 admit, 1 deny,
# 2 could not evaluate (then no SARIF file is written and sarif-file is empty, so an upload step can skip it).
set -uo pipefail

action_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "::error title=tollgate action::$1" >&2; [ -n "${GITHUB_OUTPUT:-}" ] && echo "decision=error" >>"$GITHUB_OUTPUT"; exit 2; }

# Could not evaluate (2), never the deny code, and in the runner's own error format.
[ -n "${GITHUB_OUTPUT:-}" ] || die "GITHUB_OUTPUT is not set (run inside GitHub Actions or set it)"
[ -n "${GITHUB_STEP_SUMMARY:-}" ] || die "GITHUB_STEP_SUMMARY is not set"
tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
mode="${TOLLGATE_INPUT_MODE:-eval}"
case "$mode" in eval|test) ;; *) die "input mode must be eval or test, not '$mode'" ;; esac
fail_on_warn="${TOLLGATE_INPUT_FAIL_ON_WARN:-false}"
case "$fail_on_warn" in true|false) ;; *) die "input fail-on-warn must be true or false, not '$fail_on_warn'" ;; esac

# --- the binary ---
bin="${TOLLGATE_BIN:-}"
if [ -z "$bin" ]; then
  if [ -x "$action_dir/dist/tollgate" ]; then
    bin="$action_dir/dist/tollgate"
  else
    bin="$tmp/tollgate-action/tollgate"
    if [ ! -x "$bin" ]; then
      echo "tollgate action: building the binary from $action_dir" >&2
      ( cd "$action_dir" && { [ -x node_modules/.bin/bun ] || npm ci --no-audit --no-fund >&2; } \
        && bash scripts/build-binary.sh -o "$bin" >&2 ) || die "could not build tollgate from $action_dir"
    fi
  fi
fi
[ -x "$bin" ] || die "tollgate binary $bin is not executable"

# --- the arguments ---
lines() { printf '%s\n' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | grep -v '^$' || true; }
args=()
paths=()
while IFS= read -r p; do paths+=("$p"); done < <(lines "${TOLLGATE_INPUT_EVIDENCE:-}")
[ ${#paths[@]} -gt 0 ] || die "input evidence is empty (one path per line)"

if [ "$mode" = eval ]; then
  when="${TOLLGATE_INPUT_TIME:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
  args+=(--time "$when")
  [ -n "${TOLLGATE_INPUT_POLICY:-}" ] && args+=(--policy "$TOLLGATE_INPUT_POLICY")
  [ -n "${TOLLGATE_INPUT_ARTIFACT:-}" ] && args+=(--artifact "$TOLLGATE_INPUT_ARTIFACT")
  while IFS= read -r s; do args+=(--subject "$s"); done < <(lines "${TOLLGATE_INPUT_SUBJECT:-}")
  while IFS= read -r k; do args+=(--key "$k"); done < <(lines "${TOLLGATE_INPUT_KEY:-}")
  ids=(); issuers=()
  while IFS= read -r v; do ids+=("$v"); done < <(lines "${TOLLGATE_INPUT_CERTIFICATE_IDENTITY:-}")
  while IFS= read -r v; do issuers+=("$v"); done < <(lines "${TOLLGATE_INPUT_CERTIFICATE_OIDC_ISSUER:-}")
  [ ${#ids[@]} -eq ${#issuers[@]} ] || die "certificate-identity has ${#ids[@]} line(s) but certificate-oidc-issuer has ${#issuers[@]}: they pair line by line"
  for i in "${!ids[@]}"; do args+=(--certificate-identity "${ids[$i]}" --certificate-oidc-issuer "${issuers[$i]}"); done
  summary_format=markdown
else
  [ -n "${TOLLGATE_INPUT_ARTIFACT:-}${TOLLGATE_INPUT_SUBJECT:-}${TOLLGATE_INPUT_KEY:-}${TOLLGATE_INPUT_CERTIFICATE_IDENTITY:-}" ] \
    && die "mode test (conftest-style) takes evidence, policy and fail-on-warn only; artifact, subject, key and certificate-* are for mode eval"
  while IFS= read -r p; do args+=(--policy "$p"); done < <(lines "${TOLLGATE_INPUT_POLICY:-}")
  summary_format=table
fi
[ "$fail_on_warn" = true ] && args+=(--fail-on-warn)

sarif="${TOLLGATE_INPUT_SARIF_FILE:-$tmp/tollgate.sarif}"
out="$(mktemp -d "$tmp/tollgate-action.XXXXXX")" || die "cannot make a temporary directory under $tmp"

# --- the runs ---
"$bin" "$mode" "${args[@]}" -o "$summary_format" "${paths[@]}" >"$out/summary" 2>"$out/stderr"
code=$?
cat "$out/stderr" >&2
cat "$out/summary"
"$bin" "$mode" "${args[@]}" -o sarif "${paths[@]}" >"$out/sarif" 2>/dev/null
sarif_code=$?

case "$code" in
  0) decision=admit ;;
  1) decision=deny ;;
  *) decision=error ;;
esac
if [ "$mode" = test ] && [ "$code" -ne 0 ] && [ "$code" -ne 1 ] && [ -s "$out/summary" ] && [ ! -s "$out/stderr" ]; then
  decision=deny # conftest: --fail-on-warn turns failures into exit 2; that is still a decision, not an error
fi

{
  if [ "$decision" = error ]; then
    echo "## tollgate $mode: could not evaluate (exit $code)"
    echo
    echo '```'
    cat "$out/stderr"
    echo '```'
  elif [ "$summary_format" = markdown ]; then
    cat "$out/summary"
  else
    echo "## tollgate test: $decision"
    echo
    echo '```'
    cat "$out/summary"
    echo '```'
  fi
} >>"$GITHUB_STEP_SUMMARY"

if [ "$decision" != error ] && [ "$sarif_code" -eq "$code" ] && [ -s "$out/sarif" ]; then
  mkdir -p "$(dirname "$sarif")" && cp "$out/sarif" "$sarif" || die "cannot write $sarif"
  echo "sarif-file=$sarif" >>"$GITHUB_OUTPUT"
else
  [ "$decision" != error ] && echo "::warning title=tollgate action::the SARIF run exited $sarif_code, the summary run $code; no SARIF file written" >&2
  echo "sarif-file=" >>"$GITHUB_OUTPUT"
fi
echo "decision=$decision" >>"$GITHUB_OUTPUT"
rm -rf "$out"
exit "$code"
