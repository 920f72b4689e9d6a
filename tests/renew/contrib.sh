#!/usr/bin/env bash
# contrib/: the timer's command (the ExecStart line of
# contrib/systemd/danekit-resume@.service, and the command of the line in
# contrib/cron/danekit) finishes a staged renewal against the lab, and the
# example hook configs of contrib/hook/ are accepted as they are.
set -euo pipefail
: "${DANEKIT:?run through meson test}" "${DK_SRCDIR:?run through meson test}"
fail() { echo "FAIL: $*" >&2; exit 1; }

flock /tmp/danekit-renew-tests.lock sh -c \
    "bash '$DK_SRCDIR/testzones/lab' up && bash '$DK_SRCDIR/testzones/primary' up" \
    >/dev/null 2>&1 || fail "lab or primary up failed"
eval "$(bash "$DK_SRCDIR/testzones/lab" env)"
eval "$(bash "$DK_SRCDIR/testzones/primary" env)"
T="$(mktemp -d /tmp/dk-contrib-XXXXXX)"
trap 'rm -rf "$T"' EXIT

# 1. the example configs, as shipped (only the state folder elsewhere)
for f in "$DK_SRCDIR"/contrib/hook/*.conf; do
    out="$("$DANEKIT" --unbound-conf "$DK_LAB_CONF" hook resume --config "$f" \
        --state-dir "$T/st-$(basename "$f")" 2>&1)" || fail "$f: $out"
    grep -q "^nothing: nothing staged" <<<"$out" || fail "$f: $out"
done

# 2. a renewal staged by the hook, for the service "svc"
H="mail.contrib-$$.dyn.test"
cd "$T"
"$DANEKIT" --unbound-conf "$DK_PRIMARY_CONF" rollover --prepare-next \
    --key-out k.pem --csr-out c.csr --host "$H" >/dev/null
openssl x509 -req -in c.csr -CA "$DK_LAB_PKI/int.pem" -CAkey "$DK_LAB_PKI/int.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -copy_extensions copy -out leaf.pem 2>/dev/null
mkdir live deploy etc
cat leaf.pem "$DK_LAB_PKI/int.pem" >live/fullchain.pem
cp k.pem live/privkey.pem
cat >etc/svc.conf <<CONF
tlsa-name = _25._tcp.$H
deploy-combined = $T/deploy/chain.pem
reload = touch $T/reloaded
state-dir = $T/state
tsig-key = $DK_PRIMARY_KEY
server = $DK_PRIMARY_SERVER
ttl = 1
auth-port = $DK_PRIMARY_PORT
unbound-conf = $DK_PRIMARY_CONF
CONF
RENEWED_LINEAGE="$T/live" "$DANEKIT" hook certbot --config etc/svc.conf >hook.out ||
    fail "hook: $(cat hook.out)"
grep -q "^staged: " hook.out || fail "not staged: $(cat hook.out)"

# the unit's command, with the paths of this test
unit="$DK_SRCDIR/contrib/systemd/danekit-resume@.service"
cmd="$(sed -n 's/^ExecStart=//p' "$unit")"
[[ -n "$cmd" ]] || fail "no ExecStart in $unit"
cmd="${cmd//\/usr\/bin\/danekit/$DANEKIT}"
cmd="${cmd//\/etc\/danekit/$T/etc}"
cmd="${cmd//%i/svc}"
ok=
for _ in $(seq 1 40); do
    bash "$DK_SRCDIR/testzones/primary" sync-secondary >/dev/null 2>&1
    st=0
    out="$($cmd 2>&1)" || st=$?
    # the unit counts 75 as success too
    grep -q '^SuccessExitStatus=75$' "$unit" || fail "75 is not a success of the unit"
    [[ $st -eq 0 || $st -eq 75 ]] || fail "ExecStart: exit $st: $out"
    if grep -q "^deployed: " <<<"$out"; then ok=1; break; fi
    sleep 0.5
done
[[ -n "$ok" ]] || fail "the unit's command never deployed: $out"
[[ -e reloaded ]] || fail "not reloaded"
cmp -s <(openssl x509 -in deploy/chain.pem -noout -fingerprint -sha256) \
    <(openssl x509 -in leaf.pem -noout -fingerprint -sha256) || fail "not the renewed certificate"

# the cron line's command
line="$(grep -v '^#' "$DK_SRCDIR/contrib/cron/danekit" | grep -m1 'danekit')"
ccmd="$(awk '{ $1=$2=$3=$4=$5=$6=""; print }' <<<"$line" | sed 's/^ *//')"
ccmd="${ccmd/#danekit/$DANEKIT}"
ccmd="${ccmd//\/etc\/danekit\/postfix.conf/$T/etc/svc.conf}"
$ccmd || fail "cron command: $ccmd"

# leave the name empty
"$DANEKIT" --unbound-conf "$DK_PRIMARY_CONF" publish --host "$H" --remove leaf.pem \
    --tsig-key "$DK_PRIMARY_KEY" --server "$DK_PRIMARY_SERVER" >/dev/null 2>&1 || true
echo "contrib: passed"
