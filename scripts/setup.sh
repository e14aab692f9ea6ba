#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: npm dependencies (which bring Bun itself) and, unless --no-opa,
# the pinned opa build tool (go install). Safe to run again; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
OPA_VERSION=v1.22.2

need_npm=0
[ -x node_modules/.bin/bun ] || need_npm=1
[ -f node_modules/.package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ] && need_npm=1
if [ "$need_npm" = 1 ]; then
  echo "setup: installing npm dependencies (brings Bun)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
node_modules/.bin/bun --version >/dev/null

if [ "${1:-}" != "--no-opa" ]; then
  gobin="$(go env GOBIN 2>/dev/null || true)"; [ -n "$gobin" ] || gobin="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
  opa="${OPA:-}"; [ -n "$opa" ] || opa="$(command -v opa || true)"; [ -n "$opa" ] || opa="$gobin/opa"
  if ! [ -x "$opa" ] || ! "$opa" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; then
    if ! command -v go >/dev/null; then
      echo "setup: opa ${OPA_VERSION} is needed to build bundles and run policy tests; install Go, or set OPA=/path/to/opa" >&2
      exit 2
    fi
    echo "setup: installing opa ${OPA_VERSION} with go install (a few minutes the first time)" >&2
    go install "github.com/open-policy-agent/opa@${OPA_VERSION}" >&2
  fi
fi
