#!/usr/bin/env bash
# 1,000 validated lookups against the lab: danekit (sync, async, cold)
# versus a loop of unbound-host and of delv, in one run. Ratios are
# against danekit's synchronous lookups in one context.
# Usage: bench/lookup.sh [N]  (default 1000; needs a build in ./build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N="${1:-1000}"
BIN=build/bench/dk-bench-lookup
[ -x "$BIN" ] || { echo "build first: bash .ci/build" >&2; exit 1; }
bash testzones/lab up >/dev/null
eval "$(bash testzones/lab env)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# A mix of lab names and types: secure, insecure, bogus, NXDOMAIN.
for z in secure nsec3 alg8 alg13 alg15 insecure expired wrongds tampered expiring; do
	echo "mail.$z.test A"
	echo "_25._tcp.mail.$z.test TLSA"
	echo "$z.test MX"
done > "$tmp/names"
echo "nonexistent.secure.test A" >> "$tmp/names"
nnames=$(wc -l < "$tmp/names")

OUT="${OUT:-bench/results-lookup.md}"
exec > >(tee "$OUT")
echo "# Validated lookups: danekit versus unbound-host and delv"
echo
echo "$N validated lookups against the lab ($nnames distinct queries: secure,"
echo "insecure, bogus and NXDOMAIN names, cycled), $(date -u +%Y-%m-%d), $(nproc) cores."
echo "danekit sync and async share one libunbound context (its cache warms up,"
echo "as in a long-running process); 'cold' makes a new context per lookup, like"
echo "one unbound-host process per name. Peers run one process per lookup,"
echo "timed on SAMPLE=${SAMPLE:-200} lookups."
echo
echo '```'
"$BIN" "$DK_LAB_CONF" "$tmp/names" "$N" | tee "$tmp/dk"

# Peers: one process per lookup, as they are used. Sampled (SAMPLE
# lookups) and scaled to N, since each process starts with a cold cache.
SAMPLE="${SAMPLE:-200}"
mapfile -t lines < "$tmp/names"
peer() {
	local label="$1"; shift
	local t0 t1 i
	t0=$(date +%s.%N)
	for ((i = 0; i < SAMPLE; i++)); do
		set -- ${lines[i % nnames]}
		"${PEER[@]}" "$1" "$2" >/dev/null 2>&1 || true
	done
	t1=$(date +%s.%N)
	awk -v l="$label" -v s="$SAMPLE" -v t0="$t0" -v t1="$t1" \
		'BEGIN { d = t1 - t0; printf "%-28s %6d lookups %8.3f s %10.0f lookups/s\n", l, s, d, s / d }'
}
uh() { unbound-host -C "$DK_LAB_CONF" -v -t "$2" "$1"; }
dv() { delv @"$DK_LAB_NS" -p "$DK_LAB_PORT" -a "$DK_LAB_RUN/anchor.delv" +root=test. "$2" "$1"; }
dk() { build/tools/danekit --unbound-conf "$DK_LAB_CONF" lookup "$1" "$2"; }
PEER=(dk); peer "danekit lookup (per process)" | tee -a "$tmp/dk"
PEER=(uh); peer "unbound-host (per process)" | tee -a "$tmp/dk"
PEER=(dv); peer "delv (per process)" | tee -a "$tmp/dk"
echo '```'
echo
echo "| tool | lookups/s | ratio (danekit sync = 1) |"
echo "| --- | ---: | ---: |"
awk '{ for (i = 1; i <= NF; i++) if ($i == "lookups/s") r = $(i - 1);
       name = substr($0, 1, 28); sub(/ +$/, "", name); rate[NR] = r; names[NR] = name }
     END { for (i = 1; i <= NR; i++) printf "| %s | %d | %.3f |\n", names[i], rate[i], rate[i] / rate[1] }' "$tmp/dk"
