#!/usr/bin/env bash
# Renewal with certbot (Debian 12: 2.1) against pebble, as README's recipe:
# `certbot certonly ... --deploy-hook 'danekit hook certbot --config F'`
# (certbot saves it as renew_hook), then the unattended `certbot -q renew`
# of its timer. Every renewal makes a new key by default: the hook stages
# the pair and publishes its record; `danekit hook resume` (the timer)
# deploys it once aged, then retires the old record. A renewal with
# --reuse-key keeps the key: deployed by the hook at once.
. "$(dirname "$0")/lib.sh"

acme_setup certbot 1
write_hook_conf
mta_start
watch_start

export REQUESTS_CA_BUNDLE="$DK_ACME_CA"
cb() {
    certbot --config-dir "$W/certbot" --work-dir "$W/certbot/work" \
        --logs-dir "$W/certbot/logs" --server "$DK_ACME_DIR" \
        --non-interactive "$@" </dev/null
}
LIVE="$W/certbot/live/$HOST"

log "first certificate"
cb certonly --agree-tos --register-unsafely-without-email \
    --cert-name "$HOST" -d "$HOST" \
    --manual --preferred-challenges http --manual-auth-hook /bin/true \
    --deploy-hook "$DANEKIT hook certbot --config $CONF" >"$W/issue.log" 2>&1 ||
    fail "certbot certonly: $(cat "$W/issue.log")"
grep -q "^renew_hook = $DANEKIT hook certbot --config $CONF" "$W/certbot/renewal/$HOST.conf" ||
    fail "certbot did not save the hook"
grep -q "staged: staged " "$W/issue.log" || fail "the first pair was not staged: $(cat "$W/issue.log")"
[[ "$(presented)" == - ]] || fail "a key is presented before any was deployed"
resume_until "deployed:" 60 >/dev/null
K1="$(spki_key "$LIVE/privkey.pem")"
cp "$LIVE/fullchain.pem" "$W/first.pem"
wait_presented "$K1" 10

log "renewal: certbot -q renew (new key)"
cb -q renew --no-random-sleep-on-renew --force-renewal >"$W/renew.log" 2>&1 ||
    fail "certbot renew: $(cat "$W/renew.log")"
K2="$(spki_key "$LIVE/privkey.pem")"
[[ "$K2" != "$K1" ]] || fail "certbot kept the key"
# certbot's own live files hold the new key now; the service must not
[[ -f "$W/state/staged.pem" ]] || fail "the renewal was not staged: $(cat "$W/renew.log")"
[[ "$(presented)" == "$K1" ]] || fail "the new key went live at once"
resume_until "deployed:" 90 >/dev/null
wait_presented "$K2" 10
resume_until "removed _25._tcp" 60 >/dev/null
sleep 1
bash "$DK_SRCDIR/testzones/primary" sync-secondary >/dev/null 2>&1
on_both "$K1" && fail "the old record is still published"
on_both "$K2" || fail "the new record is not published"
rollover_done "$W/first.pem" "$LIVE/fullchain.pem"

log "renewal: certbot -q renew --reuse-key (same key: deployed at once)"
n="$(reloads)"
cp "$LIVE/fullchain.pem" "$W/second.pem"
cb -q renew --no-random-sleep-on-renew --force-renewal --reuse-key >"$W/renew2.log" 2>&1 ||
    fail "certbot renew --reuse-key: $(cat "$W/renew2.log")"
[[ "$(spki_key "$LIVE/privkey.pem")" == "$K2" ]] || fail "--reuse-key changed the key"
cmp -s "$W/second.pem" "$LIVE/fullchain.pem" && fail "no new certificate"
[[ ! -e "$W/state/staged.pem" ]] || fail "a renewal with the same key was staged"
[[ "$(reloads)" -eq $((n + 1)) ]] || fail "not reloaded once"
openssl x509 -in "$LIVE/cert.pem" -noout -fingerprint -sha256 >"$W/a"
openssl x509 -in "$W/deploy/chain.pem" -noout -fingerprint -sha256 >"$W/b"
cmp -s "$W/a" "$W/b" || fail "the renewed certificate is not deployed"

watch_stop
watch_check "$K1" "$K2"
log "certbot: passed"
