#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/profile-tlsa.sh: where does `danekit tlsa` spend its instructions?
# Runs danekit under valgrind's callgrind (instruction counts: exact and
# unaffected by other load on the machine, unlike perf samples) on N
# certificates in one process and on one certificate, and prints a
# Markdown table of the inclusive cost of the functions that matter.
#
# Usage: bench/profile-tlsa.sh [-d DANEKIT] [-n N] [-k CERTDIR]
#   N defaults to 1000 (10000 takes a few minutes under callgrind).
#   CERTDIR: reuse certificates made by `bench/tlsa.sh -k CERTDIR`.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
danekit=${DANEKIT:-}
n=1000
keep=
while [ $# -gt 0 ]; do
	case $1 in
	-d | --danekit) danekit=$2; shift 2 ;;
	-n) n=$2; shift 2 ;;
	-k | --keep) keep=$2; shift 2 ;;
	-h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "profile-tlsa.sh: unknown argument '$1'" >&2; exit 64 ;;
	esac
done
if [ -z "$danekit" ]; then
	for c in "$here/../build-bench/tools/danekit" "$here/../build/tools/danekit"; do
		if [ -x "$c" ]; then danekit=$c; break; fi
	done
fi
if [ -z "$danekit" ] || [ ! -x "$danekit" ]; then
	echo "profile-tlsa.sh: no danekit binary (give -d)" >&2
	exit 1
fi
danekit=$(realpath "$danekit")
for t in valgrind callgrind_annotate openssl; do
	command -v "$t" >/dev/null || { echo "profile-tlsa.sh: $t is needed" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/danekit-profile-tlsa.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
work=${keep:-$tmp/certs}
mkdir -p "$work/c"
cd "$work"
if [ "$(find c -name '*.pem' | wc -l)" -lt "$n" ]; then
	echo "profile-tlsa.sh: generating $n certificates..." >&2
	seq -f %06g 1 "$n" | xargs -P2 -I{} openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
		-subj "/CN=h{}.example" -days 30 -out "c/{}.pem" 2>/dev/null
fi
seq -f 'c/%06g.pem' 1 "$n" >"$tmp/list"

run() { # name, args... -> callgrind file $tmp/cg.name
	local name=$1; shift
	echo "profile-tlsa.sh: callgrind: danekit $* ..." >&2
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$name" \
		"$danekit" "$@" >/dev/null 2>"$tmp/cg.$name.log"
}
run many tlsa --list "$tmp/list"
run one tlsa c/000001.pem

# inclusive Ir of a function (first match) in a callgrind file
ir() {
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
		awk -v f="$2" '{ s=$0; sub(/^ +/, "", s); split(s, a, " ");
			if (!done && index(s, ":" f " [")) { gsub(",", "", a[1]); print a[1]; done=1 } }'
}
total() { awk '/Collected/ {gsub(",", "", $NF); print $NF}' "$1.log"; }

tm=$(total "$tmp/cg.many")
t1=$(total "$tmp/cg.one")
echo "# Where \`danekit tlsa\` spends its instructions (callgrind)"
echo
echo "$("$danekit" --version 2>/dev/null | head -n 1), $(openssl version | cut -d' ' -f1-2);"
echo "EC P-256 self-signed certificates, records 3 1 1. Inclusive instruction counts (Ir)."
echo
echo "| function | --list, $n certs: Ir per cert | share | one cert: Ir | share |"
echo "| --- | ---: | ---: | ---: | ---: |"
printf '| %s | %s | 100%% | %s | 100%% |\n' "whole process" \
	"$(awk -v a="$tm" -v n="$n" 'BEGIN{printf "%.0f", a/n}')" "$t1"
for f in _dl_relocate_object OPENSSL_init_crypto dk_input_read_file PEM_read_bio \
	d2i_X509 OSSL_DECODER_CTX_new_for_pkey OSSL_DECODER_from_data \
	i2d_X509_PUBKEY EVP_Digest EVP_MD_fetch ERR_clear_error dk_tlsa_cmp \
	dk_tlsa_format dk_input_free; do
	a=$(ir "$tmp/cg.many" "$f"); b=$(ir "$tmp/cg.one" "$f")
	a=${a:-0}; b=${b:-0}
	awk -v f="$f" -v a="$a" -v b="$b" -v n="$n" -v tm="$tm" -v t1="$t1" 'BEGIN{
		printf "| `%s` | %.0f | %.1f%% | %d | %.1f%% |\n", f, a/n, 100*a/tm, b, 100*b/t1 }'
done
