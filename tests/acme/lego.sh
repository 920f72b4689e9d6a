#!/usr/bin/env bash
# Renewal with lego (Debian 12: 4.9.1) against pebble, as README's recipe.
# lego 4 has `run --run-hook` and `renew --renew-hook` (no --deploy-hook),
# runs the hook without a shell, sets LEGO_CERT_PATH (leaf + chain) and
# LEGO_CERT_KEY_PATH but never LEGO_ISSUER_CERT_PATH, and has replaced its
# files when the hook runs.
#  1. a renewal with a new key (lego's default): staged, deployed by
#     `danekit hook resume` once its record is aged, old record retired;
#  2. a planned key change: `danekit rollover --prepare-next` made the key
#     (next-key in the hook's config, so its record was published ahead);
#     it replaces lego's key file and `lego renew --reuse-key` certifies
#     it: deployed by the hook at once.
. "$(dirname "$0")/lib.sh"

acme_setup lego 2
mkdir -p "$W/webroot"
NEXT="$W/next.key"
write_hook_conf "next-key = $NEXT"
mta_start
watch_start

export LEGO_CA_CERTIFICATES="$DK_ACME_CA"
HOOK="$DANEKIT hook lego --config $CONF"
lg() {
    (cd "$W" && lego --path "$W/lego" --server "$DK_ACME_DIR" --accept-tos \
        --email hostmaster@example.test --key-type ec256 \
        --http --http.webroot "$W/webroot" -d "$HOST" "$@" </dev/null)
}
CRT="$W/lego/certificates/$HOST.crt"
KEY="$W/lego/certificates/$HOST.key"

log "first certificate"
lg run --run-hook "$HOOK" >"$W/issue.log" 2>&1 || fail "lego run: $(cat "$W/issue.log")"
grep -q "staged: staged " "$W/issue.log" || fail "not staged: $(cat "$W/issue.log")"
resume_until "deployed:" 60 >/dev/null
K1="$(spki_key "$KEY")"
cp "$CRT" "$W/first.pem"
wait_presented "$K1" 10

log "renewal: lego renew (new key)"
lg renew --days 99999 --no-random-sleep --renew-hook "$HOOK" >"$W/renew.log" 2>&1 ||
    fail "lego renew: $(cat "$W/renew.log")"
K2="$(spki_key "$KEY")"
[[ "$K2" != "$K1" ]] || fail "lego kept the key"
grep -q "staged: staged " "$W/renew.log" || fail "not staged: $(cat "$W/renew.log")"
[[ "$(presented)" == "$K1" ]] || fail "the new key went live at once"
resume_until "deployed:" 90 >/dev/null
wait_presented "$K2" 10
resume_until "removed _25._tcp" 60 >/dev/null
rollover_done "$W/first.pem" "$CRT"
cp "$CRT" "$W/second.pem"

log "planned key change: prepared key, published ahead, lego renew --reuse-key"
"$DANEKIT" --unbound-conf "$DK_PRIMARY_CONF" rollover --prepare-next \
    --key-out "$NEXT" --csr-out "$W/next.csr" --host "$HOST" >/dev/null || fail "prepare-next"
K3="$(spki_key "$NEXT")"
# the next timer run publishes the prepared key's record
resume_until "published _25._tcp" 30 >/dev/null
bash "$DK_SRCDIR/testzones/primary" sync-secondary >/dev/null 2>&1
on_both "$K3" || fail "the prepared key's record is not published"
# the timer starts its clock once every server has it
resume_until "next key $NEXT at _25._tcp.$HOST.: waiting" 30 >/dev/null
resume_until "next key $NEXT at _25._tcp.$HOST.: ready" 30 >/dev/null
n="$(reloads)"
install -m 600 "$NEXT" "$KEY"
lg renew --days 99999 --no-random-sleep --reuse-key --renew-hook "$HOOK" >"$W/renew2.log" 2>&1 ||
    fail "lego renew --reuse-key: $(cat "$W/renew2.log")"
[[ "$(spki_cert "$CRT")" == "$K3" ]] || fail "lego did not certify the prepared key"
grep -q "deployed: deployed " "$W/renew2.log" || fail "not deployed at once: $(cat "$W/renew2.log")"
[[ "$(reloads)" -eq $((n + 1)) ]] || fail "not reloaded once"
wait_presented "$K3" 10
resume_until "removed _25._tcp" 60 >/dev/null
rollover_done "$W/second.pem" "$CRT"

watch_stop
watch_check "$K1" "$K2" "$K3"
log "lego: passed"
