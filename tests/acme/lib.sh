# shellcheck shell=bash
# Shared by the renewal tests with real ACME clients (tests/acme/*.sh).
#
# Each test renews a certificate for mail.CLIENT-PID.dyn.test with a real
# client against pebble (testzones/acme), through `danekit hook CLIENT`
# with a publisher (DNS UPDATE to the lab's Knot primary, dyn.test.) and a
# deploy location read by a real STARTTLS service: a private Postfix on
# 127.53.7.N:25 (smtpd_tls_chain_files = the deployed key + chain, one
# file). `danekit hook resume` plays the timer.
#
# A watcher samples, every WATCH_INTERVAL seconds for the whole run, the key
# the service presents (openssl s_client -starttls smtp) and the TLSA
# records at the owner on each authoritative server (kdig) and as
# validated by unbound-host with the lab's trust anchors. watch_check fails
# the test if the service ever presented a key whose 3 1 1 record was not
# secure, on every server, and first seen there at least 2 x TTL before
# (less one sampling period: the watcher sees a record up to one period
# later than danekit).
#
# Needs: $DANEKIT, $DK_SRCDIR (meson test sets them).

set -euo pipefail

TTL=${TTL:-4}
WATCH_INTERVAL=0.25
: "${DANEKIT:?run through meson test}" "${DK_SRCDIR:?run through meson test}"
PATH="$PATH:/usr/sbin:/sbin"

log() { echo "[$(date +%T)] $*" >&2; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# acme_setup CLIENT N: the lab, the primary and pebble; $W, $HOST, $OWNER,
# $MTA_ADDR (127.53.7.N).
acme_setup() {
    CLIENT="$1"
    MTA_ADDR="127.53.7.$2"
    flock /tmp/danekit-renew-tests.lock sh -c \
        "bash '$DK_SRCDIR/testzones/lab' up && bash '$DK_SRCDIR/testzones/primary' up && bash '$DK_SRCDIR/testzones/acme' up" \
        >/dev/null 2>&1 || fail "lab, primary or acme up failed"
    eval "$(bash "$DK_SRCDIR/testzones/lab" env)"
    eval "$(bash "$DK_SRCDIR/testzones/primary" env)"
    eval "$(bash "$DK_SRCDIR/testzones/acme" env)"
    W="$(mktemp -d "/tmp/dk-acme-$CLIENT-XXXXXX")"
    chmod 755 "$W"
    HOST="mail.$CLIENT-$$.dyn.test"
    OWNER="_25._tcp.$HOST"
    mkdir -p "$W/deploy" "$W/state"
    trap acme_cleanup EXIT
    log "$CLIENT: $HOST, work folder $W"
}

acme_cleanup() {
    local rc=$?
    watch_stop || true
    mta_stop || true
    # leave the name empty for the next run
    local recs
    recs="$(kdig +short +norec @"$DK_PRIMARY_ADDR" -p "$DK_PRIMARY_PORT" "$OWNER" TLSA 2>/dev/null | tr -d ' ' || true)"
    local args=() r
    for r in $recs; do
        args+=(--remove "${r:0:1} ${r:1:1} ${r:2:1} ${r:3}")
    done
    if ((${#args[@]})); then
        "$DANEKIT" --unbound-conf "$DK_PRIMARY_CONF" publish --tlsa-name "$OWNER" \
            "${args[@]}" --tsig-key "$DK_PRIMARY_KEY" --server "$DK_PRIMARY_SERVER" >/dev/null 2>&1 || true
    fi
    if [[ $rc -eq 0 ]]; then
        rm -rf "$W"
    else
        echo "work folder kept: $W" >&2
    fi
    exit $rc
}

# The hook's config file: the deploy location read by the MTA, the
# publisher, the lab's resolver. Extra lines from the arguments.
write_hook_conf() {
    CONF="$W/hook.conf"
    {
        echo "tlsa-name = $OWNER"
        echo "deploy-combined = $W/deploy/chain.pem"
        echo "reload = postfix -c $W/mta/etc reload && echo reload >> $W/reloads"
        echo "state-dir = $W/state"
        echo "tsig-key = $DK_PRIMARY_KEY"
        echo "server = $DK_PRIMARY_SERVER"
        echo "ttl = $TTL"
        echo "auth-port = $DK_PRIMARY_PORT"
        echo "unbound-conf = $DK_PRIMARY_CONF"
        echo "live-address = $MTA_ADDR"
        for l in "$@"; do echo "$l"; done
    } >"$CONF"
}

# --- the service ------------------------------------------------------------

# A private, receive-only Postfix on $MTA_ADDR:25 whose TLS key and chain
# are the deploy location (one file: key, then chain).
mta_start() {
    local m="$W/mta"
    # another run of the same test (another build folder) would share the
    # address: the watcher would then see its keys too
    if (exec 3<>"/dev/tcp/$MTA_ADDR/25") 2>/dev/null; then
        fail "$MTA_ADDR:25 is in use (another run of this test?)"
    fi
    mkdir -p "$m/etc" "$m/queue" "$m/data"
    chown postfix "$m/data"
    chmod 700 "$m/data"
    cat >"$m/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $m/queue
data_directory = $m/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = danekit-acme-$CLIENT
maillog_file = $m/maillog
maillog_file_prefixes = $m/
myhostname = $HOST
inet_interfaces = loopback-only
inet_protocols = ipv4
smtpd_peername_lookup = no
mydestination =
relay_domains =
mynetworks =
local_recipient_maps =
alias_maps =
alias_database =
smtpd_relay_restrictions = reject_unauth_destination
default_transport = error:no delivery
local_transport = error:no delivery
smtpd_tls_security_level = may
smtpd_tls_chain_files = $W/deploy/chain.pem
EOF
    cat >"$m/etc/master.cf" <<EOF
$MTA_ADDR:25 inet n - n - - smtpd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
anvil     unix  -       -       n       -       1       anvil
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    postfix -c "$m/etc" check >/dev/null 2>&1 || true
    postfix -c "$m/etc" start >/dev/null 2>&1 ||
        { tail -20 "$m/maillog" >&2 2>/dev/null; fail "postfix did not start"; }
    local i
    for ((i = 0; i < 100; i++)); do
        (exec 3<>"/dev/tcp/$MTA_ADDR/25") 2>/dev/null && return 0
        sleep 0.1
    done
    fail "postfix does not listen on $MTA_ADDR:25"
}

mta_stop() {
    [[ -d "$W/mta/etc" ]] && postfix -c "$W/mta/etc" stop >/dev/null 2>&1 || true
}

# --- keys and records, by the openssl command line -------------------------

spki_key() { openssl pkey -in "$1" -pubout -outform DER | openssl dgst -sha256 -r | cut -c1-64; }
spki_cert() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -c1-64; }

# The SHA-256 of the key the service presents now, or "-".
presented() {
    local pem
    pem="$(timeout 5 openssl s_client -starttls smtp -connect "$MTA_ADDR:25" \
        -servername "$HOST" </dev/null 2>/dev/null | openssl x509 2>/dev/null)" || true
    if [[ -z "$pem" ]]; then
        echo -
        return
    fi
    openssl x509 -pubkey -noout <<<"$pem" | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -c1-64
}

# served ADDR: the TLSA records at $OWNER on one name server, as "311HEX".
served() {
    kdig +short +norec +time=2 @"$1" -p "$DK_PRIMARY_PORT" "$OWNER" TLSA 2>/dev/null |
        tr -d ' ' | tr A-F a-f | sort
}

# The records unbound-host validates as secure.
secure_records() {
    unbound-host -C "$DK_PRIMARY_CONF" -v -t TLSA "$OWNER" 2>/dev/null |
        awk '/\(secure\)$/ && / has TLSA record / { print $(NF-4) $(NF-3) $(NF-2) tolower($(NF-1)) }' | sort
}

# Is 3 1 1 of key SHA served by both name servers?
on_both() {
    served "$DK_PRIMARY_ADDR" | grep -qx "311$1" && served "$DK_PRIMARY_ADDR2" | grep -qx "311$1"
}

# --- the watcher ------------------------------------------------------------

watch_start() {
    : >"$W/watch.log"
    (
        exec >/dev/null 2>&1
        while [[ ! -e "$W/watch.stop" ]]; do
            t="$(date +%s.%N)"
            k="$(presented)"
            a="$(served "$DK_PRIMARY_ADDR")"
            b="$(served "$DK_PRIMARY_ADDR2")"
            s="$(secure_records)"
            # records on both servers and secure
            all="$(comm -12 <(echo "$a") <(echo "$b") | comm -12 - <(echo "$s") | paste -sd, -)"
            echo "$t $k ${all:--}" >>"$W/watch.log"
            sleep "$WATCH_INTERVAL"
        done
    ) &
    WATCH_PID=$!
}

watch_stop() {
    [[ -n "${WATCH_PID:-}" ]] || return 0
    touch "$W/watch.stop"
    wait "$WATCH_PID" 2>/dev/null || true
    WATCH_PID=
}

# watch_check KEY...: no sample presented a key whose record was not
# secure, on both servers and aged 2 x TTL; each KEY was presented.
watch_check() {
    local k out
    out="$(awk -v min="$((2 * TTL))" -v tol=1 '
        {
            t = $1; key = $2; n = split($3, r, ",")
            delete now
            for (i = 1; i <= n; i++) {
                if (r[i] == "-") continue
                now[r[i]] = 1
                if (!(r[i] in first)) first[r[i]] = t
            }
            for (x in first) if (!(x in now)) delete first[x]
            samples++
            if (key == "-") next
            seen[key]++
            rec = "311" key
            if (!(rec in now)) {
                printf "%s: presented %s, whose record is not secure on every server\n", t, key
                bad++
            } else if (t - first[rec] < min - tol) {
                printf "%s: presented %s, whose record is only %.1f s old (< %d s)\n", t, key, t - first[rec], min
                bad++
            }
        }
        END {
            for (k in seen) printf "seen %s %d\n", k, seen[k]
            printf "samples %d bad %d\n", samples, bad + 0
        }' "$W/watch.log")"
    echo "$out" | grep -v '^seen ' >&2 || true
    echo "$out" | grep -q ' bad 0$' || fail "the service presented a key that was not safe (log: $W/watch.log)"
    for k in "$@"; do
        echo "$out" | grep -q "^seen $k " || fail "the service never presented $k"
    done
}

# --- danekit ----------------------------------------------------------------

# resume_until PATTERN SECONDS: the timer, with the secondary catching up
# every round; returns the output that matched.
resume_until() {
    local pattern="$1" deadline=$((SECONDS + $2)) out
    while ((SECONDS < deadline)); do
        bash "$DK_SRCDIR/testzones/primary" sync-secondary >/dev/null 2>&1 || true
        out="$("$DANEKIT" hook resume --config "$CONF" 2>&1)" || true
        if grep -q -- "$pattern" <<<"$out"; then
            echo "$out"
            return 0
        fi
        sleep 0.5
    done
    echo "$out" >&2
    fail "no '$pattern' from hook resume within $2 s"
}

# wait_presented SHA SECONDS
wait_presented() {
    local deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        [[ "$(presented)" == "$1" ]] && return 0
        sleep 0.2
    done
    fail "the service does not present $1 (it presents $(presented))"
}

# rollover_done OLD_CHAIN NEW_CHAIN: danekit rollover says done.
rollover_done() {
    local out
    bash "$DK_SRCDIR/testzones/primary" sync-secondary >/dev/null 2>&1 || true
    out="$("$DANEKIT" --unbound-conf "$DK_PRIMARY_CONF" rollover --host "$HOST" \
        --current "$1" --next "$2" --auth-port "$DK_PRIMARY_PORT" \
        --connect "$MTA_ADDR" --state "$W/rollover-check.state")" ||
        fail "rollover: $out"
    grep -q ": done$" <<<"$out" || fail "rollover is not done: $out"
}

reloads() { wc -l <"$W/reloads" 2>/dev/null || echo 0; }
