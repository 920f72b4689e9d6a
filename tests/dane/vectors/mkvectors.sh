#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# mkvectors.sh VECTORS.IN OUTDIR [STAMP]
#
# The fixtures of the offline DANE vectors, with the openssl command line
# only: a root CA, an intermediate CA, a leaf for mail.example.test (valid
# now), an expired leaf under the same intermediate, and an unrelated key.
# Then vectors.txt: VECTORS.IN with every @NAME.WHAT.HOW@ replaced by the
# association data computed with openssl (never with danekit):
#   NAME: root int leaf expired other
#   WHAT: spki (SubjectPublicKeyInfo) or cert (the whole certificate)
#   HOW:  256 (SHA-256), 512 (SHA-512), full (the DER itself), 256short
#         (SHA-256 cut to 31 bytes: malformed)
# Keys are random: made afresh at every build.
set -euo pipefail

in=${1:?usage: mkvectors.sh VECTORS.IN OUTDIR [STAMP]}
out=${2:?usage: mkvectors.sh VECTORS.IN OUTDIR [STAMP]}
stamp=${3:-}
case $in in /*) ;; *) in=$PWD/$in ;; esac
if [ -n "$stamp" ]; then
	case $stamp in /*) ;; *) stamp=$PWD/$stamp ;; esac
fi
rm -rf "$out"
mkdir -p "$out"
cd "$out"

ossl() { openssl "$@" 2>/dev/null; }
key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }

for k in root int leaf expired other; do key "$k"; done

ossl req -x509 -new -key root.key -subj "/CN=danekit vectors root" -days 3650 \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign -out root.pem
ossl req -new -key int.key -subj "/CN=danekit vectors intermediate" -out int.csr
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
ossl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 2 \
	-days 3650 -extfile ca.ext -out int.pem
printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:mail.example.test\nextendedKeyUsage=serverAuth\n' >leaf.ext
ossl req -new -key leaf.key -subj "/CN=mail.example.test" -out leaf.csr
ossl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 3 \
	-days 365 -extfile leaf.ext -out leaf.pem

# The expired leaf: `openssl ca` sets dates in the past.
mkdir -p ca/new
: >ca/index.txt
echo 04 >ca/serial
cat >ca.cnf <<CNF
[ ca ]
default_ca = vec
[ vec ]
dir = $PWD/ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = supplied
CNF
ossl req -new -key expired.key -subj "/CN=mail.example.test" \
	-addext subjectAltName=DNS:mail.example.test -out expired.csr
ossl ca -batch -config ca.cnf -cert int.pem -keyfile int.key -in expired.csr \
	-startdate 20200101000000Z -enddate 20200201000000Z -notext -out expired.pem

for f in root int leaf expired; do
	[ -s "$f.pem" ] || { echo "mkvectors: no $f.pem" >&2; exit 1; }
done

hex() { od -An -v -tx1 | tr -d ' \n'; }
der() { # NAME WHAT: the DER of the key or certificate
	case $2 in
	spki)
		if [ -f "$1.pem" ]; then
			ossl x509 -in "$1.pem" -pubkey -noout | ossl pkey -pubin -outform DER
		else
			ossl pkey -in "$1.key" -pubout -outform DER
		fi
		;;
	cert) ossl x509 -in "$1.pem" -outform DER ;;
	esac
}
value() { # NAME WHAT HOW
	case $3 in
	256) der "$1" "$2" | ossl dgst -sha256 -r | cut -c1-64 ;;
	512) der "$1" "$2" | ossl dgst -sha512 -r | cut -c1-128 ;;
	full) der "$1" "$2" | hex ;;
	256short) der "$1" "$2" | ossl dgst -sha256 -r | cut -c1-62 ;;
	esac
}

cp "$in" vectors.tmp
for name in root int leaf expired other; do
	for what in spki cert; do
		[ "$what" = cert ] && [ "$name" = other ] && continue
		for how in 256 512 full 256short; do
			v="$(value "$name" "$what" "$how")"
			[ -n "$v" ] || { echo "mkvectors: no value for $name.$what.$how" >&2; exit 1; }
			sed -i "s|@$name\.$what\.$how@|$v|g" vectors.tmp
		done
	done
done
if grep -n '@[a-z]*\.[a-z]*\.[0-9a-z]*@' vectors.tmp >&2; then
	echo "mkvectors: unknown placeholders above" >&2
	exit 1
fi
mv vectors.tmp vectors.txt
rm -rf ca ca.cnf ./*.csr ./*.ext
[ -z "$stamp" ] || touch "$stamp"
