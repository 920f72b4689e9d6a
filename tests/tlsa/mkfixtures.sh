#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# mkfixtures.sh OUTDIR [STAMP]
#
# Make the fixtures of the tlsa tests with the openssl command line only:
# keys of every type in every form, self-signed certificates, a chain, CSRs,
# public keys, bad inputs, and expected.tsv, the association data of every
# input for every usage, selector and matching type, computed with
# `openssl x509|req|pkey ... -outform DER | openssl dgst`, never with
# danekit. Everything is made afresh at every run (keys are random).
#
# expected.tsv: FILE KIND USAGE SELECTOR MTYPE HEX (tab-separated, FILE
# relative to OUTDIR, KIND one of cert privkey pubkey csr, HEX "-" where
# danekit must refuse: selector 0 of a key or CSR). chain-index.tsv: FILE
# INDEX CERTFILE, the certificate files a chain is made of, leaf first.
# kinds.tsv: FILE KIND NCERTS.
set -euo pipefail

out=${1:?usage: mkfixtures.sh OUTDIR [STAMP]}
stamp=${2:-}
if [ -n "$stamp" ]; then
	case $stamp in /*) ;; *) stamp=$PWD/$stamp ;; esac
fi

rm -rf "$out"
mkdir -p "$out"
cd "$out"
mkdir bad bad/dir tmp

ossl() {
	openssl "$@" 2>/dev/null
}

# --- keys of every type -------------------------------------------------
declare -A genargs=(
	[rsa]="-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
	[p256]="-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve"
	[p384]="-algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve"
	[p521]="-algorithm EC -pkeyopt ec_paramgen_curve:P-521 -pkeyopt ec_param_enc:named_curve"
	[ed25519]="-algorithm ED25519"
	[ed448]="-algorithm ED448"
)
keys="rsa p256 p384 p521 ed25519 ed448"

# Generation of the keys runs in parallel (RSA is the slow one).
for k in $keys; do
	# shellcheck disable=SC2086
	ossl genpkey ${genargs[$k]} -out "$k.key.pem" &
done
for k in ca int leaf; do
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$k.key.pem" &
done
wait
for k in $keys ca int leaf; do
	[ -s "$k.key.pem" ] || { echo "mkfixtures: no key $k" >&2; exit 1; }
done

for k in $keys; do
	(
		# PKCS#8 DER
		ossl pkcs8 -topk8 -nocrypt -in "$k.key.pem" -outform DER -out "$k.key.der"
		case $k in
		rsa | p*)
			# traditional PEM ("RSA/EC PRIVATE KEY") and DER
			ossl pkey -in "$k.key.pem" -traditional -out "$k.trad.pem"
			ossl pkey -in "$k.key.pem" -outform DER -out "$k.trad.der"
			;;
		esac
		ossl pkey -in "$k.key.pem" -pubout -out "$k.pub.pem"
		ossl pkey -in "$k.key.pem" -pubout -outform DER -out "$k.pub.der"
		ossl req -new -key "$k.key.pem" -subj "/CN=$k.example" -out "$k.csr.pem"
		ossl req -in "$k.csr.pem" -outform DER -out "$k.csr.der"
		ossl req -x509 -new -key "$k.key.pem" -subj "/CN=$k.example" \
			-days 3650 -out "$k.crt.pem"
		ossl x509 -in "$k.crt.pem" -outform DER -out "$k.crt.der"
	) &
done
# PKCS#1 "RSA PUBLIC KEY"
ossl rsa -in rsa.key.pem -RSAPublicKey_out -out rsa.pkcs1pub.pem

# --- a chain: root CA -> intermediate -> leaf --------------------------
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:mail.example.com\n' >leaf.ext
ossl req -x509 -new -key ca.key.pem -subj "/CN=danekit test root" -days 3650 \
	-addext "basicConstraints=critical,CA:TRUE" -out ca.crt.pem
ossl req -new -key int.key.pem -subj "/CN=danekit test intermediate" -out int.csr.pem
ossl x509 -req -in int.csr.pem -CA ca.crt.pem -CAkey ca.key.pem -set_serial 2 \
	-days 3650 -extfile ca.ext -out int.crt.pem
ossl req -new -key leaf.key.pem -subj "/CN=mail.example.com" -out leaf.csr.pem
ossl x509 -req -in leaf.csr.pem -CA int.crt.pem -CAkey int.key.pem -set_serial 3 \
	-days 3650 -extfile leaf.ext -out leaf.crt.pem
rm -f ca.ext leaf.ext int.csr.pem leaf.csr.pem
ossl x509 -in leaf.crt.pem -outform DER -out leaf.crt.der
cat leaf.crt.pem int.crt.pem ca.crt.pem >chain.pem
cat leaf.crt.pem int.crt.pem >chain2.pem
# a combined file, key then certificate: the certificate wins
cat leaf.key.pem leaf.crt.pem >combo.pem
wait

# --- bad inputs ---------------------------------------------------------
: >bad/empty.pem
head -c 300 p256.crt.pem >bad/truncated.pem
{ cat leaf.crt.pem; head -c 200 int.crt.pem; } >bad/truncated-chain.pem
printf -- '-----BEGIN CERTIFICATE-----\n!!!!not*base64@@@@\n-----END CERTIFICATE-----\n' \
	>bad/corrupt-base64.pem
{
	echo '-----BEGIN CERTIFICATE-----'
	openssl rand 300 | openssl base64
	echo '-----END CERTIFICATE-----'
} >bad/corrupt-der.pem
{
	echo '-----BEGIN FOO-----'
	openssl x509 -in p256.crt.pem -outform DER | openssl base64
	echo '-----END FOO-----'
} >bad/unknown-label.pem
head -c 200 rsa.crt.der >bad/truncated.der
{ cat rsa.crt.der; printf '\0\0'; } >bad/trailing.der
{
	echo '-----BEGIN CERTIFICATE-----'
	{ cat p256.crt.der; printf 'junk'; } | openssl base64
	echo '-----END CERTIFICATE-----'
} >bad/trailing.pem
openssl rand 4096 >bad/random.bin
printf 'hello, this is not a certificate\n' >bad/text.txt
head -c 10485760 /dev/zero >bad/big.bin
ossl pkcs8 -topk8 -in p256.key.pem -v2 aes-256-cbc -passout pass:secret \
	-out bad/encrypted.pem
ossl pkcs8 -topk8 -in ed25519.key.pem -v2 aes-256-cbc -passout pass:secret \
	-outform DER -out bad/encrypted.der
ossl rsa -in rsa.key.pem -aes256 -traditional -passout pass:secret \
	-out bad/encrypted-trad.pem
cat p256.pub.pem p384.pub.pem >bad/two-keys.pem

# --- expected association data -----------------------------------------
hexof() { # file -> lower-case hex, one line
	od -An -v -tx1 "$1" | tr -d ' \n'
}
sha() { # bits file
	openssl dgst -"sha$1" -r "$2" | cut -d' ' -f1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# assoc NAME DERFILE: $tmp/NAME.0 .1 .2 (hex for mtype 0 1 2)
assoc() {
	hexof "$2" >"$tmp/$1.0"
	sha 256 "$2" >"$tmp/$1.1"
	sha 512 "$2" >"$tmp/$1.2"
	[ -s "$tmp/$1.0" ] && [ -s "$tmp/$1.1" ] && [ -s "$tmp/$1.2" ]
}

: >expected.tsv
: >kinds.tsv
: >chain-index.tsv

# rows FILE KIND CERTNAME_EE CERTNAME_TA SPKINAME_EE SPKINAME_TA
# (names of the assoc results; "-" for no certificate)
rows() {
	local f=$1 kind=$2 u s m src
	for u in 0 1 2 3; do
		for s in 0 1; do
			for m in 0 1 2; do
				if [ "$s" = 0 ]; then
					if [ "$u" = 0 ] || [ "$u" = 2 ]; then src=$4; else src=$3; fi
				else
					if [ "$u" = 0 ] || [ "$u" = 2 ]; then src=$6; else src=$5; fi
				fi
				if [ "$src" = - ]; then
					printf '%s\t%s\t%s\t%s\t%s\t-\n' "$f" "$kind" "$u" "$s" "$m"
				else
					printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$kind" "$u" "$s" "$m" \
						"$(cat "$tmp/$src.$m")"
				fi
			done
		done
	done >>expected.tsv
}

# One certificate, PEM or DER.
cert_file() { # file form name
	local f=$1 form=$2 n=$3
	openssl x509 -in "$f" -inform "$form" -outform DER -out "$tmp/$n.cert.der"
	openssl x509 -in "$f" -inform "$form" -pubkey -noout |
		openssl pkey -pubin -outform DER -out "$tmp/$n.spki.der"
	assoc "$n.cert" "$tmp/$n.cert.der"
	assoc "$n.spki" "$tmp/$n.spki.der"
	rows "$f" cert "$n.cert" "$n.cert" "$n.spki" "$n.spki"
	printf '%s\tcert\t1\n' "$f" >>kinds.tsv
}

key_file() { # file kind form(PEM|DER) name
	local f=$1 kind=$2 form=$3 n=$4
	case $kind in
	privkey) openssl pkey -in "$f" -inform "$form" -pubout -outform DER \
			-out "$tmp/$n.spki.der" ;;
	pubkey) openssl pkey -pubin -in "$f" -inform "$form" -outform DER \
			-out "$tmp/$n.spki.der" ;;
	pkcs1) openssl rsa -RSAPublicKey_in -in "$f" -pubout -outform DER \
			-out "$tmp/$n.spki.der" 2>/dev/null
		kind=pubkey ;;
	csr) openssl req -in "$f" -inform "$form" -pubkey -noout |
			openssl pkey -pubin -outform DER -out "$tmp/$n.spki.der" ;;
	esac
	assoc "$n.spki" "$tmp/$n.spki.der"
	rows "$f" "$kind" - - "$n.spki" "$n.spki"
	printf '%s\t%s\t0\n' "$f" "$kind" >>kinds.tsv
}

for k in $keys; do
	cert_file "$k.crt.pem" PEM "$k-crt-pem"
	cert_file "$k.crt.der" DER "$k-crt-der"
	key_file "$k.key.pem" privkey PEM "$k-key-pem"
	key_file "$k.key.der" privkey DER "$k-key-der"
	if [ -e "$k.trad.pem" ]; then
		key_file "$k.trad.pem" privkey PEM "$k-trad-pem"
		key_file "$k.trad.der" privkey DER "$k-trad-der"
	fi
	key_file "$k.pub.pem" pubkey PEM "$k-pub-pem"
	key_file "$k.pub.der" pubkey DER "$k-pub-der"
	key_file "$k.csr.pem" csr PEM "$k-csr-pem"
	key_file "$k.csr.der" csr DER "$k-csr-der"
done
key_file rsa.pkcs1pub.pem pkcs1 PEM rsa-pkcs1

for c in leaf int ca; do
	cert_file "$c.crt.pem" PEM "$c"
done
cert_file leaf.crt.der DER leaf-der

# Chains: the first certificate of the bundle as `openssl x509` reads it,
# the last one cut out of the bundle with awk.
last_cert() { # bundle
	awk '/-----BEGIN CERTIFICATE-----/ { buf = "" } { buf = buf $0 "\n" }
	     END { printf "%s", buf }' "$1" | sed -n '/-----BEGIN/,/-----END/p'
}
chain_file() { # file name ncerts
	local f=$1 n=$2 nc=$3
	openssl x509 -in "$f" -outform DER -out "$tmp/$n.ee.der"
	openssl x509 -in "$f" -pubkey -noout |
		openssl pkey -pubin -outform DER -out "$tmp/$n.eespki.der"
	last_cert "$f" | openssl x509 -outform DER -out "$tmp/$n.ta.der"
	last_cert "$f" | openssl x509 -pubkey -noout |
		openssl pkey -pubin -outform DER -out "$tmp/$n.taspki.der"
	assoc "$n.ee" "$tmp/$n.ee.der"
	assoc "$n.eespki" "$tmp/$n.eespki.der"
	assoc "$n.ta" "$tmp/$n.ta.der"
	assoc "$n.taspki" "$tmp/$n.taspki.der"
	rows "$f" cert "$n.ee" "$n.ta" "$n.eespki" "$n.taspki"
	printf '%s\tcert\t%s\n' "$f" "$nc" >>kinds.tsv
}
chain_file chain.pem chain 3
chain_file chain2.pem chain2 2
# combo.pem: leaf key, then leaf certificate: read as the certificate
openssl x509 -in combo.pem -outform DER -out "$tmp/combo.der"
openssl x509 -in combo.pem -pubkey -noout |
	openssl pkey -pubin -outform DER -out "$tmp/combo.spki.der"
assoc combo "$tmp/combo.der"
assoc combo.spki "$tmp/combo.spki.der"
rows combo.pem cert combo combo combo.spki combo.spki
printf 'combo.pem\tcert\t1\n' >>kinds.tsv

printf 'chain.pem\t0\tleaf.crt.pem\nchain.pem\t1\tint.crt.pem\nchain.pem\t2\tca.crt.pem\n' \
	>>chain-index.tsv
printf 'chain2.pem\t0\tleaf.crt.pem\nchain2.pem\t1\tint.crt.pem\n' >>chain-index.tsv

# Lone certificates that name no trust anchor, per openssl: neither a CA
# (basicConstraints CA:TRUE) nor self-signed. Usages 0 and 2 of these
# are refused unless a certificate index is given.
: >lone-leaf.txt
awk -F'\t' '$2 == "cert" && $3 == 1 { print $1 }' kinds.tsv |
	while read -r f; do
		form=PEM
		case $f in *.der) form=DER ;; esac
		bc=$(openssl x509 -in "$f" -inform "$form" -noout \
			-ext basicConstraints 2>/dev/null || true)
		subj=$(openssl x509 -in "$f" -inform "$form" -noout -subject |
			sed 's/^subject=//')
		iss=$(openssl x509 -in "$f" -inform "$form" -noout -issuer |
			sed 's/^issuer=//')
		case $bc in *CA:TRUE*) continue ;; esac
		[ "$subj" = "$iss" ] && continue
		printf '%s\n' "$f"
	done >>lone-leaf.txt
grep -qx 'leaf.crt.pem' lone-leaf.txt || {
	echo "mkfixtures: leaf.crt.pem should be a lone leaf" >&2
	exit 1
}

# Sanity: the table is complete and every hash is well-formed.
rows_expected=$(($(wc -l <kinds.tsv) * 24))
if [ "$(wc -l <expected.tsv)" != "$rows_expected" ] ||
	awk -F'\t' '$6 != "-" && ($6 !~ /^[0-9a-f]+$/ || ($5 == 1 && length($6) != 64) ||
	     ($5 == 2 && length($6) != 128)) { bad = 1 } END { exit !bad }' expected.tsv; then
	echo "mkfixtures: expected.tsv is incomplete or malformed" >&2
	exit 1
fi

if [ -n "$stamp" ]; then
	date >"$stamp"
fi
