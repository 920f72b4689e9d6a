#!/usr/bin/env bash
# Renewal with dehydrated (Debian 12: 0.7.0) against pebble, as README's
# recipe: HOOK is a script running `danekit hook dehydrated --config F
# "$@"`; the unattended renewal is `dehydrated --cron`. With
# PRIVATE_KEY_ROLLOVER=yes, dehydrated keeps the next key ready
# (certs/NAME/privkey.roll.pem): the hook publishes its record at every
# deployment, so the next renewal is deployed by the hook at once.
. "$(dirname "$0")/lib.sh"

acme_setup dehydrated 3
write_hook_conf
mta_start
watch_start

D="$W/dehydrated"
mkdir -p "$D/wellknown" "$W/tmp"
cat >"$D/hook" <<HOOK
#!/bin/sh
exec $DANEKIT hook dehydrated --config $CONF "\$@"
HOOK
chmod 755 "$D/hook"
cat >"$D/config" <<CONFIG
BASEDIR=$D
CA=$DK_ACME_DIR
WELLKNOWN=$D/wellknown
HOOK=$D/hook
CHALLENGETYPE=http-01
KEY_ALGO=prime256v1
PRIVATE_KEY_ROLLOVER=yes
export CURL_CA_BUNDLE=$DK_ACME_CA
CONFIG
echo "$HOST" >"$D/domains.txt"
dh() { TMPDIR="$W/tmp" dehydrated -f "$D/config" "$@" </dev/null; }
CERTS="$D/certs/$HOST"

log "first certificate"
dh --register --accept-terms >"$W/register.log" 2>&1 || fail "register: $(cat "$W/register.log")"
dh --cron >"$W/issue.log" 2>&1 || fail "dehydrated --cron: $(cat "$W/issue.log")"
grep -q "staged: staged " "$W/issue.log" || fail "not staged: $(cat "$W/issue.log")"
# the roll key's record was published with the first one
grep -q "published _25._tcp.*$(spki_key "$CERTS/privkey.roll.pem")" "$W/issue.log" ||
    fail "the next key's record was not published: $(cat "$W/issue.log")"
resume_until "deployed:" 60 >/dev/null
K1="$(spki_key "$CERTS/privkey.pem")"
K2="$(spki_key "$CERTS/privkey.roll.pem")"
cp "$CERTS/fullchain.pem" "$W/first.pem"
wait_presented "$K1" 10

log "renewal: dehydrated --cron --force (the roll key, published ahead)"
n="$(reloads)"
dh --cron --force >"$W/renew.log" 2>&1 || fail "dehydrated --cron: $(cat "$W/renew.log")"
[[ "$(spki_key "$CERTS/privkey.pem")" == "$K2" ]] || fail "dehydrated did not use the roll key"
grep -q "deployed: deployed " "$W/renew.log" || fail "not deployed at once: $(cat "$W/renew.log")"
[[ "$(reloads)" -eq $((n + 1)) ]] || fail "not reloaded once"
K3="$(spki_key "$CERTS/privkey.roll.pem")"
grep -q "published _25._tcp.*$K3" "$W/renew.log" || fail "the new roll key was not published ahead"
wait_presented "$K2" 10
resume_until "removed _25._tcp" 60 >/dev/null
rollover_done "$W/first.pem" "$CERTS/fullchain.pem"
bash "$DK_SRCDIR/testzones/primary" sync-secondary >/dev/null 2>&1
on_both "$K1" && fail "the old record is still published"
on_both "$K3" || fail "the roll key's record is not published"

log "dehydrated --cron (not due): only other verbs, nothing happens"
n="$(reloads)"
dh --cron >"$W/cron.log" 2>&1 || fail "dehydrated --cron: $(cat "$W/cron.log")"
grep -q "Skipping renew" "$W/cron.log" || fail "renewed: $(cat "$W/cron.log")"
[[ "$(reloads)" -eq "$n" ]] || fail "reloaded"

watch_stop
watch_check "$K1" "$K2"
log "dehydrated: passed"
