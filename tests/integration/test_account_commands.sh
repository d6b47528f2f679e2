#!/usr/bin/env bash
# certbot's account commands against Pebble: register (with -m or
# --register-unsafely-without-email), show_account reading the account
# from the CA, update_account -m changing the contact there, a key
# rollover (update_account --new-key) after which the CA refuses the old
# key and issues with the new one, a rollover cut short by a crash after
# the CA changed the key, --account among several accounts, and
# unregister, after which the CA refuses the account.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
ah_start_all

S=(--server "$AH_DIR_URL")
acct_dir() { dirname "$(find "$AH_CONFIG/accounts" -maxdepth 4 -name regr.json | head -n 1)"; }
acct_url() { sed -n 's/.*"uri":[[:space:]]*"\([^"]*\)".*/\1/p' "$1/regr.json"; }

# Pebble's own view of an account: newAccount with onlyReturnExisting,
# signed by KEY, answers with the account's URL in Location, or
# accountDoesNotExist. Written here, not with acmehook, so the check does
# not trust the code under test.
pebble_lookup() {
  python3 "$AH_T/lookup.py" "$AH_DIR_URL" "$AH_CA_BUNDLE" "$1" 2>>"$AH_T/lookup.err"
}
cat >"$AH_T/lookup.py" <<'EOF'
import base64, json, ssl, subprocess, sys, urllib.request
d, bundle, keyf = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=bundle)
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
dire = json.load(urllib.request.urlopen(d, context=ctx))
pub = subprocess.run(["openssl", "pkey", "-in", keyf, "-pubout", "-outform", "DER"], capture_output=True).stdout
point = pub[-65:]
jwk = {"crv": "P-256", "kty": "EC", "x": b64(point[1:33]), "y": b64(point[33:65])}
# DER ECDSA signature to raw r||s
def ints(b):
    i = 2 if b[1] < 0x80 else 3
    out = []
    for _ in range(2):
        l = b[i + 1]; v = b[i + 2:i + 2 + l]; out.append(int.from_bytes(v, "big")); i += 2 + l
    return out
# Pebble rejects some nonces on purpose (badNonce): ask again, as clients do.
for attempt in range(10):
    nonce = urllib.request.urlopen(urllib.request.Request(dire["newNonce"], method="HEAD"), context=ctx).headers["Replay-Nonce"]
    prot = b64(json.dumps({"alg": "ES256", "jwk": jwk, "nonce": nonce, "url": dire["newAccount"]}).encode())
    pay = b64(json.dumps({"onlyReturnExisting": True}).encode())
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", keyf], input=(prot + "." + pay).encode(), capture_output=True).stdout
    r, s = ints(der)
    sig = b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    body = json.dumps({"protected": prot, "payload": pay, "signature": sig}).encode()
    req = urllib.request.Request(dire["newAccount"], data=body, headers={"Content-Type": "application/jose+json"})
    try:
        print(urllib.request.urlopen(req, context=ctx).headers["Location"])
        break
    except urllib.error.HTTPError as e:
        t = json.load(e).get("type", "?")
        if not t.endswith(":badNonce"):
            print(t)
            break
EOF

# --- usage errors, before anything is stored ---
ah_run register -n --agree-tos "${S[@]}"
ah_expect_fail 2 'register-unsafely-without-email' "register without -m or the unsafe flag is a usage error"
ah_run show_account "${S[@]}"
ah_expect_fail 2 'no account.*register' "show_account with no account says to register"
ah_run update_account "${S[@]}"
ah_expect_fail 2 'update_account needs -m' "update_account without -m or --new-key is a usage error"
check "nothing stored by the usage errors" test -z "$(ah_account_files)"

# --- register, then show_account from the server ---
ah_run register -n --agree-tos -m first@example.test "${S[@]}"
ah_expect_ok "register -m"
dir=$(acct_dir)
url=$(acct_url "$dir")
check "the account key is 0600" test "$(ah_mode "$dir/private_key.pem")" = 600
check "Pebble knows the account by its key ($url)" \
  test "$(pebble_lookup "$dir/private_key.pem")" = "$url"
ah_run register -n --agree-tos -m again@example.test "${S[@]}"
ah_expect_fail 1 'stored already' "a second register for the same server is refused"
ah_run show_account "${S[@]}"
ah_expect_ok "show_account"
check "show_account prints the account URL" grep -qF "Account URL: $url" "$AH_OUT"
check "show_account prints the contact from the server" grep -q "Email contact: first@example.test" "$AH_OUT"
check "show_account prints the status" grep -q "Status: valid" "$AH_OUT"
id=$(sed -n 's/.*Account ID: //p' "$AH_OUT")
check "the account id is certbot's (md5 of the public key PEM: $id)" \
  test "$id" = "$(openssl pkey -in "$dir/private_key.pem" -pubout | md5sum | cut -d' ' -f1)"

# --- update_account -m: the server has the new contact ---
ah_run update_account -m second@example.test,third@example.test "${S[@]}"
ah_expect_ok "update_account -m"
ah_run show_account "${S[@]}"
check "the server now has both new contacts" \
  grep -q "Email contacts: second@example.test, third@example.test" "$AH_OUT"
ah_run update_account --register-unsafely-without-email "${S[@]}"
ah_expect_ok "update_account removing the contacts"
ah_run show_account "${S[@]}"
check "the server has no contact left" grep -q "Email contact: none" "$AH_OUT"

# --- key rollover ---
cp "$dir/private_key.pem" "$AH_T/old-key.pem"
ah_run update_account --new-key "${S[@]}"
ah_expect_ok "update_account --new-key"
check "the key file changed" bash -c "! cmp -s '$AH_T/old-key.pem' '$dir/private_key.pem'"
check "the new key file is 0600" test "$(ah_mode "$dir/private_key.pem")" = 600
check "no pending key is left" test ! -e "$dir/private_key.pem.next"
check "Pebble refuses the old key" \
  test "$(pebble_lookup "$AH_T/old-key.pem")" = "urn:ietf:params:acme:error:accountDoesNotExist"
check "Pebble knows the account by the new key" \
  test "$(pebble_lookup "$dir/private_key.pem")" = "$url"
ah_run show_account "${S[@]}"
check "the account keeps its id after the rollover" grep -q "Account ID: $id" "$AH_OUT"
ah_run certonly --webroot -w "$AH_WEBROOT" -d rolled.example.test -n "${S[@]}"
ah_expect_ok "certonly with the rolled-over key"
ah_verify_cert rolled.example.test
check "the same account was used (no new one registered)" test "$(acct_url "$dir")" = "$url"

# A crash after the CA took the new key and before it replaced the file:
# both keys stay on disk, and the next run keeps the one the CA knows.
cp "$dir/private_key.pem" "$AH_T/before-crash.pem"
ACMEHOOK_TESTPOINT=account-key-changed:kill ah_run update_account --new-key "${S[@]}"
check "the crashed rollover died at the test point" test "$AH_RC" -ne 0
check "the crash left the pending key" test -s "$dir/private_key.pem.next"
check "the pending key is 0600" test "$(ah_mode "$dir/private_key.pem.next")" = 600
cp "$dir/private_key.pem.next" "$AH_T/pending.pem"
check "Pebble already holds the pending key" \
  test "$(pebble_lookup "$AH_T/pending.pem")" = "$url"
ah_run show_account "${S[@]}"
ah_expect_ok "the next run settles the interrupted rollover"
check "the pending key became the account key" cmp -s "$AH_T/pending.pem" "$dir/private_key.pem"
check "no pending key is left after settling" test ! -e "$dir/private_key.pem.next"
ah_run certonly --webroot -w "$AH_WEBROOT" -d after-crash.example.test -n "${S[@]}"
ah_expect_ok "certonly after the settled rollover"
ah_verify_cert after-crash.example.test

# A run that starts while a rollover is under way waits for the account's
# lock and then uses the new key.
tp_start pid_roll ROLL ACMEHOOK_TESTPOINT=account-key-changed:pause -- update_account --new-key "${S[@]}"
tp_until 30 tp_reached account-key-changed || { tp_show ROLL; ah_die "the rollover did not reach account-key-changed"; }
tp_start pid_cert CERT -- certonly --webroot -w "$AH_WEBROOT" -d during.example.test -n "${S[@]}"
waits() { grep -q "Waiting for another acmehook run" "$AH_RUNS/CERT.err" 2>/dev/null; }
if tp_until 20 waits; then pass "a certonly during the rollover waits for the account"; else fail "the certonly does not wait"; tp_show CERT; fi
tp_release account-key-changed
tp_wait "$pid_roll"
rc_roll=$TP_RC
tp_wait "$pid_cert"
rc_cert=$TP_RC
check "the paused rollover finished" test "$rc_roll" -eq 0
if [ "$rc_cert" -eq 0 ]; then pass "the waiting certonly succeeded with the new key"; else fail "the waiting certonly failed (exit $rc_cert)"; tp_show CERT; fi
ah_verify_cert during.example.test
check "still the same account" test "$(acct_url "$dir")" = "$url"

# A pending key the CA never saw (a crash before the request) is dropped.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/private_key.pem.next" 2>/dev/null
chmod 600 "$dir/private_key.pem.next"
cp "$dir/private_key.pem" "$AH_T/kept.pem"
ah_run show_account "${S[@]}"
ah_expect_ok "a pending key unknown to the CA is dropped"
check "the account key stayed" cmp -s "$AH_T/kept.pem" "$dir/private_key.pem"
check "the unknown pending key is gone" test ! -e "$dir/private_key.pem.next"

# --- several accounts: --account picks one, none is an error listing them ---
saved=("$AH_CONFIG" "$AH_WORK" "$AH_LOGDIR")
ah_use_config second
ah_run register -n --agree-tos --register-unsafely-without-email "${S[@]}"
ah_expect_ok "register --register-unsafely-without-email (a second account)"
dir2=$(acct_dir)
url2=$(acct_url "$dir2")
ah_run show_account "${S[@]}"
check "the unsafe registration has no contact" grep -q "Email contact: none" "$AH_OUT"
id2=$(sed -n 's/.*Account ID: //p' "$AH_OUT")
AH_CONFIG=${saved[0]} AH_WORK=${saved[1]} AH_LOGDIR=${saved[2]}
mkdir -p "$dir/$id2"
cp -p "$dir2/private_key.pem" "$dir2/regr.json" "$dir/$id2/"
ah_run show_account "${S[@]}"
ah_expect_fail 2 "2 accounts.*$id.*$id2|2 accounts.*$id2.*$id" \
  "two accounts and no --account: a usage error listing both ids"
ah_run show_account --account "$id2" "${S[@]}"
ah_expect_ok "show_account --account picks the second"
check "--account $id2 shows the second account" grep -qF "Account URL: $url2" "$AH_OUT"
ah_run show_account --account 0123456789abcdef0123456789abcdef "${S[@]}"
ah_expect_fail 2 "0123456789abcdef0123456789abcdef.*no such account" "an unknown --account is named"
ah_run certonly --webroot -w "$AH_WEBROOT" -d two.example.test -n "${S[@]}"
ah_expect_fail 2 "--account" "certonly with two accounts and no --account says to choose"
ah_run certonly --webroot -w "$AH_WEBROOT" -d two.example.test -n --account "$id2" "${S[@]}"
ah_expect_ok "certonly --account ID"
ah_verify_cert two.example.test

# --- unregister: the CA refuses the account afterwards ---
cp -a "$dir/$id2" "$AH_T/saved-second"
ah_run unregister --account "$id2" "${S[@]}"
ah_expect_fail 2 "-n" "unregister without a terminal and without -n asks for -n"
check "the account is still there" test -s "$dir/$id2/private_key.pem"
ah_run unregister -n --account "$id2" "${S[@]}"
ah_expect_ok "unregister -n --account"
check "the account's files are removed" test ! -e "$dir/$id2"
check "the other account is kept" test -s "$dir/private_key.pem"
check "Pebble no longer looks the account up" \
  bash -c "[ \"\$(python3 '$AH_T/lookup.py' '$AH_DIR_URL' '$AH_CA_BUNDLE' '$AH_T/saved-second/private_key.pem')\" != '$url2' ]"
# The saved copy put back: the CA refuses an order from it.
cp -a "$AH_T/saved-second" "$dir/$id2"
ah_run certonly --webroot -w "$AH_WEBROOT" -d refused.example.test -n --account "$id2" "${S[@]}"
ah_expect_fail 1 'unauthorized|deactivated' "the deactivated account's new order is refused"
check "no certificate for the deactivated account" test ! -e "$AH_CONFIG/live/refused.example.test"
ah_finish
