#!/usr/bin/env bash
# danekit audit against the lab's mail domains: audits per second (one
# process per audit, as from cron or a monitoring check: a cold resolver
# cache each time), and the round trips each audit took against the
# lookups it needed (libunbound's asynchronous lookups, a round per level).
# Usage: bench/audit.sh [N]   (N audits of each domain; default 20)
# Needs a build (build-bench, else build) and the lab (testzones/lab up is
# run; DK_LAB_RUN and the port variables pick another lab).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N="${1:-20}"
BIN="${DANEKIT:-}"
for b in build-bench/tools/danekit build/tools/danekit; do
	[ -n "$BIN" ] && break
	[ -x "$b" ] && BIN="$b"
done
[ -x "$BIN" ] || { echo "build first: bash .ci/build" >&2; exit 1; }
bash testzones/lab up >/dev/null
eval "$(bash testzones/lab env)"

# domain and options: the good configuration and the deepest cases
CASES=(
	"mail-ok.test --dkim-selector sel1 --dkim-selector ed --sending-ip 127.53.5.1 --sending-ip fd53:5::1 --helo out1.mail-ok.test"
	"limit.spf.test"
	"headroom.spf.test"
	"mxlimit.spf.test"
	"macro.spf.test"
	"loop.spf.test"
	"a.sub.org.test"
	"ext.dm.test"
	"dkim.test --dkim-selector good --dkim-selector weak --dkim-selector edspki --dkim-selector revoked --dkim-selector nosuch"
	"unres.mx.test"
)

audit() { "$BIN" --unbound-conf "$DK_LAB_MAIL_CONF" "$@"; }

echo "# danekit audit: audits per second and round trips"
echo
echo "$N audits of each lab domain, one process each (cold cache), $(date -u +%Y-%m-%d),"
echo "$(nproc) cores, $BIN. 'lookups' are the distinct DNS lookups the audit"
echo "needs, 'rounds' the round trips it took (lookups run concurrently, one"
echo "round per level of the SPF tree and of the other areas' dependencies)."
echo
echo "| domain | lookups | rounds | lookups per round | ms per audit | audits/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
tq=0 tr=0 tt=0
for c in "${CASES[@]}"; do
	# shellcheck disable=SC2086 # options are words
	set -- $c
	read -r q r < <(audit --json audit "$@" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["lookups"]["queries"], d["lookups"]["rounds"])')
	t0=$(date +%s.%N)
	for ((i = 0; i < N; i++)); do
		audit audit "$@" >/dev/null || true
	done
	t1=$(date +%s.%N)
	awk -v d="$1" -v q="$q" -v r="$r" -v n="$N" -v t0="$t0" -v t1="$t1" \
		'BEGIN { t = (t1 - t0) / n; printf "| %s | %d | %d | %.1f | %.1f | %.0f |\n", d, q, r, q / r, t * 1000, 1 / t }'
	tq=$((tq + q))
	tr=$((tr + r))
	tt=$(awk -v a="$tt" -v t0="$t0" -v t1="$t1" 'BEGIN { print a + t1 - t0 }')
done
awk -v q="$tq" -v r="$tr" -v n="$N" -v c="${#CASES[@]}" -v t="$tt" \
	'BEGIN { printf "| all (mean) | %.1f | %.1f | %.1f | %.1f | %.0f |\n", q / c, r / c, q / r, t / (n * c) * 1000, n * c / t }'
