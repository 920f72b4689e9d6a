#!/usr/bin/env bash
# Renewal with acme.sh (3.1.4, ../shared/vendor/acme.sh) against pebble, as
# README's recipe: --reloadcmd 'danekit hook acme.sh --config F' (saved in
# DOMAIN.conf), --always-force-new-domain-key (acme.sh keeps the next key
# ready as DOMAIN.key.next: the hook publishes its record at every
# deployment), and the unattended `acme.sh --cron`. Never --key-file or
# --fullchain-file: on a CSR certificate they empty the key file.
. "$(dirname "$0")/lib.sh"

ACMESH="${DK_ACMESH:-$DK_SRCDIR/../shared/vendor/acme.sh/acme.sh}"
[[ -f "$ACMESH" ]] || fail "no acme.sh at $ACMESH (set DK_ACMESH)"
acme_setup acmesh 4
write_hook_conf
mta_start
watch_start

A="$W/acme.sh"
mkdir -p "$A/home" "$A/config" "$A/certs" "$A/webroot"
cp "$ACMESH" "$A/home/acme.sh"
chmod 755 "$A/home/acme.sh"
as() {
    "$A/home/acme.sh" --home "$A/home" --config-home "$A/config" \
        --cert-home "$A/certs" --log "$A/acme.log" "$@" </dev/null
}
CERTS="$A/certs/${HOST}_ecc"

log "first certificate"
as --issue --server "$DK_ACME_DIR" --ca-bundle "$DK_ACME_CA" -d "$HOST" \
    --webroot "$A/webroot" --keylength ec-256 --always-force-new-domain-key \
    --reloadcmd "$DANEKIT hook acme.sh --config $CONF" >"$W/issue.log" 2>&1 ||
    fail "acme.sh --issue: $(cat "$W/issue.log")"
grep -q "staged: staged " "$W/issue.log" || fail "not staged: $(cat "$W/issue.log")"
K2="$(spki_key "$CERTS/$HOST.key.next")"
grep -q "published _25._tcp.*$K2" "$W/issue.log" ||
    fail "the next key's record was not published: $(cat "$W/issue.log")"
resume_until "deployed:" 60 >/dev/null
K1="$(spki_key "$CERTS/$HOST.key")"
cp "$CERTS/fullchain.cer" "$W/first.pem"
wait_presented "$K1" 10

log "renewal: acme.sh --cron --force (the next key, published ahead)"
sleep 1
n="$(reloads)"
as --cron --force >"$W/renew.log" 2>&1 || fail "acme.sh --cron: $(cat "$W/renew.log")"
[[ "$(spki_key "$CERTS/$HOST.key")" == "$K2" ]] || fail "acme.sh did not use the next key"
grep -q "deployed: deployed " "$W/renew.log" || fail "not deployed at once: $(cat "$W/renew.log")"
[[ "$(reloads)" -eq $((n + 1)) ]] || fail "not reloaded once"
K3="$(spki_key "$CERTS/$HOST.key.next")"
grep -q "published _25._tcp.*$K3" "$W/renew.log" || fail "the new next key was not published ahead"
wait_presented "$K2" 10
resume_until "removed _25._tcp" 60 >/dev/null
rollover_done "$W/first.pem" "$CERTS/fullchain.cer"

watch_stop
watch_check "$K1" "$K2"
log "acme.sh: passed"
