#!/usr/bin/env bash
# danekit publish --via pdns-api against the lab's PowerDNS (testzones/pdns:
# pdns.test., delegated from test. with a DS, signed by pdnsutil), and
# --via exec, with contrib/publish-nsupdate.sh against the Knot primary
# (testzones/primary: dyn.test.). Expected values come from the openssl
# command line, kdig, unbound-host, curl and jq, never from danekit.
set -uo pipefail
: "${DANEKIT:?run through meson test}" "${DK_SRCDIR:?run through meson test}"
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

flock /tmp/danekit-renew-tests.lock sh -c \
    "bash '$DK_SRCDIR/testzones/lab' up && bash '$DK_SRCDIR/testzones/primary' up" \
    >/dev/null 2>&1 || { echo "FAIL: lab up failed" >&2; exit 1; }
set -a
eval "$(bash "$DK_SRCDIR/testzones/lab" env)"
eval "$(bash "$DK_SRCDIR/testzones/primary" env)"
eval "$(bash "$DK_SRCDIR/testzones/pdns" env)"
set +a
T="$(mktemp -d /tmp/dk-publish-XXXXXX)"
trap 'rm -rf "$T"' EXIT
KEY="$(cat "$DK_PDNS_API_KEY")"
BADKEY="$(cat "$DK_PDNS_BADKEY")"
ZURL="$DK_PDNS_API_URL/api/v1/servers/localhost/zones/$DK_PDNS_ZONE"

# spki_sha256 PEM: the 3 1 1 data of a certificate or key, by openssl
spki_sha256() {
    if grep -q 'BEGIN CERTIFICATE' "$1"; then
        openssl x509 -in "$1" -pubkey -noout
    else
        openssl pkey -in "$1" -pubout
    fi | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | awk '{print $1}'
}
lc() { tr 'A-F' 'a-f'; }
# TLSA data at NAME as pdns serves it (kdig, straight from the server)
served() {
    kdig +short +norec @"$DK_PDNS_ADDR" -p "$DK_PDNS_PORT" "$1" TLSA |
        awk '{ d = ""; for (i = 4; i <= NF; i++) d = d $i; print $1, $2, $3, tolower(d) }' | sort
}
# the records of the TLSA RRset at NAME through the API (curl + jq),
# "content disabled" a line
api_rrset() {
    curl -sf -H "X-API-Key: $KEY" "$ZURL" |
        jq -r --arg n "$1." '.rrsets[] | select(.name == $n and .type == "TLSA") | .records[] | "\(.content) \(.disabled)"' |
        sort
}
# danekit publish --via pdns-api ARGS...
pub() {
    "$DANEKIT" --unbound-conf "$DK_LAB_CONF" publish --via pdns-api \
        --api-url "$DK_PDNS_API_URL" --api-key-file "$DK_PDNS_API_KEY" "$@"
}
# run CMD...: status in $st, stdout in $out, stderr in $err
run() {
    "$@" >"$T/out" 2>"$T/err"
    st=$?
    out="$(cat "$T/out")"
    err="$(cat "$T/err")"
}
no_key_in() {
    if grep -qF -e "$KEY" -e "$BADKEY" <<<"$1"; then
        fail "$2: the API key was printed"
    fi
}

n="p$$-$RANDOM"
H="mail.$n.pdns.test"
O="_25._tcp.$H"
LEAF="$DK_LAB_PKI/leaf.pem"
want="3 1 1 $(spki_sha256 "$LEAF")"

# 1. add through the API: pdns serves it, and it validates as secure
run pub --host "$H" --add "$LEAF" --ttl 60
[[ $st -eq 0 ]] || fail "add: exit $st: $err"
[[ "$(served "$O")" == "$want" ]] || fail "add: pdns serves '$(served "$O")', want '$want'"
ub="$(unbound-host -C "$DK_LAB_CONF" -v -t TLSA "$O" 2>&1)"
grep -q "(secure)" <<<"$ub" || fail "add: unbound-host does not say secure: $ub"
grep -qi "${want##* }" <<<"$(tr -d ' ' <<<"$ub")" || fail "add: unbound-host does not see the record: $ub"
run "$DANEKIT" --unbound-conf "$DK_LAB_CONF" lookup "$O" TLSA
[[ $st -eq 0 ]] || fail "lookup after add: exit $st: $err"
grep -q "^; dnssec: secure" <<<"$out" || fail "lookup after add: not secure: $out"
grep -qF "IN TLSA $want" <<<"$out" || fail "lookup after add: no '$want': $out"
no_key_in "$out$err" "add"
ok "add through the PowerDNS API, secure"

# 2. the RRset's other records are kept (one added by curl, one disabled)
other="3 1 1 $(openssl rand -hex 32)"
disabled="3 1 1 $(openssl rand -hex 32)"
curl -sf -X PATCH -H "X-API-Key: $KEY" -H 'Content-Type: application/json' "$ZURL" \
    --data "{\"rrsets\":[{\"name\":\"$O.\",\"type\":\"TLSA\",\"ttl\":60,\"changetype\":\"REPLACE\",\"records\":[{\"content\":\"$want\",\"disabled\":false},{\"content\":\"$other\",\"disabled\":false},{\"content\":\"$disabled\",\"disabled\":true}]}]}" ||
    fail "curl PATCH (setting up the RRset) failed"
second="3 1 1 $(openssl rand -hex 32)"
run pub --host "$H" --add "$second"
[[ $st -eq 0 ]] || fail "add second: exit $st: $err"
exp="$(printf '%s false\n%s false\n%s true\n%s false\n' "$want" "$other" "$disabled" "$second" | sort)"
[[ "$(api_rrset "$O")" == "$exp" ]] || fail "add second: the API has '$(api_rrset "$O")', want '$exp'"
run pub --host "$H" --remove "$second" -v
[[ $st -eq 0 ]] || fail "remove second: exit $st: $err"
grep -qF "removed $O. IN TLSA $second" <<<"$out" || fail "remove second: $out"
exp="$(printf '%s false\n%s false\n%s true\n' "$want" "$other" "$disabled" | sort)"
[[ "$(api_rrset "$O")" == "$exp" ]] || fail "remove second: the API has '$(api_rrset "$O")', want '$exp'"
[[ "$(served "$O")" == "$(printf '%s\n%s\n' "$want" "$other" | sort)" ]] ||
    fail "remove second: pdns serves '$(served "$O")'"
ok "other records of the RRset kept (a disabled one too)"

# nothing to change: nothing is written (the serial stays)
serial() { kdig +short @"$DK_PDNS_ADDR" -p "$DK_PDNS_PORT" "$DK_PDNS_ZONE" SOA | awk '{print $3}'; }
s1="$(serial)"
run pub --host "$H" --add "$LEAF"
[[ $st -eq 0 ]] || fail "no change: exit $st: $err"
grep -q "nothing to change" <<<"$out" || fail "no change: $out"
[[ "$(serial)" == "$s1" ]] || fail "no change: the serial moved from $s1 to $(serial)"
ok "nothing to change, nothing written"

# 3. wrong API key: exit 1, one line, nothing on stdout, key not shown
run "$DANEKIT" --unbound-conf "$DK_LAB_CONF" publish --via pdns-api --api-url "$DK_PDNS_API_URL" \
    --api-key-file "$DK_PDNS_BADKEY" --host "$H" --add "3 1 1 $(openssl rand -hex 32)"
[[ $st -eq 1 ]] || fail "bad key: exit $st (want 1): $err"
[[ -z "$out" ]] || fail "bad key: stdout: $out"
[[ "$(wc -l <"$T/err")" -eq 1 ]] || fail "bad key: not one line: $err"
grep -q "^danekit: publish: .*refused the key.*401" <<<"$err" || fail "bad key: $err"
no_key_in "$out$err" "bad key"
ok "wrong API key: exit 1 ($err)"

# 4. unreachable API: exit 75 (a port where nothing listens)
dead="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.53.0.4", 0)); print(s.getsockname()[1])')"
run "$DANEKIT" --unbound-conf "$DK_LAB_CONF" publish --via pdns-api --api-url "http://127.53.0.4:$dead" \
    --api-key-file "$DK_PDNS_API_KEY" --host "$H" --add "3 1 1 $(openssl rand -hex 32)"
[[ $st -eq 75 ]] || fail "unreachable: exit $st (want 75): $err"
[[ -z "$out" ]] || fail "unreachable: stdout: $out"
grep -q "^danekit: publish: .*unreachable" <<<"$err" || fail "unreachable: $err"
ok "unreachable API: exit 75"

# 5. the key file and the options
run pub --host "$H" --add "$LEAF" --api-key-file "$T/none"
[[ $st -eq 66 && -z "$out" ]] || fail "missing key file: exit $st: $err"
run pub --host "$H" --add "$LEAF" --api-key-file "$T"
[[ $st -eq 66 && -z "$out" ]] || fail "key file is a folder: exit $st: $err"
grep -q "not a regular file" <<<"$err" || fail "key file is a folder: $err"
: >"$T/empty.key"
run pub --host "$H" --add "$LEAF" --api-key-file "$T/empty.key"
[[ $st -eq 65 && -z "$out" ]] || fail "empty key file: exit $st: $err"
if [[ $(id -u) -ne 0 ]]; then
    echo x >"$T/unreadable.key" && chmod 000 "$T/unreadable.key"
    run pub --host "$H" --add "$LEAF" --api-key-file "$T/unreadable.key"
    [[ $st -eq 66 ]] || fail "unreadable key file: exit $st: $err"
fi
run "$DANEKIT" --unbound-conf "$DK_LAB_CONF" publish --via pdns-api --api-url "$DK_PDNS_API_URL" --host "$H" --add "$LEAF"
[[ $st -eq 64 && -z "$out" ]] || fail "no key file: exit $st: $err"
run pub --host "$H" --add "$LEAF" --server 127.0.0.1
[[ $st -eq 64 ]] || fail "--server with pdns-api: exit $st: $err"
run "$DANEKIT" publish --via carrier-pigeon --host "$H" --add "$LEAF"
[[ $st -eq 64 && "$(wc -l <"$T/err")" -eq 1 ]] || fail "--via unknown: exit $st: $err"
run "$DANEKIT" publish --exec true --host "$H" --add "$LEAF" --tsig-key "$DK_PRIMARY_KEY"
[[ $st -eq 64 ]] || fail "--exec without --via exec: exit $st: $err"
run pub --host "$H" --add "$LEAF" --api-url "ftp://127.53.0.4/"
[[ $st -eq 64 ]] || fail "ftp URL: exit $st: $err"
ok "key file and option errors: 66, 65, 64"

# --dry-run prints the PATCH, writes nothing, never the key
new="3 1 1 $(openssl rand -hex 32)"
run pub --host "$H" --add "$new" --dry-run
[[ $st -eq 0 ]] || fail "dry-run: exit $st: $err"
grep -q "^PATCH $ZURL\$" <<<"$out" || fail "dry-run: no PATCH line: $out"
body="$(sed -n '/^{/p' <<<"$out")"
[[ "$(jq -r '.rrsets[0].changetype' <<<"$body")" == REPLACE ]] || fail "dry-run: not REPLACE: $body"
jq -e --arg c "$new" '[.rrsets[0].records[].content] | index($c)' <<<"$body" >/dev/null || fail "dry-run: no $new: $body"
no_key_in "$out$err" "dry-run"
grep -qF "$new" <<<"$(served "$O")" && fail "dry-run wrote"
ok "dry-run"

# --json: the documents follow doc/schema/publish.json (python3-jsonschema)
run pub --json --host "$H" --add "$new" --dry-run
[[ $st -eq 0 ]] || fail "json pdns-api: exit $st: $err"
echo "$out" >"$T/pdns.json"
[[ "$(jq -r '.via + " " + (.exit | tostring)' "$T/pdns.json")" == "pdns-api 0" ]] || fail "json pdns-api: $out"
run "$DANEKIT" --json --unbound-conf "$DK_PRIMARY_CONF" publish --via exec --exec true \
    --server "$DK_PRIMARY_SERVER" --host "mail.j$$.dyn.test" --add "$LEAF" --dry-run
[[ $st -eq 0 ]] || fail "json exec: exit $st: $err"
echo "$out" >"$T/exec.json"
[[ "$(jq -r '.request | fromjson | .add[0].text' "$T/exec.json")" == "$want" ]] || fail "json exec: $out"
no_key_in "$(cat "$T/pdns.json")" "json"
python3 "$DK_SRCDIR/tests/schema/validate.py" "$DK_SRCDIR/doc/schema" "$T/pdns.json" "$T/exec.json" ||
    fail "json: not valid per doc/schema/publish.json"
ok "--json documents valid per doc/schema"

# 6. remove every record: the RRset goes (DELETE), as kdig sees
curl -sf -X PATCH -H "X-API-Key: $KEY" -H 'Content-Type: application/json' "$ZURL" \
    --data "{\"rrsets\":[{\"name\":\"$O.\",\"type\":\"TLSA\",\"ttl\":60,\"changetype\":\"REPLACE\",\"records\":[{\"content\":\"$want\",\"disabled\":false}]}]}" ||
    fail "curl PATCH failed"
run pub --host "$H" --remove "$LEAF"
[[ $st -eq 0 ]] || fail "remove last: exit $st: $err"
[[ -z "$(served "$O")" ]] || fail "remove last: pdns still serves '$(served "$O")'"
[[ -z "$(api_rrset "$O")" ]] || fail "remove last: the API still has '$(api_rrset "$O")'"
run "$DANEKIT" --unbound-conf "$DK_LAB_CONF" lookup "$O" TLSA
grep -q "^; dnssec: secure" <<<"$out" || fail "lookup after remove: not a secure denial: $out $err"
grep -q "IN TLSA" <<<"$out" && fail "lookup after remove: a record is left: $out"
ok "remove the last record: the RRset is deleted, secure denial"

# 7. --via exec: the JSON the command gets (checked with jq and json.tool)
E="mail.e$$-$RANDOM.dyn.test"
EO="_25._tcp.$E"
exe() {
    "$DANEKIT" --unbound-conf "$DK_PRIMARY_CONF" publish --via exec --server "$DK_PRIMARY_SERVER" "$@"
}
run exe --exec "cat >'$T/in.json'" --host "$E" --add "$LEAF" --ttl 120
[[ $st -eq 0 ]] || fail "exec: exit $st: $err"
python3 -m json.tool "$T/in.json" >/dev/null || fail "exec: not JSON: $(cat "$T/in.json")"
j() { jq -r "$1" "$T/in.json"; }
[[ "$(j .zone)" == dyn.test. ]] || fail "exec: zone $(j .zone)"
[[ "$(j .owner)" == "$EO." ]] || fail "exec: owner $(j .owner)"
[[ "$(j .ttl)" == 120 ]] || fail "exec: ttl $(j .ttl)"
[[ "$(j '.add | length')" == 1 && "$(j '.add[0].text')" == "$want" ]] || fail "exec: add $(j .add)"
[[ "$(j '.add[0].usage') $(j '.add[0].selector') $(j '.add[0].mtype') $(j '.add[0].data')" == "$want" ]] ||
    fail "exec: add fields $(j .add)"
[[ "$(j '.remove | length')" == 0 && "$(j '.before | length')" == 0 ]] || fail "exec: remove/before $(cat "$T/in.json")"
[[ "$(j .server)@$(j .port)" == "$DK_PRIMARY_SERVER" ]] || fail "exec: server $(j .server) $(j .port)"
ok "exec: the JSON on stdin"

run exe --exec "echo went wrong >&2; exit 3" --host "$E" --add "$LEAF"
[[ $st -eq 1 && -z "$out" ]] || fail "exec exit 3: exit $st: $err"
grep -q "exited 3: went wrong" <<<"$err" || fail "exec exit 3: $err"
run exe --exec "exit 75" --host "$E" --add "$LEAF"
[[ $st -eq 75 ]] || fail "exec exit 75: exit $st: $err"
run exe --exec "sleep 30" --timeout 1 --host "$E" --add "$LEAF"
[[ $st -eq 75 ]] || fail "exec time-out: exit $st: $err"
grep -q "killed" <<<"$err" || fail "exec time-out: $err"
run exe --exec "touch '$T/ran'" --host "$E" --remove "$LEAF"
[[ $st -eq 0 && ! -e "$T/ran" ]] || fail "exec with nothing to change ran the command (exit $st)"
# the record data never reaches a command line: the command gets it on stdin
run exe --exec "printf '%s\n' \"\$0\" \"\$@\" >'$T/args'; cat >/dev/null" --host "$E" --add "$LEAF"
grep -qi "${want##* }" "$T/args" && fail "exec: the record is on the command line"
ok "exec: exit statuses 3 -> 1, 75 -> 75, time-out -> 75; nothing to change: not run"

# 8. contrib/publish-nsupdate.sh to the Knot primary (nsupdate + TSIG)
NS="$DK_SRCDIR/contrib/publish-nsupdate.sh -k $DK_PRIMARY_KEY"
run exe --exec "$NS" --host "$E" --add "$LEAF" --ttl 60
[[ $st -eq 0 ]] || fail "publish-nsupdate add: exit $st: $err"
got="$(kdig +short +norec @"$DK_PRIMARY_ADDR" -p "$DK_PRIMARY_PORT" "$EO" TLSA | awk '{ d = ""; for (i = 4; i <= NF; i++) d = d $i; print $1, $2, $3, tolower(d) }')"
[[ "$got" == "$want" ]] || fail "publish-nsupdate add: the primary serves '$got'"
ub="$(unbound-host -C "$DK_PRIMARY_CONF" -v -t TLSA "$EO" 2>&1)"
grep -q "(secure)" <<<"$ub" || fail "publish-nsupdate add: not secure: $ub"
run exe --exec "$DK_SRCDIR/contrib/publish-nsupdate.sh -k $DK_PRIMARY_BADKEY" --host "$E" --add "3 1 1 $(openssl rand -hex 32)"
[[ $st -eq 1 ]] || fail "publish-nsupdate bad key: exit $st: $err"
grep -q "BADSIG\|NOTAUTH" <<<"$err" || fail "publish-nsupdate bad key: $err"
# the prerequisite: the script fails with 75 when the RRset changed
run exe --exec "$NS" --host "$E" --add "3 1 1 $(openssl rand -hex 32)" --dry-run
jq '.before = []' <<<"$out" | $NS >"$T/ns.out" 2>&1
[[ $? -eq 75 ]] || fail "publish-nsupdate with a stale RRset: not 75: $(cat "$T/ns.out")"
run exe --exec "$NS" --host "$E" --remove "$LEAF"
[[ $st -eq 0 ]] || fail "publish-nsupdate remove: exit $st: $err"
[[ -z "$(kdig +short +norec @"$DK_PRIMARY_ADDR" -p "$DK_PRIMARY_PORT" "$EO" TLSA)" ]] ||
    fail "publish-nsupdate remove: still served"
ok "contrib/publish-nsupdate.sh: add, remove, bad key -> 1, stale RRset -> 75"

# 9. the hook's config with publish-via = pdns-api: the renewal's record
# is published through the API, then the pair is deployed
HH="mail.h$$-$RANDOM.pdns.test"
cd "$T" || exit 1
"$DANEKIT" --unbound-conf "$DK_LAB_CONF" rollover --prepare-next \
    --key-out k.pem --csr-out c.csr --host "$HH" >/dev/null 2>&1 || fail "prepare-next"
openssl x509 -req -in c.csr -CA "$DK_LAB_PKI/int.pem" -CAkey "$DK_LAB_PKI/int.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -copy_extensions copy -out leaf.pem 2>/dev/null
mkdir -p live deploy etc
cat leaf.pem "$DK_LAB_PKI/int.pem" >live/fullchain.pem
cp k.pem live/privkey.pem
cat >etc/svc.conf <<CONF
tlsa-name = _25._tcp.$HH
deploy-combined = $T/deploy/chain.pem
reload = touch $T/reloaded
state-dir = $T/state
publish-via = pdns-api
api-url = $DK_PDNS_API_URL
api-key-file = $DK_PDNS_API_KEY
ttl = 1
auth-port = $DK_PDNS_PORT
unbound-conf = $DK_LAB_CONF
CONF
hwant="3 1 1 $(spki_sha256 k.pem)"
run env RENEWED_LINEAGE="$T/live" "$DANEKIT" hook certbot --config etc/svc.conf
[[ $st -eq 0 ]] || fail "hook: exit $st: $out $err"
grep -qE "^(staged|deployed): " <<<"$out" || fail "hook: $out"
grep -qF "$hwant" <<<"$(served "_25._tcp.$HH")" || fail "hook: pdns serves '$(served "_25._tcp.$HH")', want '$hwant'"
no_key_in "$out$err" "hook"
deployed=
for _ in $(seq 1 40); do
    if grep -q "^deployed: " <<<"$out"; then deployed=1; break; fi
    sleep 0.5
    run "$DANEKIT" hook resume --config etc/svc.conf
done
[[ -n "$deployed" && -e reloaded ]] || fail "hook: never deployed: $out $err"
cmp -s <(openssl x509 -in deploy/chain.pem -noout -fingerprint -sha256) \
    <(openssl x509 -in leaf.pem -noout -fingerprint -sha256) || fail "hook: not the renewed certificate"
# a publisher's settings are checked
sed 's/^api-key-file = .*$//' etc/svc.conf >etc/nokey.conf
run "$DANEKIT" hook resume --config etc/nokey.conf
[[ $st -ne 0 ]] && grep -q "needs api-url and api-key-file" <<<"$err" || fail "hook without api-key-file: exit $st: $err"
sed 's/^publish-via = .*$/publish-via = exec/' etc/svc.conf >etc/stray.conf
run "$DANEKIT" hook resume --config etc/stray.conf
[[ $st -ne 0 ]] && grep -q "is not a setting of publish-via = exec" <<<"$err" || fail "hook with stray api-url: exit $st: $err"
ok "hook config publish-via = pdns-api: published through the API, deployed"

# leave the lab's zones as they were
pub --tlsa-name "_25._tcp.$HH" --remove k.pem >/dev/null 2>&1 || true

if [[ $fails -ne 0 ]]; then
    echo "publish: $fails failure(s)" >&2
    exit 1
fi
echo "publish: passed"
