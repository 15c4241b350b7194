#!/usr/bin/env bash
# make demo: a whole yardsync installation on this machine, from nothing.
# It leaves yardsync and the emulated panels running in the background and
# prints what to try; `make demo-stop` stops them. Everything it writes is
# under demo/run/ (the tracked demo files are copied, never edited), and the
# only database it drops is one it created itself.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=bin/yardsync
RUN=demo/run
DB=${DEMO_DB:-yardsync_demo}   # DEMO_DB=name make demo: another database name
MARK="created by yardsync make demo"
# The status page's login and the API token, as demo/yardsync.yaml sets them.
UI_USER=demo
UI_PASSWORD=demo-ui-password
TOKEN=demo-token-for-curl
mkdir -p "$RUN"
./scripts/demo-stop.sh >/dev/null 2>&1 || true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "DEMO_DB=$DB: use lower-case letters, digits and _ (a PostgreSQL name that needs no quoting)"

# busy HOST PORT: something accepts connections there.
busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# free_port HOST... : the first port from $FIRST up that no host has taken.
free_port() {
  local port
  for port in $(seq "$FIRST" $((FIRST + 50))); do
    local taken=
    for host in "$@"; do busy "$host" "$port" && taken=1 && break; done
    [ -z "$taken" ] && { echo "$port"; return; }
  done
  die "no free port in $FIRST-$((FIRST + 50)) on $*; stop what listens there or set DEMO_API_PORT/DEMO_PANEL_PORT"
}
# The emulated panels, one line per family: panelsim family, devices.paneltype,
# how many, the first one's address (the others take the next ones), and what
# lists a panel's keys the way yardsync asks (ADDR: the panel's address and port).
# Another family is one more line here.
FAMILIES=() PANEL_HOSTS=() PANEL_TYPES=() PANEL_FAMILIES=() LISTS=()
fleet() { # family paneltype count first-address list-command
  local a b c d i
  IFS=. read -r a b c d <<<"$4"
  FAMILIES+=("$1") LISTS+=("$5")
  for i in $(seq 0 $(($3 - 1))); do
    PANEL_HOSTS+=("$a.$b.$c.$((d + i))") PANEL_TYPES+=("$2") PANEL_FAMILIES+=("$1")
  done
}
fleet beward        1  3 127.0.1.1 "'http://ADDR/cgi-bin/rfid_cgi?action=list'"
fleet beward-mifare 1  2 127.0.2.1 "'http://ADDR/cgi-bin/mifare_cgi?action=list'"
fleet sokol         2  3 127.0.3.1 "http://ADDR/key/store"
fleet qtech         11 1 127.0.4.1 "http://ADDR/api -d '{\"target\": \"rfkey\", \"action\": \"get\", \"data\": {}}'"
fleet rubetek       13 1 127.0.5.1 "http://ADDR/api/v1/rfids"
fleet akuvox        12 1 127.0.6.1 "--digest http://ADDR/api/user/get"
GATE_PANEL=127.0.3.3 # the panel that sees the yard's gate: every contract's key goes there too
API_PORT=${DEMO_API_PORT:-$(FIRST=8080 free_port 127.0.0.1)}
PANEL_PORT=${DEMO_PANEL_PORT:-$(FIRST=18081 free_port "${PANEL_HOSTS[@]}")}
[ -n "$API_PORT" ] && [ -n "$PANEL_PORT" ] || exit 1
busy 127.0.0.1 "$API_PORT" && die "port $API_PORT on 127.0.0.1 is taken by another program: set DEMO_API_PORT to a free one"
API=http://127.0.0.1:$API_PORT/bill/api
CONFIG=$RUN/yardsync.yaml
call() { curl -sS --fail-with-body -X POST -H "Authorization: Bearer $TOKEN" "$API/$1/" -d "${2:-}"; }

say "demo files in $RUN: config (API on port $API_PORT, panels on port $PANEL_PORT) and a copy of the billing"
cp demo/billing.yaml "$RUN/billing.yaml"
sed -e "s|127.0.0.1:8080|127.0.0.1:$API_PORT|" -e "s|port: 18081|port: $PANEL_PORT|" \
    -e "s|path: demo/billing.yaml|path: $RUN/billing.yaml|" -e "s|/yardsync_demo?|/$DB?|" demo/yardsync.yaml >"$CONFIG"

say "demo database $DB (fresh)"
psql_q() { psql -qtA -h 127.0.0.1 -U postgres -d postgres "$@"; }
if [ "$(psql_q -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
  [ "$(psql_q -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'")" = "$MARK" ] ||
    die "database $DB exists and was not made by make demo: left untouched; drop or rename it yourself to run the demo"
  psql_q -c "DROP DATABASE $DB WITH (FORCE)"
fi
psql_q -c "CREATE DATABASE $DB" -c "COMMENT ON DATABASE $DB IS '$MARK'"

say "${#PANEL_HOSTS[@]} emulated panels on port $PANEL_PORT, one fleet per family: ${FAMILIES[*]}"
for family in "${FAMILIES[@]}"; do
  first= count=0
  for i in "${!PANEL_HOSTS[@]}"; do
    if [ "${PANEL_FAMILIES[$i]}" = "$family" ]; then first=${first:-${PANEL_HOSTS[$i]}} count=$((count + 1)); fi
  done
  nohup "$BIN" panelsim --family "$family" --count "$count" --base "$first" --port "$PANEL_PORT" --latency 20ms \
    --login admin --password demo-secret >"$RUN/panelsim-$family.log" 2>&1 &
  echo $! >"$RUN/panelsim-$family.pid"
done

say "yardsync migrate, then yardsync serve (log: $RUN/yardsync.log)"
"$BIN" --config "$CONFIG" migrate
nohup "$BIN" --config "$CONFIG" serve >"$RUN/yardsync.log" 2>&1 &
echo $! >"$RUN/yardsync.pid"
# Ready means our own process logged that it listens on the port, and answers there: a readyz
# from some other program on that port must not pass for the demo's yardsync.
ours() { kill -0 "$(cat "$RUN/yardsync.pid")" 2>/dev/null && grep -q "msg=serving listen=127.0.0.1:$API_PORT" "$RUN/yardsync.log"; }
for _ in $(seq 1 50); do ours && curl -sf "http://127.0.0.1:$API_PORT/readyz" >/dev/null && break; sleep 0.2; done
ours && curl -sf "http://127.0.0.1:$API_PORT/readyz" >/dev/null || { echo "yardsync did not start:"; cat "$RUN/yardsync.log"; exit 1; }

say "devices, a gate and its door, rights and keys, through /bill/api as billing would"
ids=()
for i in "${!PANEL_HOSTS[@]}"; do
  ip=${PANEL_HOSTS[$i]}; type=${PANEL_TYPES[$i]}
  out=$(call devices_add "{\"device_type\": 1, \"is_active\": true, \"title\": \"Подъезд $((i + 1))\",
    \"address\": \"г. Москва, ул. Ленина, д. 5\", \"domophoneid\": $((i + 1)), \"sippassword\": \"None\",
    \"paneltype\": $type, \"panelip\": \"$ip\", \"panellogin\": \"admin\", \"panelpasswd\": \"demo-secret\"}")
  ids+=("$(echo "$out" | sed 's/[^0-9]//g')")
  if [ "$ip" = "$GATE_PANEL" ]; then gate_cam=${ids[$i]}; fi
done
gate=$(call devices_add '{"device_type": 3, "is_active": true, "title": "Ворота двора"}' | sed 's/[^0-9]//g')
call doors_add "{\"device_id\": $gate, \"cam\": $gate_cam, \"entrance\": 0, \"icon\": \"gate\", \"name\": \"Ворота\",
  \"open\": \"http://$GATE_PANEL:$PANEL_PORT/relay/1/open\", \"open_trait\": \"PUT\"}" >/dev/null
# The 24 contracts of the demo billing go round the panels: contract 1001 to the
# first, 1002 to the second, and so on; every one also reaches the gate.
for uid in $(seq 1001 1024); do
  panel=${ids[$(((uid - 1001) % ${#ids[@]}))]}
  call rights_add "{\"uid\": $uid, \"device_id\": [$panel, $gate]}"
  call keys_add "{\"uid\": $uid, \"key\": \"04:A1:$(printf '%02d:%02d' $((uid / 100 % 100)) $((uid % 100)))\", \"comment\": \"брелок\"}"
done

say "first full reconcile (sync/ with wait)"
call sync '{"wait": true}'
echo

# hold INDEX NOTE: the line that lists panel INDEX's keys as yardsync asks for them.
hold() {
  local i=$1 j uids=
  for j in "${!FAMILIES[@]}"; do if [ "${FAMILIES[$j]}" = "${PANEL_FAMILIES[$i]}" ]; then break; fi; done
  for uid in $(seq $((1001 + i)) ${#PANEL_HOSTS[@]} 1024); do uids+=${uids:+, }$uid; done
  printf "  curl -s -u admin:demo-secret %s\n      # %s, device %s: %s\n" \
    "${LISTS[$j]//ADDR/${PANEL_HOSTS[$i]}:$PANEL_PORT}" "${PANEL_FAMILIES[$i]}" "${ids[$i]}" "${2:-contracts $uids}"
}
HOLD=$(for family in "${FAMILIES[@]}"; do # the first panel of each family, then the gate's
  for i in "${!PANEL_HOSTS[@]}"; do
    if [ "${PANEL_FAMILIES[$i]}" = "$family" ]; then hold "$i"; break; fi
  done
done
for i in "${!PANEL_HOSTS[@]}"; do
  if [ "${PANEL_HOSTS[$i]}" = "$GATE_PANEL" ]; then hold "$i" "at the gate: every contract"; fi
done)

AUTH="Authorization: Bearer $TOKEN"
cat <<MSG

yardsync is running (pid $(cat "$RUN/yardsync.pid")) on port $API_PORT, database $DB, with ${#PANEL_HOSTS[@]} emulated panels
on port $PANEL_PORT (${FAMILIES[*]}).

The status page: http://127.0.0.1:$API_PORT/ui/  user $UI_USER, password $UI_PASSWORD

The API (every call with the demo's token):

  curl -s -XPOST -H '$AUTH' $API/devices_list/ | python3 -m json.tool
  curl -s -XPOST -H '$AUTH' $API/rights_list/ -d '{"uid": 1001}'
  curl -s -XPOST -H '$AUTH' $API/keys_list/ -d '{"uid": 1001}'
  curl -s -XPOST -H '$AUTH' $API/uids/ -d '{"phone": "+7 (910) 555-00-00"}'
  curl -s -XPOST -H '$AUTH' $API/cams/ -d '{"uid": 1007}'
  curl -s -XPOST -H '$AUTH' $API/billing_list/ -d '{"phone": "89105550000"}'
  curl -s -XPOST -H '$AUTH' $API/sync/ -d '{"uid": 1001, "wait": true}'
  curl -s -H '$AUTH' http://127.0.0.1:$API_PORT/metrics | grep ^yardsync_

What the panels hold, asked the way yardsync asks them:

$HOLD

  $BIN --config $CONFIG reconcile --dry-run        # the plan, per panel; changes nothing
  $BIN --config $CONFIG billing list 89105550000   # billingList from the CLI
  $BIN --config $CONFIG check                      # store, billing, every query and panel

A contract stops paying: set cams_paid: false for uid 1001 in $RUN/billing.yaml (the demo's copy), then
  curl -s -XPOST -H '$AUTH' $API/sync/ -d '{"uid": 1001, "wait": true}'
and its key leaves panel ${PANEL_HOSTS[0]} and the gate's panel $GATE_PANEL (list them again above).

Stop everything with: make demo-stop

Three commands to try next:

  $BIN --config $CONFIG explain --uid 1001      # why contract 1001 has or lacks access, panel by panel
  $BIN --config $CONFIG log --uid 1001          # every panel write for it
  $BIN --config $CONFIG panels                  # each panel's last contact, errors and key counts
MSG
