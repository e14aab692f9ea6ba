#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: npm dependencies (which bring Bun itself) and, unless --no-opa,
# the pinned opa build tool (go install). With --peers (the test command passes it) also the real peer tools
# the tests run against, each pinned: cosign, conftest, crane, oras and the distribution registry, and the modules
# of the Go test programs under test/support (the OpenTelemetry Collector, Prometheus's text parser).
# Safe to run again; does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
OPA_VERSION=v1.22.2
# The real peers (tests only). Each line: binary name, go module path@version, the version string it reports.
PEERS=(
  "cosign github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5"
  "conftest github.com/open-policy-agent/conftest@v0.69.0"
  "crane github.com/google/go-containerregistry/cmd/crane@v0.22.1"
  "oras oras.land/oras/cmd/oras@v1.3.6"
  "registry github.com/distribution/distribution/v3/cmd/registry@v3.1.2"
)

need_npm=0
[ -x node_modules/.bin/bun ] || need_npm=1
[ -f node_modules/.package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ] && need_npm=1
if [ "$need_npm" = 1 ]; then
  echo "setup: installing npm dependencies (brings Bun)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
node_modules/.bin/bun --version >/dev/null

no_opa=0; peers=0
for a in "$@"; do
  case "$a" in
    --no-opa) no_opa=1 ;;
    --peers) peers=1 ;;
    *) echo "setup: unknown option $a" >&2; exit 2 ;;
  esac
done

gobin() { local g; g="$(go env GOBIN 2>/dev/null || true)"; [ -n "$g" ] || g="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"; echo "$g"; }

if [ "$no_opa" = 0 ]; then
  opa="${OPA:-}"; [ -n "$opa" ] || opa="$(command -v opa || true)"; [ -n "$opa" ] || opa="$(gobin)/opa"
  if ! [ -x "$opa" ] || ! "$opa" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; then
    if ! command -v go >/dev/null; then
      echo "setup: opa ${OPA_VERSION} is needed to build bundles and run policy tests; install Go, or set OPA=/path/to/opa" >&2
      exit 2
    fi
    echo "setup: installing opa ${OPA_VERSION} with go install (a few minutes the first time)" >&2
    go install "github.com/open-policy-agent/opa@${OPA_VERSION}" >&2
  fi
fi

if [ "$peers" = 1 ]; then
  command -v go >/dev/null || { echo "setup: the test peers (cosign, conftest, crane, oras, registry) need Go" >&2; exit 2; }
  bin="$(gobin)"; stamp="$bin/.tollgate-peers"
  for p in "${PEERS[@]}"; do
    read -r name mod <<<"$p"
    # A stamp file records which module@version built each binary, so a version bump reinstalls it.
    if [ -x "$bin/$name" ] && grep -qxF "$mod" "$stamp" 2>/dev/null; then continue; fi
    echo "setup: installing $name ($mod) with go install" >&2
    go install "$mod" >&2
    { grep -vE "^${mod%@*}@" "$stamp" 2>/dev/null || true; echo "$mod"; } > "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
  done
  # Go programs the tests build themselves (test/support/gotool.ts), their modules pinned by go.sum: the
  # OpenTelemetry Collector (otlp receiver + file exporter) and Prometheus's text parser. Fetched into the module
  # cache here so the tests build them offline.
  for d in test/support/otelcol test/support/promparse; do
    (cd "$d" && GOFLAGS=-mod=mod go mod download >&2)
  done
fi
