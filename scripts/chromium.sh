#!/usr/bin/env bash
# The status page's browser test (ui/browser_test.go) drives Debian's
# chromium: install it when it is missing (CI and fresh machines run as root).
set -euo pipefail
command -v chromium >/dev/null && exit 0
echo "chromium: installing Debian's chromium for the browser test"
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
