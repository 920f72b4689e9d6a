#!/usr/bin/env bash
# Interop: run Postfix's posttls-finger and `danekit check smtp` on every
# SMTP case of the lab, in a private network and mount namespace, and
# record both outputs for the comparison (tests/interop/test_posttls.c;
# the mapping is documented in tests/interop/README.md).
#
# Usage: bash tests/interop/posttls.sh OUTDIR
#        bash tests/interop/posttls.sh OUTDIR -- COMMAND...   (by hand: run
#        COMMAND in the same set-up instead of the cases, with DK_LAB_* and
#        MAIL_CONFIG exported, e.g. -- bash -c 'posttls-finger -v dane-ok.test')
#
# posttls-finger resolves through the system resolver (/etc/resolv.conf)
# and trusts its AD bit, so it can only see the lab from inside a private
# namespace: the script re-executes itself under
#   unshare --net --mount [--pid --fork --kill-child=TERM --mount-proc]
# and there brings lo up, starts a second, private lab (testzones/lab with
# its own DK_LAB_RUN and TMPDIR), a validating unbound on 127.0.0.1:53 with
# the lab's trust anchor, and bind-mounts a private resolv.conf
# ("nameserver 127.0.0.1", "options trust-ad") over /etc/resolv.conf.
# The lab of the root namespace is never touched.
#
# Environment: DANEKIT (the danekit binary), DK_SRCDIR (the source tree).
#
# OUTDIR receives, per case C (see CASES):
#   C.finger     posttls-finger output (stdout + stderr), C.finger.rc
#   C.json       danekit --json check smtp output, C.rc its exit status
#   C.audit.json danekit --json audit output (its dane.* findings)
# and OUTDIR/status: "ok", or "skip REASON", or "error REASON".
#
# Exit status: 0 done (whatever the verdicts), 77 namespaces not permitted
# (skip), 1 set-up error.
set -uo pipefail

OUT="${1:?usage: posttls.sh OUTDIR [-- COMMAND...]}"
shift
[[ "${1:-}" != -- ]] || shift
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="${DK_SRCDIR:-$(cd "$HERE/../.." && pwd)}"
PATH="$PATH:/usr/sbin:/sbin"

# case  posttls-finger destination  danekit domain  [posttls-finger options]
#  (a [host] destination: no MX lookup, one host; danekit's verdict for
#   that host is then read from its report of the domain. dual-key-rsa:
#   TLS 1.2 with RSA authentication only, so the server presents its RSA
#   certificate instead of the ECDSA one)
CASES=(
    "dane-ok dane-ok.test dane-ok.test"
    "dane-ta dane-ta.test dane-ta.test"
    "mismatch mismatch.test mismatch.test"
    "expired-cert expired-cert.test expired-cert.test"
    "insecure insecure.test insecure.test"
    "bogus-tlsa tampered.test tampered.test"
    "nostarttls nostarttls.test nostarttls.test"
    "two-mx two-mx.test two-mx.test"
    "two-mx-mail [mail.two-mx.test] two-mx.test"
    "two-mx-mail2 [mail2.two-mx.test] two-mx.test"
    "mx-cname mx-cname.test mx-cname.test"
    "pkix-only pkix-only.test pkix-only.test"
    "dual-key dual-key.test dual-key.test"
    "dual-key-rsa dual-key.test dual-key.test -p <=TLSv1.2 -g high -o tls_high_cipherlist=aRSA:!aNULL"
)

say() { echo "posttls: $*" >&2; }
status() { mkdir -p "$OUT" && echo "$*" >"$OUT/status"; }
skip() { say "SKIP: $*"; status "skip $*"; exit 77; }
fail() { say "ERROR: $*"; status "error $*"; exit 1; }

# --- outside: enter the namespaces -------------------------------------------

if [[ "${DK_INTEROP_INNER:-}" != 1 ]]; then
    mkdir -p "$OUT" || exit 1
    # only our own files (OUT may be any folder given by hand)
    rm -f "$OUT"/status "$OUT"/*.finger "$OUT"/*.finger.rc "$OUT"/*.json \
        "$OUT"/*.rc "$OUT"/*.err "$OUT"/*.audit.json
    for t in unshare ip mount posttls-finger unbound unbound-checkconf dig timeout; do
        command -v "$t" >/dev/null 2>&1 || skip "missing tool: $t"
    done
    [[ -x "${DANEKIT:-}" ]] || fail "DANEKIT is not set to the danekit binary"
    # Probe: a private network + mount namespace (needs root, or
    # CAP_SYS_ADMIN + CAP_NET_ADMIN), in which lo comes up and a file can
    # be bind-mounted over /etc/resolv.conf
    if ! why="$(unshare --net --mount true 2>&1)"; then
        skip "unshare --net --mount is not permitted here (${why:-no reason given}); posttls-finger can only be pointed at the lab inside a private namespace"
    fi
    # shellcheck disable=SC2016 # expanded by the inner shell
    if ! why="$(unshare --net --mount bash -c 'ip link set lo up &&
            mount --make-rprivate / && mount --bind /dev/null /etc/resolv.conf' 2>&1)"; then
        skip "in a private namespace, lo or the bind mount over /etc/resolv.conf is not permitted (${why:-no reason given})"
    fi
    # With a PID namespace too, every daemon dies with the script, whatever
    # happens: when unshare is killed (time-out), the script gets SIGTERM
    # and stops the lab; when the script ends, the kernel kills the rest.
    ns=(unshare --net --mount)
    if unshare --pid --fork --kill-child=TERM --mount-proc --net --mount true 2>/dev/null; then
        ns=(unshare --pid --fork --kill-child=TERM --mount-proc --net --mount)
    fi
    DK_INTEROP_INNER=1 timeout -k 5 "${DK_INTEROP_TIMEOUT:-150}" "${ns[@]}" bash "${BASH_SOURCE[0]}" "$OUT" -- "$@"
    exit $?
fi

# --- inside the namespaces ---------------------------------------------------

# Never touch the host: a fresh network namespace has nothing but lo.
links="$(ip -o link show | awk -F': ' '{print $2}')"
[[ "$links" == lo ]] || fail "not in a private network namespace (links: $links)"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/dk-interop.XXXXXX")" || fail "mktemp"
# the lab's Postfix runs its daemons as user postfix: they must reach the
# run folder below
chmod 755 "$TMP"
export TMPDIR="$TMP/tmp"
mkdir -p "$TMPDIR"
export DK_LAB_RUN="$TMP/lab"
unset DK_LAB_PORT DK_LAB_SMTP_PORT DK_LAB_TLS_PORT DK_LAB_HTTPS_PORT
UB_PID=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [[ -n "$UB_PID" ]] && kill -0 "$UB_PID" 2>/dev/null; then
        kill "$UB_PID" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
            kill -0 "$UB_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$UB_PID" 2>/dev/null
    fi
    timeout 30 bash "$SRC/testzones/lab" down >/dev/null 2>&1
    umount /etc/resolv.conf 2>/dev/null
    rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip link set lo up || fail "ip link set lo up"
mount --make-rprivate / || fail "mount --make-rprivate /"

if ! timeout 120 bash "$SRC/testzones/lab" up >"$TMP/lab-up.log" 2>&1; then
    tail -n 20 "$TMP/lab-up.log" >&2
    fail "private lab did not start (DK_LAB_RUN=$DK_LAB_RUN)"
fi
eval "$(bash "$SRC/testzones/lab" env)" || fail "lab env"

# A validating unbound on 127.0.0.1:53 that forwards test. to the lab NSD.
cat >"$TMP/unbound.conf" <<EOF
server:
    interface: 127.0.0.1
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    directory: "$TMP"
    pidfile: "$TMP/unbound.pid"
    use-syslog: no
    logfile: "$TMP/unbound.log"
    verbosity: 1
    val-log-level: 2
    do-not-query-localhost: no
    local-zone: "test." nodefault
    module-config: "validator iterator"
    trust-anchor-file: "$DK_LAB_ANCHOR"
    harden-dnssec-stripped: yes
    val-permissive-mode: no
    cache-max-ttl: 0
    cache-max-negative-ttl: 0
remote-control:
    control-enable: no
forward-zone:
    name: "test."
    forward-addr: $DK_LAB_NS@$DK_LAB_PORT
EOF
unbound-checkconf "$TMP/unbound.conf" >/dev/null 2>&1 || fail "unbound-checkconf $TMP/unbound.conf"
unbound -d -c "$TMP/unbound.conf" </dev/null >>"$TMP/unbound.log" 2>&1 &
UB_PID=$!
for ((i = 0; i < 100; i++)); do
    out="$(dig +time=1 +tries=1 +dnssec @127.0.0.1 -p 53 test. SOA 2>/dev/null)"
    grep -q 'flags:.* ad' <<<"$out" && break
    kill -0 "$UB_PID" 2>/dev/null || break
    sleep 0.1
done
grep -q 'flags:.* ad' <<<"$out" || {
    tail -n 20 "$TMP/unbound.log" >&2
    fail "unbound on 127.0.0.1:53 does not validate test. (log $TMP/unbound.log)"
}

printf 'nameserver 127.0.0.1\noptions trust-ad timeout:2 attempts:2\n' >"$TMP/resolv.conf"
mount --bind "$TMP/resolv.conf" /etc/resolv.conf || fail "mount --bind resolv.conf"

# posttls-finger reads main.cf; the host may have none ("No configuration").
# Its DNSSEC probe (is the resolver validating?) asks for a name that is
# signed in the lab, not for the root that nothing here serves.
mkdir -p "$TMP/postfix"
echo "dnssec_probe = ns:test" >"$TMP/postfix/main.cf"
export MAIL_CONFIG="$TMP/postfix"

if [[ $# -gt 0 ]]; then
    set -a
    eval "$(bash "$SRC/testzones/lab" env)"
    set +a
    "$@"
    rc=$?
    status ok
    exit "$rc"
fi

for line in "${CASES[@]}"; do
    read -r -a words <<<"$line"
    name="${words[0]}" dest="${words[1]}" domain="${words[2]}"
    extra=("${words[@]:3}")
    [[ ! -d /etc/ssl/certs ]] || extra+=(-P /etc/ssl/certs)
    # -v: says why DANE is not used ("no [usable] TLSA records found,
    # resorting to \"secure\""); no -c: the EHLO reply shows STARTTLS or not
    timeout -k 2 40 posttls-finger -v -l dane -t 5 -T 5 \
        "${extra[@]}" "$dest:$DK_LAB_SMTP_PORT" \
        >"$OUT/$name.finger" 2>&1 </dev/null
    echo $? >"$OUT/$name.finger.rc"
    timeout -k 2 60 "$DANEKIT" --unbound-conf "$DK_LAB_CONF" --timeout 10 \
        --json check smtp --connect-port "$DK_LAB_SMTP_PORT" "$domain" \
        >"$OUT/$name.json" 2>"$OUT/$name.err" </dev/null
    echo $? >"$OUT/$name.rc"
    # the same domain through the mail audit (its dane.* findings)
    timeout -k 2 60 "$DANEKIT" --unbound-conf "$DK_LAB_CONF" --timeout 10 \
        --json audit "$domain" --connect-port "$DK_LAB_SMTP_PORT" \
        --allow-private 127.53.0.0/16 --allow-private ::1 \
        --https-ca "$DK_LAB_PKI/ca.pem" \
        >"$OUT/$name.audit.json" 2>"$OUT/$name.audit.err" </dev/null
done
status ok
exit 0
