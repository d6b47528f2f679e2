# shellcheck shell=bash
# DNS servers for the dns-01 tests. Source after lib.sh and ah_setup.
#
# The layout mirrors a real deployment, on loopback:
#
#   authoritative servers, all on one port (AH_NS_PORT), one address each:
#     127.0.0.1  BIND, primary for the zones given to ah_bind_zone; takes
#                RFC 2136 updates signed with each zone's TSIG key
#     127.0.0.2  (test_dns_rfc2136) Knot, a stale secondary of lag.test that
#                never receives updates
#     127.0.0.3  (test_dns_knot) Knot, primary for the zones given to
#                ah_knot_zone, updates signed with its own keys
#   resolvers:   BIND on 127.0.0.1:AH_DNS_PORT for the CA (lib.sh's
#                ah_start_pebble gives it to Pebble) and BIND on
#                127.0.0.1:AH_CLIENT_DNS_PORT for acmehook (--dns-resolver);
#                both forward each test zone to its primary.
#
# Every zone has NS records naming its authoritative servers at their
# addresses above, so acmehook's authoritative propagation check finds them
# through the resolver and asks them at --dns-nameserver-port AH_NS_PORT.
# BIND only binds addresses configured on an interface (127.0.0.1), Knot binds
# what it is told: hence BIND on .1 and Knot on the others.
#
# BIND sets SO_REUSEPORT, so a port clash with another process would go
# unnoticed: ports come from lib.sh's reservations only.
#
# Use:
#   ah_dns_init
#   ah_tsig_key key-example
#   ah_bind_zone example.test key-example
#   ah_zone_add example.test '_acme-challenge.cname CNAME _acme-challenge.cname.delegated.test.'
#   ah_start_bind; ah_start_resolver      (the CA's and the client's)
#   ah_start_nginx "$AH_T/webroot"; ah_start_pebble
#   ah_credentials FILE key-example 127.0.0.1
#   ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials FILE "${AH_DNS_FLAGS[@]}" ...

AH_ZONES=()               # every test zone, in creation order
declare -A AH_ZONE_ADDR   # zone -> address of its primary
declare -A AH_ZONE_KEY    # zone -> TSIG key allowed to update it
declare -A AH_ZONE_KIND   # zone -> bind | knot

# ah_dns_init: directories, the shared authoritative port and the
# resolvers' ports. Sets AH_DNS_DIR, AH_NS_PORT, AH_DNS_PORT (the CA's
# resolver), AH_CLIENT_DNS_PORT (acmehook's) and AH_DNS_FLAGS (the acmehook
# options that point it at these servers).
ah_dns_init() {
  local tool
  for tool in named named-checkconf tsig-keygen nsupdate dig knotd kdig; do
    command -v "$tool" >/dev/null 2>&1 || ah_die "missing tool: $tool (bind9, bind9-utils, bind9-dnsutils, knot, knot-dnsutils)"
  done
  AH_DNS_DIR="$AH_T/dns"
  mkdir -p "$AH_DNS_DIR/keys" "$AH_DNS_DIR/zones"
  chmod 700 "$AH_DNS_DIR/keys"
  ah_port AH_NS_PORT
  ah_port AH_DNS_PORT
  ah_port AH_CLIENT_DNS_PORT
  export AH_NS_PORT AH_DNS_PORT AH_CLIENT_DNS_PORT AH_DNS_DIR
  # shellcheck disable=SC2034 # used by the tests that source this file
  AH_DNS_FLAGS=(--dns-resolver "127.0.0.1:$AH_CLIENT_DNS_PORT" --dns-nameserver-port "$AH_NS_PORT")
}

# ah_tsig_key NAME [ALGORITHM]: a new TSIG key (hmac-sha256 by default).
ah_tsig_key() {
  local name=$1 alg=${2:-hmac-sha256}
  tsig-keygen -a "$alg" "$name" >"$AH_DNS_DIR/keys/$name.key" ||
    ah_die "tsig-keygen -a $alg $name failed"
}

# ah_tsig_secret NAME: the key's base64 secret.
ah_tsig_secret() {
  sed -n 's/^[[:space:]]*secret "\(.*\)";/\1/p' "$AH_DNS_DIR/keys/$1.key"
}

# ah_tsig_alg NAME: the key's algorithm (hmac-sha256, ...).
ah_tsig_alg() {
  sed -n 's/^[[:space:]]*algorithm \([a-z0-9-]*\);/\1/p' "$AH_DNS_DIR/keys/$1.key"
}

# ah__zone_file ZONE ADDR: the zone's starting content. The wildcard A
# record sends http-01 names to nginx on 127.0.0.1, but only names whose
# parent does not exist: once _acme-challenge.mix.ZONE exists, mix.ZONE is
# a node and *.ZONE no longer covers www.mix.ZONE. Give such names their own
# A record with ah_zone_add. The SOA's negative TTL is 1 so no cache
# remembers "no TXT here" for long.
ah__zone_file() {
  local zone=$1 addr=$2
  cat >"$AH_DNS_DIR/zones/$zone.zone" <<EOF
\$TTL 60
@     SOA  ns1.$zone. hostmaster.$zone. 1 60 60 600 1
@     NS   ns1.$zone.
ns1   A    $addr
@     A    127.0.0.1
*     A    127.0.0.1
EOF
}

# ah_bind_zone ZONE KEY: ZONE on the BIND primary (127.0.0.1), updatable
# with KEY. Call before ah_start_bind.
ah_bind_zone() {
  local zone=$1 key=$2
  AH_ZONES+=("$zone")
  AH_ZONE_ADDR[$zone]=127.0.0.1
  AH_ZONE_KEY[$zone]=$key
  AH_ZONE_KIND[$zone]=bind
  ah__zone_file "$zone" 127.0.0.1
}

# ah_knot_zone ZONE KEY: ZONE on the Knot primary (127.0.0.3), updatable
# with KEY. Call before ah_start_knot.
ah_knot_zone() {
  local zone=$1 key=$2
  AH_ZONES+=("$zone")
  AH_ZONE_ADDR[$zone]=127.0.0.3
  AH_ZONE_KEY[$zone]=$key
  AH_ZONE_KIND[$zone]=knot
  ah__zone_file "$zone" 127.0.0.3
}

# ah_zone_add ZONE RECORD: append a record (zone-file syntax, names
# relative to ZONE) before the zone's server starts.
ah_zone_add() {
  printf '%s\n' "$2" >>"$AH_DNS_DIR/zones/$1.zone"
}

# ah__named_options DIR LISTEN: the options every named here shares.
ah__named_options() {
  local d=$1
  cat <<EOF
  directory "$d";
  pid-file "$d/named.pid";
  session-keyfile "$d/session.key";
  managed-keys-directory "$d";
  listen-on port $2 { 127.0.0.1; };
  listen-on-v6 { none; };
  dnssec-validation no;
  notify no;
  querylog yes;
  allow-transfer { 127.0.0.0/8; };
EOF
}

# ah_start_bind: the BIND primary for every ah_bind_zone zone, on
# 127.0.0.1:AH_NS_PORT, authoritative only (recursion no: asked about a zone
# it does not serve, it says REFUSED, as a real primary does). Its log, with
# every query and update, is AH_BIND_LOG. With AH_BIND_STATS_PORT set, its
# statistics channel listens there (see ah_bind_opcode).
ah_start_bind() {
  local d="$AH_DNS_DIR/bind" zone k
  mkdir -p "$d"
  {
    echo "options {"
    ah__named_options "$d" "$AH_NS_PORT"
    echo "  recursion no;"
    echo "};"
    echo "controls { };"
    if [ -n "${AH_BIND_STATS_PORT:-}" ]; then
      echo "statistics-channels { inet 127.0.0.1 port $AH_BIND_STATS_PORT allow { 127.0.0.1; }; };"
    fi
    for k in "$AH_DNS_DIR"/keys/*.key; do
      [ -e "$k" ] && echo "include \"$k\";"
    done
    for zone in "${AH_ZONES[@]}"; do
      [ "${AH_ZONE_KIND[$zone]}" = bind ] || continue
      cp "$AH_DNS_DIR/zones/$zone.zone" "$d/$zone.zone"
      echo "zone \"$zone\" { type primary; file \"$d/$zone.zone\";" \
        "journal \"$d/$zone.zone.jnl\"; allow-update { key ${AH_ZONE_KEY[$zone]}; }; };"
    done
  } >"$d/named.conf"
  named-checkconf -z "$d/named.conf" >"$AH_LOGS/bind-checkconf.log" 2>&1 ||
    ah_die "BIND configuration refused: $(tr '\n' ' ' <"$AH_LOGS/bind-checkconf.log")"
  AH_BIND_LOG="$AH_LOGS/bind.log"
  ah_spawn bind "$AH_BIND_LOG" named -g -c "$d/named.conf"
  # shellcheck disable=SC2034 # for tests that stop or signal it
  AH_BIND_PID=$AH_LAST_PID
  ah_wait_for bind "$AH_LAST_PID" 30 ah__soa_ready 127.0.0.1 "$AH_NS_PORT" bind ||
    ah_die "BIND did not start on 127.0.0.1:$AH_NS_PORT"
}

# ah__soa_ready ADDR PORT KIND: every zone of KIND answers its SOA at ADDR.
ah__soa_ready() {
  local addr=$1 port=$2 kind=$3 zone
  for zone in "${AH_ZONES[@]}"; do
    [ "${AH_ZONE_KIND[$zone]}" = "$kind" ] || continue
    dig +norec +time=1 +tries=1 @"$addr" -p "$port" "$zone" SOA | grep -q 'status: NOERROR' ||
      return 1
  done
}

# ah__knot_conf DIR ADDR ZONES...: a Knot configuration serving ZONES
# (from AH_DNS_DIR/zones) on ADDR@AH_NS_PORT. Zones with a key in
# AH_ZONE_KEY take updates signed with it; the others are read-only.
ah__knot_conf() {
  local d=$1 addr=$2 zone k name
  shift 2
  {
    cat <<EOF
server:
  rundir: "$d"
  pidfile: "$d/knot.pid"
  listen: $addr@$AH_NS_PORT
control:
  listen: "$d/knot.sock"
log:
  - target: stderr
    any: info
database:
  storage: "$d/db"
EOF
    echo "key:"
    for k in "$AH_DNS_DIR"/keys/*.key; do
      [ -e "$k" ] || continue
      name=$(basename "$k" .key)
      echo "  - id: $name"
      echo "    algorithm: $(ah_tsig_alg "$name")"
      echo "    secret: $(ah_tsig_secret "$name")"
    done
    echo "acl:"
    echo "  - id: transfer"
    echo "    address: 127.0.0.0/8"
    echo "    action: transfer"
    for k in "$AH_DNS_DIR"/keys/*.key; do
      [ -e "$k" ] || continue
      name=$(basename "$k" .key)
      echo "  - id: update-$name"
      echo "    key: $name"
      echo "    action: update"
    done
    echo "zone:"
    for zone in "$@"; do
      cp "$AH_DNS_DIR/zones/$zone.zone" "$d/$zone.zone"
      echo "  - domain: $zone"
      echo "    storage: \"$d\""
      echo "    file: \"$zone.zone\""
      if [ "${AH_ZONE_KIND[$zone]:-}" = knot ]; then
        echo "    acl: [ transfer, update-${AH_ZONE_KEY[$zone]} ]"
      else
        echo "    acl: [ transfer ]"
      fi
    done
  } >"$d/knot.conf"
}

# ah_start_knot: the Knot primary for every ah_knot_zone zone, on
# 127.0.0.3@AH_NS_PORT. Its log is AH_KNOT_LOG.
ah_start_knot() {
  local d="$AH_DNS_DIR/knot" zones=() zone
  mkdir -p "$d/db"
  for zone in "${AH_ZONES[@]}"; do
    [ "${AH_ZONE_KIND[$zone]}" = knot ] && zones+=("$zone")
  done
  [ ${#zones[@]} -gt 0 ] || ah_die "ah_start_knot: no zone was given to ah_knot_zone"
  ah__knot_conf "$d" 127.0.0.3 "${zones[@]}"
  knotc -c "$d/knot.conf" conf-check >"$AH_LOGS/knot-checkconf.log" 2>&1 ||
    ah_die "Knot configuration refused: $(tr '\n' ' ' <"$AH_LOGS/knot-checkconf.log")"
  AH_KNOT_LOG="$AH_LOGS/knot.log"
  ah_spawn knot "$AH_KNOT_LOG" knotd -c "$d/knot.conf"
  # shellcheck disable=SC2034 # for tests that stop or signal it
  AH_KNOT_PID=$AH_LAST_PID
  ah_wait_for knot "$AH_LAST_PID" 30 ah__soa_ready 127.0.0.3 "$AH_NS_PORT" knot ||
    ah_die "Knot did not start on 127.0.0.3:$AH_NS_PORT"
}

# ah_start_stale_secondary ZONE: a second authoritative server for ZONE on
# 127.0.0.2@AH_NS_PORT (Knot, serving the zone's starting content and never
# updated), listed in ZONE's NS set as ns2. Call before ah_start_bind so the
# primary's copy carries the NS record too. Its log is AH_STALE_LOG.
ah_start_stale_secondary() {
  local zone=$1 d="$AH_DNS_DIR/stale"
  mkdir -p "$d/db"
  ah_zone_add "$zone" "@ NS ns2.$zone."
  ah_zone_add "$zone" "ns2 A 127.0.0.2"
  # A read-only copy: a kind other than "knot" keeps the update ACL off.
  # shellcheck disable=SC2030,SC2031 # the change is meant to stay in the subshell
  (
    AH_ZONE_KIND[$zone]=stale
    ah__knot_conf "$d" 127.0.0.2 "$zone"
  )
  AH_STALE_LOG="$AH_LOGS/knot-stale.log"
  ah_spawn knot-stale "$AH_STALE_LOG" knotd -c "$d/knot.conf"
  ah_wait_for knot-stale "$AH_LAST_PID" 30 \
    bash -c "dig +norec +time=1 +tries=1 @127.0.0.2 -p $AH_NS_PORT $zone SOA | grep -q 'status: NOERROR'" ||
    ah_die "the stale secondary (Knot) did not start on 127.0.0.2:$AH_NS_PORT"
}

# ah_start_resolver: two BIND resolvers, as in real life the CA and the
# client do not share one: the CA's (Pebble's) on 127.0.0.1:AH_DNS_PORT and
# the client's (acmehook's --dns-resolver) on 127.0.0.1:AH_CLIENT_DNS_PORT.
# BIND caches a negative answer for about a second whatever the settings,
# so a shared resolver would still say NXDOMAIN to Pebble for the
# _acme-challenge name the client looked up (for CNAMEs) just before the
# record was added. Each test zone is forwarded to its primary; anything
# else goes to the BIND primary, which refuses it (fast failures, no query
# leaves the host). Caching is kept to BIND's minimum.
ah_start_resolver() {
  ah__start_resolver resolver-ca "$AH_DNS_PORT"
  ah__start_resolver resolver-client "$AH_CLIENT_DNS_PORT"
}

ah__start_resolver() {
  local name=$1 port=$2 d="$AH_DNS_DIR/$1" zone
  mkdir -p "$d"
  {
    echo "options {"
    ah__named_options "$d" "$port"
    cat <<EOF
  recursion yes;
  allow-recursion { 127.0.0.0/8; };
  allow-query-cache { 127.0.0.0/8; };
  max-cache-ttl 0;
  max-ncache-ttl 0;
  forward only;
  forwarders { 127.0.0.1 port $AH_NS_PORT; };
};
controls { };
EOF
    for zone in "${AH_ZONES[@]}"; do
      echo "zone \"$zone\" { type forward; forward only;" \
        "forwarders { ${AH_ZONE_ADDR[$zone]} port $AH_NS_PORT; }; };"
    done
  } >"$d/named.conf"
  named-checkconf "$d/named.conf" >"$AH_LOGS/$name-checkconf.log" 2>&1 ||
    ah_die "$name configuration refused: $(tr '\n' ' ' <"$AH_LOGS/$name-checkconf.log")"
  ah_spawn "$name" "$AH_LOGS/$name.log" named -g -c "$d/named.conf"
  ah_wait_for "$name" "$AH_LAST_PID" 30 ah__resolver_ready "$port" ||
    ah_die "the $name (BIND) did not start on 127.0.0.1:$port"
}

ah__resolver_ready() {
  local zone
  for zone in "${AH_ZONES[@]}"; do
    [ "$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" "probe.$zone" A)" = 127.0.0.1 ] ||
      return 1
  done
}

# ah_credentials FILE KEY ADDR [EXTRA-LINE...]: a certbot-dns-rfc2136
# credentials file (mode 600) for server ADDR:AH_NS_PORT and key KEY.
ah_credentials() {
  local file=$1 key=$2 addr=$3 alg
  shift 3
  alg=$(ah_tsig_alg "$key" | tr '[:lower:]' '[:upper:]')
  (
    umask 077
    {
      echo "# Target DNS server"
      echo "dns_rfc2136_server = $addr"
      echo "dns_rfc2136_port = $AH_NS_PORT"
      echo "# TSIG key name"
      echo "dns_rfc2136_name = $key"
      echo "dns_rfc2136_secret = $(ah_tsig_secret "$key")"
      echo "dns_rfc2136_algorithm = $alg"
      local line
      for line in "$@"; do echo "$line"; done
    } >"$file"
  )
  chmod 600 "$file"
}

# ah_zone_of NAME: the test zone NAME belongs to (longest match), or fail.
ah_zone_of() {
  local name=${1%.} zone best=""
  for zone in "${AH_ZONES[@]}"; do
    case $name in
      "$zone" | *".$zone")
        [ ${#zone} -gt ${#best} ] && best=$zone ;;
    esac
  done
  [ -n "$best" ] && echo "$best"
}

# ah_txt NAME [ADDR]: the TXT values at NAME (one a line, unquoted, sorted)
# as the authoritative server at ADDR (default: NAME's zone's primary)
# says on AH_NS_PORT. CNAMEs are not followed.
ah_txt() {
  local name=$1 addr=${2:-} zone
  if [ -z "$addr" ]; then
    zone=$(ah_zone_of "$name") || return 1
    addr=${AH_ZONE_ADDR[$zone]}
  fi
  dig +short +norec +time=2 +tries=2 @"$addr" -p "$AH_NS_PORT" "$name" TXT |
    sed -n 's/^"\(.*\)"$/\1/p' | sort
}

# ah_zone_records ZONE: the zone's records, by AXFR from its primary.
ah_zone_records() {
  local zone=$1
  dig +time=3 +tries=2 @"${AH_ZONE_ADDR[$zone]}" -p "$AH_NS_PORT" "$zone" AXFR
}

# ah_no_acme_txt: no _acme-challenge TXT record is left in any test zone
# (AXFR of each from its primary). Names what is left on stderr.
ah_no_acme_txt() {
  local zone out left=0
  for zone in "${AH_ZONES[@]}"; do
    out=$(ah_zone_records "$zone")
    if ! printf '%s\n' "$out" | grep -q 'SOA'; then
      echo "ah_no_acme_txt: AXFR of $zone from ${AH_ZONE_ADDR[$zone]} failed" >&2
      left=1
      continue
    fi
    if printf '%s\n' "$out" | grep -Ei '^_acme-challenge[^[:space:]]*[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+TXT' >&2; then
      left=1
    fi
  done
  [ $left = 0 ]
}

# ah_check_no_acme_txt DESC: ah_no_acme_txt as a pass/fail check.
ah_check_no_acme_txt() {
  check "${1:-no _acme-challenge TXT left in any zone}" ah_no_acme_txt
}

# ah_nsupdate KEY ADDR ZONE COMMAND...: send one signed update by hand.
ah_nsupdate() {
  local key=$1 addr=$2 zone=$3 c
  shift 3
  {
    echo "server $addr $AH_NS_PORT"
    echo "zone $zone"
    for c in "$@"; do echo "update $c"; done
    echo "send"
  } | nsupdate -t 5 -k "$AH_DNS_DIR/keys/$key.key"
}

# ah_pebble_orders: how many orders Pebble has taken so far.
ah_pebble_orders() {
  grep -c 'Added order' "$AH_PEBBLE_LOG" 2>/dev/null || true
}

# ah_bind_added ZONE NAME: how many TXT additions at NAME in ZONE the BIND
# primary logged (its update log lines).
ah_bind_added() {
  grep -c "updating zone '$1/IN': adding an RR at '$2' TXT" "$AH_BIND_LOG" 2>/dev/null || true
}

# ah_bind_deleted ZONE NAME: how many single-value TXT deletions at NAME in
# ZONE the BIND primary logged (BIND does not log the value deleted).
ah_bind_deleted() {
  grep -c "updating zone '$1/IN': deleting an RR at $2 TXT" "$AH_BIND_LOG" 2>/dev/null || true
}

# ah_bind_rrset_deleted ZONE NAME: how many whole-RRset deletions at NAME
# (an update that removed every TXT value there, not only its own).
ah_bind_rrset_deleted() {
  grep -c "updating zone '$1/IN': deleting rrset at '$2' TXT" "$AH_BIND_LOG" 2>/dev/null || true
}

# ah_renewal_conf NAME: the renewal file of lineage NAME.
ah_renewal_conf() {
  echo "$AH_CONFIG/renewal/$1.conf"
}

# ah_txt_history ZONE NAME: every change to the TXT values at NAME in ZONE
# since its primary started, oldest first, as "add VALUE" / "del VALUE"
# lines, read from the primary's journal (BIND: named-journalprint; Knot:
# kjournalprint). A run is over in a few tens of milliseconds, far too fast
# to watch by polling; the journal keeps the whole sequence.
ah_txt_history() {
  local zone=$1 name=${2%.}.
  # shellcheck disable=SC2031 # only ah_start_stale_secondary's subshell changes it
  case ${AH_ZONE_KIND[$zone]} in
    bind)
      [ -e "$AH_DNS_DIR/bind/$zone.zone.jnl" ] || return 0
      named-journalprint "$AH_DNS_DIR/bind/$zone.zone.jnl" |
        awk -v n="$name" 'tolower($2) == tolower(n) && $5 == "TXT" && ($1 == "add" || $1 == "del") {
          v = $6; gsub(/^"|"$/, "", v); print $1, v }'
      ;;
    knot)
      kjournalprint -c "$AH_DNS_DIR/knot/knot.conf" "$zone" 2>/dev/null |
        awk -v n="$name" '/^;; Removed/ { op = "del"; next } /^;; Added/ { op = "add"; next }
          /^;;/ { next }
          tolower($1) == tolower(n) && $3 == "TXT" { v = $4; gsub(/^"|"$/, "", v); print op, v }'
      ;;
  esac
}

# ah_txt_max_at_once ZONE NAME [IGNORE]: the most TXT values NAME held at
# once according to ah_txt_history, not counting the value IGNORE.
ah_txt_max_at_once() {
  ah_txt_history "$1" "$2" | awk -v ign="${3:-}" '
    $2 == ign { next }
    $1 == "add" { if (!($2 in s)) { s[$2] = 1; n++ } }
    $1 == "del" { if ($2 in s) { delete s[$2]; n-- } }
    { if (n > m) m = n }
    END { print m + 0 }'
}

# ah_txt_changed ZONE NAME add|del [IGNORE]: the values added (or deleted)
# at NAME, sorted, one a line, without IGNORE.
ah_txt_changed() {
  ah_txt_history "$1" "$2" | awk -v op="$3" -v ign="${4:-}" '$1 == op && $2 != ign { print $2 }' |
    sort
}

# ah_bind_opcode OPCODE: how many requests with OPCODE (QUERY, UPDATE, ...)
# the BIND primary has received, from its statistics channel (start it with
# AH_BIND_STATS_PORT set). Every request counts, refused ones too.
ah_bind_opcode() {
  curl -sf --max-time 5 "http://127.0.0.1:$AH_BIND_STATS_PORT/json/v1/server" |
    python3 -c 'import json, sys
print(json.load(sys.stdin).get("opcodes", {}).get(sys.argv[1], 0))' "$1"
}

# ah_knot_updates: how many dynamic updates the Knot primary has applied.
ah_knot_updates() {
  grep -c 'DDNS, finished' "$AH_KNOT_LOG" 2>/dev/null || true
}

# ah_said REGEX: the last run's stdout or stderr matches the extended REGEX
# (case-insensitive). grep reads the files itself: `cat … | grep -q` under
# pipefail fails at random when grep exits early and cat gets SIGPIPE.
ah_said() {
  grep -Eqi -- "$1" "$AH_ERR" "$AH_OUT"
}

# ah_dns_expect_fail CODE REGEX DESC: the last run exited CODE and said
# something matching REGEX (lib.sh's ah_expect_fail, without the pipe).
ah_dns_expect_fail() {
  local code=$1 re=$2 desc=${3:-"exit $1 matching /$2/"}
  if [ "$AH_RC" -eq "$code" ] && { [ -z "$re" ] || ah_said "$re"; }; then
    pass "$desc"
  else
    fail "$desc (exit $AH_RC, want $code; output must match /$re/)"
  fi
}

# ah_start_example_zone: the usual DNS stack of a test: ah_dns_init, a
# TSIG key "key-example", BIND serving example.test updatable with it, and
# the resolver in front of BIND.
ah_start_example_zone() {
  ah_dns_init
  ah_tsig_key key-example
  ah_bind_zone example.test key-example
  ah_start_bind
  ah_start_resolver
}
