#!/usr/bin/env bash
# Stop what `make demo` started.
cd "$(dirname "$0")/.."
for pid in demo/run/*.pid; do
  [ -e "$pid" ] || continue
  kill "$(cat "$pid")" 2>/dev/null && echo "stopped $(basename "$pid" .pid)"
  rm -f "$pid"
done
