#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/tlsa.sh: how fast does `danekit tlsa` make TLSA 3 1 1 records,
# compared with the openssl command pipeline and the offline-capable DANE
# tools of Debian (ldns-dane, GnuTLS danetool, hash-slinger tlsa)?
#
# It generates certificates with openssl (EC P-256, self-signed, one fresh
# key per certificate so that every record differs) in a temporary folder,
# then measures wall-clock time:
#   * danekit in one process (--list, with and without --host), through
#     xargs (many files per process), on one PEM bundle, and one process
#     per certificate;
#   * the openssl pipeline and every peer, one process per certificate, on
#     a sample (time for N extrapolated from the sample's rate);
#   * single-invocation latency of every tool on one certificate (hyperfine);
# and checks that every tool's hash equals the openssl pipeline's.
#
# Usage: bench/tlsa.sh [OPTIONS]     (see --help)
# Prints a Markdown report on stdout and writes it to bench/results-tlsa.md.

# Backticks inside single quotes below are Markdown, not command substitution.
# shellcheck disable=SC2016
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

sizes="1000 10000"
sample=500        # certificates per per-process loop (openssl, peers)
slow_sample=100   # for hash-slinger tlsa (Python: ~0.2 s a process)
repeat=5          # repetitions of each one-process danekit run (best kept)
runs=50           # hyperfine runs for single-invocation latency
host=mail.example.com
out="$here/results-tlsa.md"
danekit=${DANEKIT:-}
keep=

usage() {
	cat <<EOF
Usage: $(basename "$0") [OPTIONS]

  -d, --danekit PATH      danekit binary (default: \$DANEKIT, else
                          ../build-bench/tools/danekit or ../build/tools/danekit
                          next to this script, else danekit on PATH)
  -n, --sizes "N..."      certificate counts (default "$sizes")
  -s, --sample K          per-process loops time K certificates (default $sample)
      --slow-sample K     sample for hash-slinger tlsa (default $slow_sample)
      --repeat R          repetitions of one-process danekit runs, the
                          best is reported (default $repeat)
  -r, --runs R            hyperfine runs for single invocation (default $runs)
  -o, --output FILE       also write the report here (default: results-tlsa.md
                          next to this script; '-' for none)
  -k, --keep DIR          generate certificates into DIR and keep them;
                          reuse them when DIR already holds enough
  -h, --help              this help
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	-d | --danekit) danekit=$2; shift 2 ;;
	-n | --sizes) sizes=$2; shift 2 ;;
	-s | --sample) sample=$2; shift 2 ;;
	--slow-sample) slow_sample=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	-r | --runs) runs=$2; shift 2 ;;
	-o | --output) out=$2; shift 2 ;;
	-k | --keep) keep=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "tlsa.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
	esac
done

log() { printf 'tlsa.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

if [ -z "$danekit" ]; then
	for c in "$here/../build-bench/tools/danekit" "$here/../build/tools/danekit"; do
		if [ -x "$c" ]; then danekit=$c; break; fi
	done
	[ -n "$danekit" ] || danekit=$(command -v danekit || true)
fi
if [ -z "$danekit" ] || [ ! -x "$danekit" ]; then
	die "no danekit binary found (build it, or give --danekit)"
fi
danekit=$(realpath "$danekit")
for t in openssl hyperfine awk; do
	command -v "$t" >/dev/null || die "$t is needed"
done
have() { command -v "$1" >/dev/null 2>&1; }
jq_or_py() { # read hyperfine JSON: prints "name mean stddev min median" lines
	if have jq; then
		jq -r '.results[] | "\(.command)\t\(.mean)\t\(.stddev)\t\(.min)\t\(.median)"' "$1"
	else
		python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%s\t%s\t%s\t%s\t%s" % (r["command"], r["mean"], r["stddev"], r["min"], r["median"]))' "$1"
	fi
}

max=0
for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
[ "$max" -gt 0 ] || die "no sizes"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/danekit-bench-tlsa.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
work=${keep:-$tmp/certs}
mkdir -p "$work/c"
work=$(realpath "$work")
cd "$work"

load0=$(cut -d' ' -f1-3 /proc/loadavg)

# --- certificates --------------------------------------------------------

have_n=$(find c -name '*.pem' | wc -l)
if [ "$have_n" -lt "$max" ]; then
	log "generating $max certificates (EC P-256, self-signed, xargs -P2)..."
	t0=$EPOCHREALTIME
	seq -f %06g 1 "$max" | xargs -P2 -I{} openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-subj "/CN=h{}.example" -days 30 -out "c/{}.pem" 2>/dev/null
	t1=$EPOCHREALTIME
	log "generated in $(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN{printf "%.1f", b-a}') s"
fi
seq -f 'c/%06g.pem' 1 "$max" >all.list
cat c/*.pem >/dev/null # warm the page cache

# --- helpers ---------------------------------------------------------------

now() { local t=$EPOCHREALTIME; echo "${t/,/.}"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.6f", b-a}'; }
# best (lowest) wall-clock seconds of R runs of "$@" (stdout to $tmp/last.out);
# the minimum is the estimate least disturbed by other load on the machine
best_time() {
	local r=$1 i t0 t1; shift
	for ((i = 0; i < r; i++)); do
		t0=$(now); "$@" >"$tmp/last.out"; t1=$(now)
		sub "$t0" "$t1"; echo
	done | sort -g | head -n 1
}
fmt_s() { awk -v t="$1" 'BEGIN{ if (t < 1) printf "%.1f ms", t*1000; else printf "%.2f s", t }'; }
fmt_rate() { awk -v n="$1" -v t="$2" 'BEGIN{printf "%d", n/t}' | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ r=a/b; if (r < 10) printf "%.1f", r; else printf "%d", r+0.5 }'; }

# Hash extraction: every tool's output -> one lower-case hex SHA-256 a line.
ex_openssl() { awk '{print tolower($NF)}'; }
ex_danekit() { awk 'NF {print tolower($NF)}'; }
ex_ldnsdane() { awk '/TLSA/ {print tolower($NF)}'; }
ex_danetool() { awk '/TLSA/ {print tolower($(NF-1))}'; }
ex_hashslinger() { awk '/IN TLSA/ {print tolower($NF)}'; }

# One process per certificate, over the list file $2.
loop_openssl() {
	while read -r c; do
		openssl x509 -pubkey -noout -in "$c" | openssl pkey -pubin -outform DER |
			openssl dgst -sha256
	done <"$1"
}
loop_danekit() { while read -r c; do "$danekit" tlsa "$c"; done <"$1"; }
loop_ldnsdane() { while read -r c; do ldns-dane -n -c "$c" create "$host" 25 3 1 1; done <"$1"; }
loop_danetool() {
	while read -r c; do
		danetool --tlsa-rr --load-certificate "$c" --host "$host" --port 25
	done <"$1"
}
loop_hashslinger() {
	while read -r c; do
		tlsa --create --certificate "$c" --usage 3 --selector 1 --mtype 1 \
			--port 25 "$host"
	done <"$1"
}

# --- per-process tools, on a sample ----------------------------------------

[ "$sample" -le "$max" ] || sample=$max
[ "$slow_sample" -le "$sample" ] || slow_sample=$sample
head -n "$sample" all.list >sample.list
head -n "$slow_sample" all.list >slow.list

declare -A rate samp label how verdict
peers=()
add_peer() { # key, label, command template, extractor available?
	peers+=("$1"); label[$1]=$2; how[$1]=$3
}
add_peer openssl "openssl pipeline" '`openssl x509 -pubkey -noout -in C | openssl pkey -pubin -outform DER | openssl dgst -sha256`'
add_peer danekit1 "danekit, one process per cert" '`danekit tlsa C`'
have ldns-dane && add_peer ldnsdane "ldns-dane (ldns $(ldns-dane -v | awk '{print $NF; exit}' | tr -d ')'))" '`ldns-dane -n -c C create H 25 3 1 1`'
have danetool && add_peer danetool "danetool (GnuTLS $(danetool --version | awk 'NR==1{print $NF}'))" '`danetool --tlsa-rr --load-certificate C --host H --port 25`'
have tlsa && add_peer hashslinger "hash-slinger tlsa $(tlsa --version 2>&1 | awk '{print $NF; exit}')" '`tlsa --create --certificate C --usage 3 --selector 1 --mtype 1 --port 25 H`'

for k in "${peers[@]}"; do
	list=sample.list
	[ "$k" = hashslinger ] && list=slow.list
	samp[$k]=$(wc -l <"$list")
	log "timing ${label[$k]} on ${samp[$k]} certificates, one process each..."
	t0=$(now)
	"loop_${k%1}" "$list" >"$tmp/$k.out" 2>"$tmp/$k.err" || true
	t1=$(now)
	rate[$k]=$(awk -v n="${samp[$k]}" -v t="$(sub "$t0" "$t1")" 'BEGIN{printf "%.3f", n/t}')
	"ex_${k%1}" <"$tmp/$k.out" >"$tmp/$k.hash"
done

# Reference hashes: the openssl pipeline over the sample.
cp "$tmp/openssl.hash" ref.hash
[ "$(wc -l <ref.hash)" -eq "$sample" ] || die "the openssl pipeline gave $(wc -l <ref.hash) hashes for $sample certificates"
check_hashes() { # file-of-hashes, count expected -> agrees/disagrees text
	local f=$1 n=$2
	if [ "$(wc -l <"$f")" -ne "$n" ]; then
		echo "disagrees ($(wc -l <"$f") hashes for $n certificates)"
	elif cmp -s "$f" <(head -n "$n" ref.hash); then
		echo "agrees ($n of $n certificates)"
	else
		echo "disagrees ($(paste -d' ' "$f" <(head -n "$n" ref.hash) | awk '$1!=$2' | wc -l) of $n differ)"
	fi
}
for k in "${peers[@]}"; do
	[ "$k" = openssl ] && continue
	verdict[$k]=$(check_hashes "$tmp/$k.hash" "${samp[$k]}")
done

# --- danekit in one process, per size -------------------------------------

declare -A t_list t_host t_xargs t_bundle nx_inv bundle_note list_check
for n in $sizes; do
	head -n "$n" all.list >"list.$n"
	log "danekit tlsa --list, N=$n (best of $repeat)..."
	t_list[$n]=$(best_time "$repeat" "$danekit" tlsa --list "list.$n")
	ex_danekit <"$tmp/last.out" >"$tmp/list.$n.hash"
	m=$((n < sample ? n : sample))
	if [ "$(wc -l <"$tmp/list.$n.hash")" -ne "$n" ]; then
		list_check[$n]="disagrees ($(wc -l <"$tmp/list.$n.hash") records for $n certificates)"
	else
		head -n "$m" "$tmp/list.$n.hash" >"$tmp/list.$n.head"
		list_check[$n]=$(check_hashes "$tmp/list.$n.head" "$m")
	fi
	cp "$tmp/last.out" "$tmp/list.$n.out"

	t_host[$n]=$(best_time "$repeat" "$danekit" tlsa --host "$host" --list "list.$n")

	nx_inv[$n]=$(xargs -a "list.$n" echo | wc -l)
	t_xargs[$n]=$(best_time "$repeat" xargs -a "list.$n" "$danekit" tlsa)
	if ! cmp -s "$tmp/last.out" "$tmp/list.$n.out"; then
		list_check[$n]="${list_check[$n]}; xargs output DIFFERS from --list"
	fi

	xargs -a "list.$n" cat >"bundle.$n.pem"
	bsize=$(wc -c <"bundle.$n.pem")
	if [ "$bsize" -le $((4 * 1024 * 1024)) ]; then
		t_bundle[$n]=$(best_time "$repeat" "$danekit" tlsa "bundle.$n.pem")
		bundle_note[$n]="gives 1 record, the leaf's, but parses all $n certificates"
	else
		t_bundle[$n]=
		bundle_note[$n]="not run: the bundle is $(awk -v b="$bsize" 'BEGIN{printf "%.1f", b/1048576}') MiB, over danekit's 4 MiB input limit"
	fi
	rm -f "bundle.$n.pem"
done

# --- single invocation -----------------------------------------------------

one=$(head -n 1 all.list)
log "single-invocation latency (hyperfine, $runs runs)..."
hf=(hyperfine -N --warmup 3 --runs "$runs" --style none)
cmds=(-n "danekit tlsa C" "$danekit tlsa $one"
	-n "danekit tlsa --host H C" "$danekit tlsa --host $host $one")
have ldns-dane && cmds+=(-n "ldns-dane -n -c C create H 25 3 1 1" "ldns-dane -n -c $one create $host 25 3 1 1")
have danetool && cmds+=(-n "danetool --tlsa-rr --load-certificate C --host H --port 25" "danetool --tlsa-rr --load-certificate $one --host $host --port 25")
have tlsa && cmds+=(-n "tlsa --create --certificate C ... H" "tlsa --create --certificate $one --usage 3 --selector 1 --mtype 1 --port 25 $host")
cmds+=(-n "openssl x509 -pubkey -noout -in C (1st of the 3 pipeline steps)" "openssl x509 -pubkey -noout -in $one")
"${hf[@]}" --export-json "$tmp/hf1.json" "${cmds[@]}" >/dev/null 2>&1
hyperfine --warmup 3 --runs "$runs" --style none --shell=bash --export-json "$tmp/hf2.json" \
	-n "openssl pipeline (3 processes, bash; shell start-up subtracted)" \
	"openssl x509 -pubkey -noout -in $one | openssl pkey -pubin -outform DER | openssl dgst -sha256" >/dev/null 2>&1
{ jq_or_py "$tmp/hf1.json"; jq_or_py "$tmp/hf2.json"; } >"$tmp/hf.tsv"

# --- report ------------------------------------------------------------------

rep=$tmp/report.md
dk_ver=$("$danekit" --version 2>/dev/null | head -n 1 || true)
{
	echo "# danekit tlsa benchmark"
	echo
	echo "Generated by \`bench/tlsa.sh\` on $(date -u +%Y-%m-%d)."
	echo "Machine: $(nproc) CPU ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(uname -sr);"
	echo "load average at the start $load0, at the end $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "danekit: ${dk_ver:-unknown version} ($(git -C "$here" describe --always --dirty 2>/dev/null || echo 'no git')),"
	echo "$(openssl version)."
	echo
	echo "Certificates: EC P-256, self-signed, one key each (every record differs),"
	echo "PEM, made with \`openssl req -x509\`; page cache warm. Records: \`3 1 1\`"
	echo "(DANE-EE, SPKI, SHA-256). C = one certificate, H = $host,"
	echo "LIST = a file naming the N certificates. Wall-clock time."
	echo
	echo "One-process danekit runs: best of $repeat. Per-process tools (one"
	echo "process per certificate, run one after another from a bash loop):"
	echo "timed on a sample of $sample certificates ($slow_sample for hash-slinger"
	echo "\`tlsa\`), **the time for N is extrapolated** from the sample's rate."
	echo
	for n in $sizes; do
		base=${t_list[$n]}
		echo "## N = $n"
		echo
		echo "| tool | how | certs/s | time for N | time ÷ danekit --list |"
		echo "| --- | --- | ---: | ---: | ---: |"
		row() { # label how seconds note
			echo "| $1 | $2 | $(fmt_rate "$n" "$3") | $(fmt_s "$3")$4 | $(ratio "$3" "$base") |"
		}
		row "danekit" "\`danekit tlsa --list LIST\` (one process)" "${t_list[$n]}" ""
		row "danekit" "\`danekit tlsa --host H --list LIST\` (zone lines)" "${t_host[$n]}" ""
		row "danekit" "\`xargs danekit tlsa < LIST\` (${nx_inv[$n]} process$([ "${nx_inv[$n]}" -gt 1 ] && echo es))" "${t_xargs[$n]}" ""
		if [ -n "${t_bundle[$n]}" ]; then
			echo "| danekit | \`danekit tlsa BUNDLE\` (${bundle_note[$n]}) | — | $(fmt_s "${t_bundle[$n]}") | — |"
		else
			echo "| danekit | \`danekit tlsa BUNDLE\` (${bundle_note[$n]}) | — | — | — |"
		fi
		for k in "${peers[@]}"; do
			t=$(awk -v n="$n" -v r="${rate[$k]}" 'BEGIN{printf "%.6f", n/r}')
			extra=" (extrapolated from ${samp[$k]})"
			[ "${samp[$k]}" -ge "$n" ] && extra=""
			row "${label[$k]}" "${how[$k]} per cert" "$t" "$extra"
		done
		echo
	done

	echo "## Single invocation (one certificate)"
	echo
	echo "\`hyperfine -N --warmup 3 --runs $runs\` (no shell); the openssl pipeline"
	echo "needs a shell, so hyperfine runs it through bash and subtracts bash's start-up."
	echo
	echo "| command | mean ± σ | median | min | median ÷ danekit |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	dkmed=$(awk -F'\t' '$1=="danekit tlsa C"{print $5}' "$tmp/hf.tsv")
	dkmin=$(awk -F'\t' '$1=="danekit tlsa C"{print $4}' "$tmp/hf.tsv")
	awk -F'\t' -v b="$dkmed" '{
		printf "| `%s` | %.2f ± %.2f ms | %.2f ms | %.2f ms | %.2f |\n", $1, $2*1000, $3*1000, $5*1000, $4*1000, $5/b }' "$tmp/hf.tsv"
	echo

	echo "## Correctness (hash equal to the openssl pipeline's)"
	echo
	for n in $sizes; do
		echo "- danekit tlsa --list, N=$n: ${list_check[$n]}"
	done
	for k in "${peers[@]}"; do
		[ "$k" = openssl ] && continue
		echo "- ${label[$k]}: ${verdict[$k]}"
	done
	echo

	echo "## Targets"
	echo
	for n in $sizes; do
		r=$(awk -v n="$n" -v t="${t_list[$n]}" 'BEGIN{printf "%d", n/t}')
		if [ "$r" -ge 50000 ]; then v="met"; else v="**missed**"; fi
		echo "- ≥ 50,000 certificates/s in one process (N=$n): $(fmt_rate "$n" "${t_list[$n]}")/s — $v"
	done
	# peers only: not danekit, not the partial openssl step
	peer_best() { awk -F'\t' -v c="$1" '$1!~/^danekit/ && $1!~/1st of the 3/ {print $c"\t"$1}' "$tmp/hf.tsv" | sort -g | head -n 1; }
	best=$(peer_best 5); bmed=${best%%$'\t'*}; bn=${best#*$'\t'}
	best=$(peer_best 4); bmin=${best%%$'\t'*}
	ms() { awk -v a="$1" 'BEGIN{printf "%.2f ms", a*1000}'; }
	if awk -v a="$dkmed" -v b="$bmed" 'BEGIN{exit !(a <= b)}'; then v="met"; else v="**missed**"; fi
	if awk -v a="$dkmin" -v b="$bmin" 'BEGIN{exit !(a <= b)}'; then v2="met"; else v2="**missed**"; fi
	echo "- single invocation no slower than the fastest peer (\`${bn%% *}\`):"
	echo "  by median danekit $(ms "$dkmed") vs $(ms "$bmed") — $v;"
	echo "  by min danekit $(ms "$dkmin") vs $(ms "$bmin") — $v2"
} >"$rep"

cat "$rep"
if [ "$out" != - ]; then
	cp "$rep" "$out"
	log "report written to $out"
fi
