#!/usr/bin/env bash
# Deploy steps in Lua: examples/lua/deploy/nginx.lua installs the issued
# certificate where a TLS nginx reads it and reloads nginx; the served
# certificate is the issued one (same serial, verifies against Pebble's
# root); after `renew --force-renewal` nginx serves the new serial from the
# same master process (a reload, not a restart). Also `script test
# --dry-run` of the deploy step and a failing deploy step.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all
ah_require_tool nginx

NAME=deploy.example.test
SCRIPT="$AH_REPO_DIR/examples/lua/deploy/nginx.lua"
D="$AH_T/tls-nginx"
TLS="$D/tls"
mkdir -p "$D/tmp" "$TLS"
ah_port TLS_PORT

# A placeholder certificate so nginx starts before anything is issued.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$TLS/site.key" -out "$TLS/site.crt" -subj "/CN=placeholder" -days 1 \
  >"$AH_LOGS/placeholder-openssl.log" 2>&1 || ah_die "cannot make the placeholder certificate"
chmod 600 "$TLS/site.key"
placeholder_serial=$(ah_serial "$TLS/site.crt")

userline=""
if [ "$(id -u)" -eq 0 ]; then userline="user root root;"; fi
cat >"$D/nginx.conf" <<EOF
$userline
worker_processes 1;
pid $D/nginx.pid;
error_log $AH_LOGS/tls-nginx-error.log info;
events { worker_connections 64; }
http {
  access_log $AH_LOGS/tls-nginx-access.log;
  client_body_temp_path $D/tmp/body;
  proxy_temp_path $D/tmp/proxy;
  fastcgi_temp_path $D/tmp/fastcgi;
  uwsgi_temp_path $D/tmp/uwsgi;
  scgi_temp_path $D/tmp/scgi;
  server {
    listen 127.0.0.1:$TLS_PORT ssl default_server;
    server_name _;
    ssl_certificate $TLS/site.crt;
    ssl_certificate_key $TLS/site.key;
    location / { return 200 "ok\n"; }
  }
}
EOF
# The same arguments go to the deploy step (split on spaces there too).
NGINX_ARGV=(-e "$AH_LOGS/tls-nginx-error.log" -p "$D" -c "$D/nginx.conf")
NGINX_ARGS="${NGINX_ARGV[*]}"
ah_spawn tls-nginx "$AH_LOGS/tls-nginx.log" nginx "${NGINX_ARGV[@]}" -g 'daemon off;'
TLS_NGINX_PID=$AH_LAST_PID

# served_serial: the serial of the certificate nginx presents for NAME.
served_serial() {
  openssl s_client -connect "127.0.0.1:$TLS_PORT" -servername "$NAME" </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}
tls_up() { [ -n "$(served_serial)" ]; }
ah_wait_for tls-nginx "$TLS_NGINX_PID" 20 tls_up || ah_die "TLS nginx did not start on port $TLS_PORT"
check "nginx starts with the placeholder" test "$(served_serial)" = "$placeholder_serial"
master=$(cat "$D/nginx.pid")

CRED="$AH_T/nginx-deploy.ini"
(umask 077 && printf 'cert_path = %s\nkey_path = %s\nnginx_bin = nginx\nnginx_args = %s\n' \
  "$TLS/site.crt" "$TLS/site.key" "$NGINX_ARGS" >"$CRED")
chmod 600 "$CRED"

# wait_serial WANT: nginx serves WANT within 10 s (a reload is asynchronous).
wait_serial() {
  local n=0
  while [ $n -lt 100 ]; do
    [ "$(served_serial)" = "$1" ] && return 0
    sleep 0.1
    n=$((n + 1))
  done
  ah_log "nginx serves $(served_serial), want $1"
  return 1
}

# --- issue with the deploy step ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$NAME" \
  --deploy-script "$SCRIPT" --deploy-script-credentials "$CRED" \
  -n --agree-tos -m admin@example.test --server "$AH_DIR_URL" -v
ah_expect_ok "certonly with --deploy-script nginx.lua"
ah_verify_cert "$NAME"
issued=$(ah_serial "$AH_CONFIG/live/$NAME/cert.pem")
check "nginx serves the issued certificate (serial $issued)" wait_serial "$issued"
root=$(ah_root_file)
check "the served chain verifies against Pebble's root for $NAME" bash -c \
  "openssl s_client -connect 127.0.0.1:$TLS_PORT -servername $NAME -CAfile '$root' \
     -verify_return_error -verify_hostname $NAME </dev/null 2>&1 | grep -q 'Verify return code: 0 (ok)'"
check "the installed key is 0600" test "$(stat -c %a "$TLS/site.key")" = 600
check "the installed certificate is the fullchain" \
  cmp -s "$TLS/site.crt" "$AH_CONFIG/live/$NAME/fullchain.pem"
check "nginx was reloaded, not restarted (master pid $master)" \
  bash -c "[ \"\$(cat '$D/nginx.pid')\" = '$master' ] && kill -0 '$master'"
check "the deploy step logged what it did" grep -rq "dns-lua.*installed $NAME" "$AH_LOGDIR"

# --- renewal reruns the deploy step; nginx picks up the new serial ---
ah_run renew --force-renewal -v
ah_expect_ok "renew --force-renewal"
renewed=$(ah_serial "$AH_CONFIG/live/$NAME/cert.pem")
check "renewal made a new certificate" test "$renewed" != "$issued"
check "nginx serves the renewed certificate (serial $renewed)" wait_serial "$renewed"
check "same nginx master after the renewal (pid $master)" \
  bash -c "[ \"\$(cat '$D/nginx.pid')\" = '$master' ] && kill -0 '$master'"

# --- script test --dry-run: a throwaway certificate through the step ---
ah_run script test "$SCRIPT" --domain "$NAME" --dns-lua-credentials "$CRED" --dry-run
ah_expect_ok "script test --dry-run of the nginx deploy step"
check "it prints the deploy step's time" ah_output_matches '^deploy: ok \([0-9]+ ms\)'
# served_issuer: the issuer of what nginx presents (a reload is asynchronous).
served_issuer() {
  openssl s_client -connect "127.0.0.1:$TLS_PORT" -servername "$NAME" </dev/null 2>/dev/null |
    openssl x509 -noout -issuer 2>/dev/null
}
wait_issuer() {
  local n=0
  while [ $n -lt 100 ]; do
    [ "$(served_issuer)" = "$1" ] && return 0
    sleep 0.1
    n=$((n + 1))
  done
  ah_log "nginx serves a certificate issued by $(served_issuer), want $1"
  return 1
}
check "nginx now serves the throwaway certificate" \
  wait_issuer 'issuer=CN = acmehook script test throwaway CA'
check "the throwaway files are gone" \
  bash -c "! ls -d \"\${TMPDIR:-/tmp}\"/acmehook-script-test.* 2>/dev/null | grep -q ."

# --- a deploy step that fails: exit 1, the message names the step ---
BADCRED="$AH_T/bad-deploy.ini"
(umask 077 && printf 'cert_path = %s\nkey_path = %s\nnginx_bin = %s\n' \
  "$TLS/site.crt" "$TLS/site.key" /nonexistent/nginx >"$BADCRED")
ah_run script test "$SCRIPT" --domain "$NAME" --dns-lua-credentials "$BADCRED" --dry-run
ah_expect_fail 1 'cannot run /nonexistent/nginx' "a deploy step whose program is missing fails (exit 1)"

ah_finish
