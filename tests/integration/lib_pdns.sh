# shellcheck shell=bash
# PowerDNS Authoritative for the dns-lua integration tests: its HTTP API
# stands in for a commercial DNS provider, and it answers for example.test
# authoritatively, so Pebble (through AH_DNS_PORT) and acmehook's
# propagation checks both see what the Lua provider wrote.
#
# Source after lib.sh and ah_setup, then call ah_start_pdns. Exports:
#   AH_PDNS_PORT      DNS port (UDP+TCP on 127.0.0.1); also set as AH_DNS_PORT
#                     so ah_start_pebble resolves through PowerDNS
#   AH_PDNS_API       http://127.0.0.1:PORT (the webserver/API)
#   AH_PDNS_API_KEY   random API key
#   AH_PDNS_ZONE      example.test
#   AH_PDNS_DIR       its config dir (pdns.conf, pdns.sqlite3)

AH_PDNS_ZONE=example.test

ah_start_pdns() {
  local d="$AH_T/pdns" schema=/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
  command -v pdns_server >/dev/null 2>&1 || ah_die "missing pdns_server (apt-get install pdns-server pdns-backend-sqlite3)"
  command -v sqlite3 >/dev/null 2>&1 || ah_die "missing sqlite3"
  [ -r "$schema" ] || ah_die "missing $schema (apt-get install pdns-backend-sqlite3)"
  mkdir -p "$d"
  ah_port AH_PDNS_PORT
  ah_port AH_PDNS_WEB_PORT
  AH_PDNS_DIR=$d
  AH_PDNS_API="http://127.0.0.1:$AH_PDNS_WEB_PORT"
  AH_PDNS_API_KEY=$(openssl rand -hex 16)
  sqlite3 "$d/pdns.sqlite3" <"$schema" || ah_die "cannot create the PowerDNS database"
  cat >"$d/pdns.conf" <<EOF
launch=gsqlite3
gsqlite3-database=$d/pdns.sqlite3
local-address=127.0.0.1
local-port=$AH_PDNS_PORT
api=yes
api-key=$AH_PDNS_API_KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$AH_PDNS_WEB_PORT
webserver-allow-from=127.0.0.0/8
socket-dir=$d
daemon=no
guardian=no
disable-syslog=yes
log-timestamp=no
loglevel=4
setuid=
setgid=
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
zone-cache-refresh-interval=0
consistent-backends=yes
default-soa-content=ns1.$AH_PDNS_ZONE. hostmaster.@ 0 10800 3600 604800 60
EOF
  chmod 600 "$d/pdns.conf"
  ah_spawn pdns "$AH_LOGS/pdns.log" pdns_server --config-dir="$d"
  AH_PDNS_PID=$AH_LAST_PID
  ah_wait_for pdns-api "$AH_PDNS_PID" 30 ah__pdns_api_ready ||
    ah_die "PowerDNS's API did not answer on $AH_PDNS_API"
  ah_pdns_create_zone "$AH_PDNS_ZONE" || ah_die "cannot create zone $AH_PDNS_ZONE in PowerDNS"
  ah_wait_for pdns "$AH_PDNS_PID" 20 ah__pdns_dns_ready ||
    ah_die "PowerDNS does not answer DNS for $AH_PDNS_ZONE on port $AH_PDNS_PORT"
  AH_DNS_PORT=$AH_PDNS_PORT
  export AH_PDNS_PORT AH_PDNS_API AH_PDNS_API_KEY AH_PDNS_ZONE AH_PDNS_DIR AH_DNS_PORT
}

ah__pdns_api_ready() {
  curl -sf --max-time 2 -H "X-API-Key: $AH_PDNS_API_KEY" \
    "$AH_PDNS_API/api/v1/servers/localhost" >/dev/null
}

ah__pdns_dns_ready() {
  [ "$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$AH_PDNS_PORT" "probe.$AH_PDNS_ZONE" A)" = 127.0.0.1 ]
}

# ah_pdns_api METHOD PATH [JSON]: call the API; prints the body, returns
# non-zero unless the status is 2xx. AH_PDNS_STATUS holds the status.
ah_pdns_api() {
  local method=$1 path=$2 body=${3:-} out="$AH_T/pdns-api.out"
  local args=(-s --max-time 10 -o "$out" -w '%{http_code}' -X "$method"
    -H "X-API-Key: $AH_PDNS_API_KEY")
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
  AH_PDNS_STATUS=$(curl "${args[@]}" "$AH_PDNS_API$path") || AH_PDNS_STATUS=000
  cat "$out" 2>/dev/null
  case $AH_PDNS_STATUS in 2??) return 0 ;; *) return 1 ;; esac
}

# ah_pdns_create_zone ZONE: a native zone with an NS, glue, A records at the
# apex, www and a wildcard, all pointing at 127.0.0.1.
ah_pdns_create_zone() {
  local z=$1
  ah_pdns_api POST /api/v1/servers/localhost/zones "$(cat <<EOF
{"name": "$z.", "kind": "Native", "nameservers": ["ns1.$z."],
 "rrsets": [
  {"name": "ns1.$z.", "type": "A", "ttl": 60, "changetype": "REPLACE",
   "records": [{"content": "127.0.0.1", "disabled": false}]},
  {"name": "$z.", "type": "A", "ttl": 60, "changetype": "REPLACE",
   "records": [{"content": "127.0.0.1", "disabled": false}]},
  {"name": "www.$z.", "type": "A", "ttl": 60, "changetype": "REPLACE",
   "records": [{"content": "127.0.0.1", "disabled": false}]},
  {"name": "*.$z.", "type": "A", "ttl": 60, "changetype": "REPLACE",
   "records": [{"content": "127.0.0.1", "disabled": false}]}
 ]}
EOF
)" >"$AH_LOGS/pdns-create-zone.log"
}

# ah_pdns_txt NAME: the TXT rrset's records at NAME as PowerDNS's API
# stores them (quoted), one a line; empty when there is none.
ah_pdns_txt() {
  local name=${1%.}.
  ah_pdns_api GET "/api/v1/servers/localhost/zones/$AH_PDNS_ZONE." |
    python3 -c '
import json, sys
name = sys.argv[1]
try:
    z = json.load(sys.stdin)
except ValueError:
    sys.exit(2)
for rr in z.get("rrsets", []):
    if rr["name"] == name and rr["type"] == "TXT":
        for r in rr["records"]:
            print(r["content"])
' "$name"
}

# ah_pdns_no_challenges: no _acme-challenge TXT rrset anywhere in the zone
# (by the API) and none served (by dig).
ah_pdns_no_challenges() {
  local left
  left=$(ah_pdns_api GET "/api/v1/servers/localhost/zones/$AH_PDNS_ZONE." |
    python3 -c '
import json, sys
z = json.load(sys.stdin)
for rr in z.get("rrsets", []):
    if rr["name"].startswith("_acme-challenge") and rr["type"] == "TXT":
        print(rr["name"], [r["content"] for r in rr["records"]])
') || return 1
  if [ -n "$left" ]; then
    ah_log "TXT records left in PowerDNS: $left"
    return 1
  fi
  left=$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$AH_PDNS_PORT" "_acme-challenge.$AH_PDNS_ZONE" TXT)
  if [ -n "$left" ]; then
    ah_log "TXT records still served: $left"
    return 1
  fi
  return 0
}

# ah_pdns_cred FILE [API_KEY]: a dns-lua credentials file for the PowerDNS
# provider, mode 0600.
ah_pdns_cred() {
  local f=$1 key=${2:-$AH_PDNS_API_KEY}
  (umask 077 && cat >"$f" <<EOF
# PowerDNS API for examples/lua/providers/powerdns.lua
api_url = $AH_PDNS_API
api_key = $key
server_id = localhost
EOF
)
  chmod 600 "$f"
}
