#!/usr/bin/env bash
# make demo: a whole yardsync installation on this machine, from nothing.
# It leaves yardsync and the emulated panels running in the background and
# prints what to try; `make demo-stop` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=bin/yardsync
RUN=demo/run
CONFIG=${DEMO_CONFIG:-demo/yardsync.yaml}
API=http://127.0.0.1:8080/bill/api
mkdir -p "$RUN"
./scripts/demo-stop.sh >/dev/null 2>&1 || true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
call() { curl -sS --fail-with-body -X POST "$API/$1/" -d "${2:-}"; }

say "demo database yardsync_demo (fresh)"
psql -q -h 127.0.0.1 -U postgres -d postgres -c 'DROP DATABASE IF EXISTS yardsync_demo WITH (FORCE)' -c 'CREATE DATABASE yardsync_demo'

say "emulated panels: 3 Beward, 2 Beward mifare, 3 Sokol on port 18081"
start_fleet() { # family count base
  nohup "$BIN" panelsim --family "$1" --count "$2" --base "$3" --port 18081 --latency 20ms \
    --login admin --password demo-secret >"$RUN/panelsim-$1.log" 2>&1 &
  echo $! >"$RUN/panelsim-$1.pid"
}
start_fleet beward 3 127.0.1.1
start_fleet beward-mifare 2 127.0.2.1
start_fleet sokol 3 127.0.3.1

say "yardsync migrate, then yardsync serve (log: $RUN/yardsync.log)"
"$BIN" --config "$CONFIG" migrate
nohup "$BIN" --config "$CONFIG" serve >"$RUN/yardsync.log" 2>&1 &
echo $! >"$RUN/yardsync.pid"
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:8080/readyz >/dev/null && break; sleep 0.2; done
curl -sf http://127.0.0.1:8080/readyz >/dev/null || { echo "yardsync did not start:"; cat "$RUN/yardsync.log"; exit 1; }

say "devices, a gate and its door, rights and keys, through /bill/api as billing would"
panels=(127.0.1.1:1 127.0.1.2:1 127.0.1.3:1 127.0.2.1:1 127.0.2.2:1 127.0.3.1:2 127.0.3.2:2 127.0.3.3:2)
ids=()
for i in "${!panels[@]}"; do
  ip=${panels[$i]%:*}; type=${panels[$i]#*:}
  out=$(call devices_add "{\"device_type\": 1, \"is_active\": true, \"title\": \"Подъезд $((i + 1))\",
    \"address\": \"г. Москва, ул. Ленина, д. 5\", \"domophoneid\": $((i + 1)), \"sippassword\": \"None\",
    \"paneltype\": $type, \"panelip\": \"$ip\", \"panellogin\": \"admin\", \"panelpasswd\": \"demo-secret\"}")
  ids+=("$(echo "$out" | sed 's/[^0-9]//g')")
done
gate=$(call devices_add '{"device_type": 3, "is_active": true, "title": "Ворота двора"}' | sed 's/[^0-9]//g')
call doors_add "{\"device_id\": $gate, \"cam\": ${ids[7]}, \"entrance\": 0, \"icon\": \"gate\", \"name\": \"Ворота\",
  \"open\": \"http://127.0.3.3:18081/relay/1/open\", \"open_trait\": \"PUT\"}" >/dev/null
for uid in $(seq 1001 1024); do
  panel=${ids[$(((uid - 1001) / 3))]}
  call rights_add "{\"uid\": $uid, \"device_id\": [$panel, $gate]}"
  call keys_add "{\"uid\": $uid, \"key\": \"04:A1:$(printf '%02d:%02d' $((uid / 100 % 100)) $((uid % 100)))\", \"comment\": \"брелок\"}"
done

say "first full reconcile (sync/ with wait)"
call sync '{"wait": true}'
echo

cat <<MSG

yardsync is running (pid $(cat "$RUN/yardsync.pid")), with 8 emulated panels. Try:

  curl -s -XPOST $API/devices_list/ | python3 -m json.tool
  curl -s -XPOST $API/rights_list/ -d '{"uid": 1001}'
  curl -s -XPOST $API/keys_list/ -d '{"uid": 1001}'
  curl -s -XPOST $API/uids/ -d '{"phone": "+7 (910) 555-00-00"}'
  curl -s -XPOST $API/cams/ -d '{"uid": 1007}'
  curl -s -XPOST $API/billing_list/ -d '{"phone": "89105550000"}'
  curl -s -XPOST $API/sync/ -d '{"uid": 1001, "wait": true}'
  curl -s http://127.0.0.1:8080/metrics | grep ^yardsync_

  $BIN --config $CONFIG reconcile --dry-run        # the plan, per panel; changes nothing
  $BIN --config $CONFIG billing list 89105550000   # billingList from the CLI
  $BIN --config $CONFIG check                      # store, billing and every query

A contract stops paying: set cams_paid: false for uid 1001 in demo/billing.yaml, then
  curl -s -XPOST $API/sync/ -d '{"uid": 1001, "wait": true}'
and its key leaves panel 127.0.1.1 and the gate's panel 127.0.3.3.

Stop everything with: make demo-stop
MSG
