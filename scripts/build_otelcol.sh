#!/usr/bin/env bash
# Builds a minimal OpenTelemetry Collector (the OTLP receiver, the batch processor and the file
# exporter, nothing else) with the collector's own builder, into build/otelcol/ (gitignored).
# tests/e2e/test_otelcol.py sends real hits through it when build/otelcol/otelcol-consent exists,
# and is skipped otherwise. docs/otlp.md shows the configuration it runs.
#
# Needs a Go toolchain of 1.21 or later (it reads GOTOOLCHAIN, so a newer Go that the modules ask
# for is fetched like a module) and the Go module proxy. It takes minutes and a few GB of module
# cache; run it niced on a shared machine:  nice -n 10 scripts/build_otelcol.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# One release for every module: the collector's core modules, its builder and the contrib
# exporter are released together and must not be mixed.
release="${OTELCOL_RELEASE:-0.161.0}"
out="build/otelcol"
name="otelcol-consent"

if ! command -v go >/dev/null 2>&1; then
    echo "build_otelcol: no go on PATH; install Go 1.21 or later (Debian: golang-go)" >&2
    exit 2
fi
version="$(go env GOVERSION 2>/dev/null || go version | awk '{print $3}')"
minor="$(printf '%s\n' "$version" | sed -n 's/^go1\.\([0-9][0-9]*\).*/\1/p')"
if [ -z "$minor" ] || [ "$minor" -lt 21 ]; then
    # Before 1.21 the go command cannot switch to the toolchain the collector's modules need.
    echo "build_otelcol: $version is too old: the collector's modules need a newer Go, and only" \
        "Go 1.21 or later can fetch one (GOTOOLCHAIN); install a newer Go first" >&2
    exit 2
fi
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
export GOFLAGS="${GOFLAGS:-} -modcacherw"

mkdir -p "$out/tools"
echo "build_otelcol: the builder v$release" >&2
if ! GOBIN="$PWD/$out/tools" go install "go.opentelemetry.io/collector/cmd/builder@v$release"; then
    echo "build_otelcol: could not install the builder: is the Go module proxy reachable" \
        "($(go env GOPROXY))?" >&2
    exit 1
fi

cat >"$out/manifest.yaml" <<EOF
dist:
  name: $name
  description: A minimal OpenTelemetry Collector for consent's OTLP integration test
  output_path: $PWD/$out
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v$release
processors:
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor v$release
exporters:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter v$release
EOF

echo "build_otelcol: building $out/$name (minutes)" >&2
"$out/tools/builder" --config "$out/manifest.yaml"
"$out/$name" --version
"$out/$name" components
