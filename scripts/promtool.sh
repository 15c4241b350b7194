#!/usr/bin/env bash
# make test: check deploy/yardsync.rules.yml with promtool and run its unit
# tests. promtool comes from Debian's prometheus package: when it is missing,
# the package is downloaded (not installed: no Prometheus server is started)
# and its promtool kept in bin/.
set -euo pipefail
cd "$(dirname "$0")/.."
PROMTOOL=$(command -v promtool || true)
if [ -z "$PROMTOOL" ] && [ -x bin/promtool ]; then PROMTOOL=bin/promtool; fi
if [ -z "$PROMTOOL" ]; then
  echo "promtool: fetching Debian's prometheus package for its promtool"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq prometheus)
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
  mkdir -p bin
  install -m 0755 "$tmp/x/usr/bin/promtool" bin/promtool
  PROMTOOL=bin/promtool
fi
"$PROMTOOL" check rules deploy/yardsync.rules.yml
"$PROMTOOL" test rules deploy/yardsync.rules.test.yml
