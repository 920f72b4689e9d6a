#!/usr/bin/env bash
# bench/scan.sh: danekit scan against the lab's synthetic mail domains
# (testzones/synth), in one run and on the same domain list:
#   1. scan with connections (STARTTLS probes)
#   2. scan --no-connect (DNS only)
#   3. a loop of `danekit check smtp` processes (on a sample, as a rate)
#   4. a loop of posttls-finger over the same domains (its MX hosts;
#      a sample, as a rate)
#   5. 1 and 2 again with one process per core (--shard K/N, K = 0..N-1, N = nproc),
#      as a survey runs on a machine
# and prints domains per second, the ratios and peak RSS; without --quick
# also the peak RSS of scan --no-connect streaming 1,000,000 lines (most
# names NXDOMAIN).
#
# It runs inside the interop namespace of tests/interop/posttls.sh (a
# private lab with DK_LAB_SYNTH domains, a validating unbound on
# 127.0.0.1:53 for posttls-finger); the shared lab is not touched.
#
# Usage: bench/scan.sh [--quick] [N]
#   --quick   2,000 domains, samples of 100 (under 5 minutes)
#   N         synthetic domains (default 10000; 100000 on request)
# Needs DANEKIT (default: build/tools/danekit). The last line is
#   scan: N domains/s, Mx a check smtp loop, RSS K MiB
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$(cd "$HERE/.." && pwd)"
export DANEKIT="${DANEKIT:-$SRC/build/tools/danekit}"
export DK_SRCDIR="$SRC"

if [[ "${DK_BENCH_INNER:-}" != 1 ]]; then
	quick=0 n=10000
	for a in "$@"; do
		case "$a" in
		--quick) quick=1 n=2000 ;;
		[0-9]*) n="$a" ;;
		*) echo "usage: bench/scan.sh [--quick] [N]" >&2; exit 64 ;;
		esac
	done
	out="$(mktemp -d /tmp/dk-bench-scan-XXXXXX)"
	export DK_LAB_SYNTH="$n" DK_BENCH_INNER=1 DK_BENCH_QUICK="$quick"
	export DK_INTEROP_TIMEOUT=$((quick ? 600 : 3600))
	bash "$SRC/tests/interop/posttls.sh" "$out" -- bash "$HERE/scan.sh"
	rc=$?
	rm -rf "$out"
	exit $rc
fi

# --- inside the namespace: DK_LAB_* of the private lab --------------------
quick="${DK_BENCH_QUICK:-0}"
n="${DK_LAB_SYNTH:?}"
sample=$((quick ? 100 : 300))
W="$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")"
DK=("$DANEKIT" --unbound-conf "$DK_LAB_CONF")
CP=(--connect-port "${DK_LAB_SMTP_PORT:-25}")
grep -v '^nx' "$DK_LAB_RUN/synth-domains.txt" | head -n "$n" >"$W/all"
# the list the way a survey has it: the domains and one in ten NXDOMAIN
cp "$DK_LAB_RUN/synth-domains.txt" "$W/list"
total=$(wc -l <"$W/list")
head -n "$sample" "$W/all" >"$W/sample"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.1f", n / t }'; }

run_scan() { # NAME ARGS...
	local name="$1" t0 t1
	shift
	/usr/bin/time -f '%M %e' -o "$W/$name.time" \
		"${DK[@]}" --json scan --no-progress "$@" "$W/list" >"$W/$name.json" 2>"$W/$name.err"
	read -r kb secs <"$W/$name.time"
	echo "$kb $secs"
}

# one process per core, as a survey runs (the design of issue 12): the
# same list in $(nproc) shards at once; wall time of the slowest, peak RSS
# of the largest
run_shards() { # NAME ARGS...
	local name="$1" k n t0 kb=0 k1 s1
	shift
	n=$(nproc)
	t0=$(now)
	for ((k = 0; k < n; k++)); do
		/usr/bin/time -f '%M %e' -o "$W/$name.$k.time" \
			"${DK[@]}" --json scan --no-progress --shard "$k/$n" "$@" \
			"$W/list" >"$W/$name.$k.json" 2>"$W/$name.$k.err" &
	done
	wait
	for ((k = 0; k < n; k++)); do
		if grep -q '^Command' "$W/$name.$k.time"; then
			echo "bench: shard $k/$n of $name: $(head -n 1 "$W/$name.$k.time"): $(tail -n 2 "$W/$name.$k.err")" >&2
			exit 1
		fi
		read -r k1 s1 <"$W/$name.$k.time"
		((k1 > kb)) && kb=$k1
	done
	[[ "$(cat "$W/$name".*.json | wc -l)" -eq "$total" ]] || {
		echo "bench: the shards of $name gave $(cat "$W/$name".*.json | wc -l) lines for $total" >&2
		exit 1
	}
	echo "$kb $(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')"
}

# warm nothing: each run starts with an empty cache (a new process)
read -r kb1 t1 < <(run_scan connect "${CP[@]}")
read -r kb2 t2 < <(run_scan noconnect --no-connect)
read -r kb5 t5 < <(run_shards pconnect "${CP[@]}")
read -r kb6 t6 < <(run_shards pnoconnect --no-connect)
r1=$(rate "$total" "$t1")
r2=$(rate "$total" "$t2")
r5=$(rate "$total" "$t5")
r6=$(rate "$total" "$t6")

t0=$(now)
while read -r d; do
	"${DK[@]}" --json check smtp "${CP[@]}" "$d" >/dev/null 2>&1 </dev/null || true
done <"$W/sample"
t3=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
r3=$(rate "$sample" "$t3")

pf=()
[[ ! -d /etc/ssl/certs ]] || pf=(-P /etc/ssl/certs)
t0=$(now)
while read -r d; do
	timeout 30 posttls-finger -c -l dane -t 5 -T 5 "${pf[@]}" \
		"$d:$DK_LAB_SMTP_PORT" >/dev/null 2>&1 </dev/null || true
done <"$W/sample"
t4=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
r4=$(rate "$sample" "$t4")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }
echo "danekit scan bench: $total lines ($n synthetic domains + NXDOMAIN names), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %10s %10s\n' "" "domains/s" "wall s" "RSS MiB"
printf '%-34s %10s %10s %10s\n' "scan (STARTTLS probes)" "$r1" "$t1" $((kb1 / 1024))
printf '%-34s %10s %10s %10s\n' "scan --no-connect" "$r2" "$t2" $((kb2 / 1024))
printf '%-34s %10s %10s %10s\n' "scan, $(nproc) processes (--shard K/$(nproc))" "$r5" "$t5" $((kb5 / 1024))
printf '%-34s %10s %10s %10s\n' "scan --no-connect, $(nproc) processes" "$r6" "$t6" $((kb6 / 1024))
printf '%-34s %10s %10s %10s\n' "check smtp loop ($sample domains)" "$r3" "$t3" "-"
printf '%-34s %10s %10s %10s\n' "posttls-finger loop ($sample)" "$r4" "$t4" "-"
tail -n 1 "$W/connect.err"
tail -n 1 "$W/noconnect.err"
echo "ratios: scan / check smtp loop $(ratio "$r1" "$r3")x, scan / posttls-finger loop $(ratio "$r1" "$r4")x, --no-connect / scan $(awk -v a="$r2" -v b="$r1" 'BEGIN { printf "%.1f", a / b }')x"
rss=$((kb1 / 1024))
if [[ "$quick" != 1 ]]; then
	# 1,000,000 lines streamed: the synthetic list again and again, the
	# rest NXDOMAIN names
	{
		cat "$W/list"
		seq 1 $((1000000 - total)) | sed 's/^/big/; s/$/.nxd.test/'
	} >"$W/million"
	/usr/bin/time -f '%M %e' -o "$W/million.time" "${DK[@]}" --json scan --no-progress \
		--no-connect "$W/million" >/dev/null 2>"$W/million.err"
	read -r kbm tm <"$W/million.time"
	echo "1,000,000 lines --no-connect: $(rate 1000000 "$tm") domains/s, peak RSS $((kbm / 1024)) MiB"
	rss=$((kbm / 1024))
fi
rm -rf "$W"
echo "per machine (one process per core): scan ${r5%.*} domains/s, --no-connect ${r6%.*} domains/s"
echo "scan: ${r1%.*} domains/s, $(ratio "$r1" "$r3")x a check smtp loop, RSS $rss MiB"
