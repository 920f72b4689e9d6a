#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Regenerate the seed corpora of the fuzz targets (tests/fuzz/corpus/*)
# and the chain the lint target checks records against (lint_chain.h).
# Reproducers (corpus/*/repro-*) are kept. Needs openssl(1), xxd(1).
#
#   tests/fuzz/mkcorpus.sh            # from the top of the source tree
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
c=$here/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for t in input tlsa_parse host wire starttls lint spf dmarc dkim bimi sts tlsrpt svg; do
	mkdir -p "$c/$t"
	find "$c/$t" -type f ! -name 'repro-*' -delete
done

cd "$tmp"
days=(-days 3650)
subj() { printf '/CN=%s' "$1"; }

# --- input: certificates, chains, keys and CSRs, PEM and DER ------------
openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -subj "$(subj 'Fuzz Root')" "${days[@]}" \
	-addext basicConstraints=critical,CA:TRUE -out ca.pem
openssl ecparam -name prime256v1 -genkey -noout -out int.key 2>/dev/null
openssl req -new -key int.key -subj "$(subj 'Fuzz Int')" -out int.csr
openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -set_serial 2 \
	"${days[@]}" -extfile <(echo basicConstraints=critical,CA:TRUE) \
	-out int.pem 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key 2>/dev/null
openssl req -new -key leaf.key -subj "$(subj mail.example)" -out leaf.csr
openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 3 \
	"${days[@]}" -extfile <(printf 'subjectAltName=DNS:mail.example\n') \
	-out leaf.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed.key
openssl req -x509 -new -key ed.key -subj "$(subj ed.example)" "${days[@]}" \
	-out ed.pem
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out rsa.key \
	2>/dev/null
openssl req -x509 -new -key rsa.key -subj "$(subj rsa.example)" "${days[@]}" \
	-out rsa.pem

i=$c/input
cp leaf.pem "$i/cert-ec.pem"
openssl x509 -in leaf.pem -outform DER -out "$i/cert-ec.der"
cat leaf.pem int.pem ca.pem >"$i/chain3.pem"
cat leaf.pem int.pem >"$i/chain2.pem"
cp ed.pem "$i/cert-ed25519.pem"
openssl x509 -in rsa.pem -outform DER -out "$i/cert-rsa.der"
openssl x509 -in leaf.pem -trustout -addtrust serverAuth -out "$i/trusted.pem"
sed 's/BEGIN CERTIFICATE/BEGIN X509 CERTIFICATE/;s/END CERTIFICATE/END X509 CERTIFICATE/' \
	leaf.pem >"$i/x509-label.pem"
cp leaf.csr "$i/csr-ec.pem"
openssl req -in leaf.csr -outform DER -out "$i/csr-ec.der"
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' leaf.csr >"$i/csr-new.pem"
openssl pkey -in leaf.key -out "$i/key-pkcs8.pem"
cp leaf.key "$i/key-sec1.pem"
openssl ecparam -name prime256v1 -genkey -out "$i/key-ecparams.pem" 2>/dev/null
openssl pkey -in leaf.key -outform DER -out "$i/key-pkcs8.der"
openssl pkey -in ed.key -out "$i/key-ed25519.pem"
openssl pkey -in rsa.key -traditional -out "$i/key-rsa-trad.pem"
openssl pkey -in leaf.key -pubout -out "$i/pub-ec.pem"
openssl pkey -in leaf.key -pubout -outform DER -out "$i/pub-ec.der"
openssl rsa -in rsa.key -RSAPublicKey_out -out "$i/pub-rsa-pkcs1.pem" \
	2>/dev/null
openssl pkcs8 -topk8 -in ed.key -passout pass:x -v2 aes-128-cbc \
	-out "$i/key-encrypted.pem"
openssl pkcs8 -topk8 -in ed.key -passout pass:x -v2 aes-128-cbc \
	-outform DER -out "$i/key-encrypted.der"
openssl rsa -in rsa.key -traditional -aes128 -passout pass:x \
	-out "$i/key-rsa-encrypted-header.pem" 2>/dev/null
cat leaf.pem leaf.key >"$i/cert-and-key.pem"
cat leaf.key ed.key >"$i/two-keys.pem"
printf -- '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n' \
	>"$i/crl-label.pem"
head -c 300 leaf.pem >"$i/truncated.pem"
printf 'not a certificate\n' >"$i/text.txt"

# --- tlsa_parse: presentation format --------------------------------------
leaf_spki=$(openssl x509 -in leaf.pem -noout -pubkey |
	openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -c1-64)
int_spki=$(openssl x509 -in int.pem -noout -pubkey |
	openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -c1-64)
leaf_spki512=$(openssl x509 -in leaf.pem -noout -pubkey |
	openssl pkey -pubin -outform DER | openssl dgst -sha512 -r | cut -c1-128)
leaf_cert=$(openssl x509 -in leaf.pem -outform DER | openssl dgst -sha256 -r |
	cut -c1-64)
p=$c/tlsa_parse
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s\n' "$line" >"$p/$(printf '%02d' $n).txt"
done <<LINES
3 1 1 $leaf_spki
DANE-EE SPKI SHA2-256 $leaf_spki
dane-ta spki sha2-512 $leaf_spki512
2 0 1 $leaf_cert
PKIX-TA Cert Full 3059301306072a8648ce3d020106082a8648ce3d03010703420004
_25._tcp.mail.example. 3600 IN TLSA 3 1 1 $leaf_spki
_25._tcp.mail.example. IN TLSA DANE-EE SPKI SHA2-256 ( $leaf_spki )
_443._tcp.www.example. 300 IN TYPE52 \\# 35 030101$leaf_spki
_443._tcp.www.example. 300 IN TLSA \\# 3 030101
_25._tcp.mail.example. 3600 IN TLSA 3 1 1 ${leaf_spki:0:63}
3 1 1 ab cd ef 01 ; comment
_25._tcp.mail.example. 3600 CH TLSA 3 1 1 00
mail.example. 3600 IN A 192.0.2.1
255 255 255 00
4 1 1 $int_spki
LINES

# --- host: 2 bytes port, 1 byte protocol, then the host name --------------
h=$c/host
mk_host() { # port proto name file
	printf "\\x$(printf %02x $(($1 >> 8)))\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x "$2")%s" \
		"$3" >"$h/$4"
}
mk_host 25 0 mail.example. smtp
mk_host 443 0 www.example.com https
mk_host 853 1 dns.example dot-udp
mk_host 5061 2 sip.example. sctp
mk_host 65535 0 a.b-c.d_e.example portmax
mk_host 0 0 example.com port0
mk_host 25 3 example.com badproto
mk_host 25 0 "$(printf 'a%.0s' {1..63}).example" label63
mk_host 25 0 "$(printf 'a%.0s' {1..64}).example" label64
mk_host 25 0 "$(printf 'abcdefghi.%.0s' {1..25})abc" len253
mk_host 25 0 "-bad.example" dash
mk_host 25 0 "b\xc3\xbccher.example" nonascii
mk_host 25 0 "a..b" empty-label
mk_host 25 0 "xn--bcher-kva.example." alabel

# --- wire: TLSA RDATA ----------------------------------------------------
w=$c/wire
printf '\x03\x01\x01' >"$w/empty-data"
{ printf '\x03\x01\x01'; xxd -r -p <<<"$leaf_spki"; } >"$w/3-1-1"
{ printf '\x02\x01\x02'; xxd -r -p <<<"$leaf_spki512"; } >"$w/2-1-2"
{ printf '\x03\x00\x00'; openssl x509 -in leaf.pem -outform DER; } >"$w/3-0-0"
printf '\xff\xff\xff\x00' >"$w/unknown"
printf '\x03\x01' >"$w/short"

# --- starttls: 1 byte protocol (1 SMTP .. 5 FTP), then the server's part --
s=$c/starttls
printf '\x01220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 go ahead\r\n' >"$s/smtp-ok"
printf '\x01220-mx.example ESMTP\r\n220 hi\r\n250-mx.example\r\n250 SIZE 1000\r\n' >"$s/smtp-no-starttls"
printf '\x01554 go away\r\n' >"$s/smtp-refused"
printf '\x01220 ok\n250 STARTTLS\n454 TLS not available\n' >"$s/smtp-454"
printf '\x01hello\r\n' >"$s/smtp-garbage"
printf '\x02* OK IMAP4rev1 ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\ndk1 OK begin TLS\r\n' >"$s/imap-ok"
printf '\x02* OK ready\r\ndk1 NO nope\r\n' >"$s/imap-no"
printf '\x03+OK POP3 ready\r\n+OK begin TLS\r\n' >"$s/pop3-ok"
printf '\x03+OK POP3 ready\r\n-ERR no\r\n' >"$s/pop3-err"
printf "\\x04<?xml version='1.0'?><stream:stream from='example' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" >"$s/xmpp-ok"
printf "\\x04<stream:stream><stream:features><mechanisms/></stream:features>" >"$s/xmpp-none"
printf '\x05220 FTP ready\r\n234 AUTH TLS ok\r\n' >"$s/ftp-ok"
printf '\x05220 FTP ready\r\n500 no\r\n' >"$s/ftp-refused"
printf '\x00' >"$s/none"

# --- lint: 1 flag byte (bit 0 SMTP, bit 1 no chain, bit 2 the chain
# twice, bit 3 RRset not secure), then records as 2-byte length + RDATA --
l=$c/lint
rec() { # u s m hex
	local len=$(((${#4} / 2) + 3))
	printf "\\x$(printf %02x $((len >> 8)))\\x$(printf %02x $((len & 255)))\\x$(printf %02x "$1")\\x$(printf %02x "$2")\\x$(printf %02x "$3")"
	xxd -r -p <<<"$4"
}
{ printf '\x01'; rec 3 1 1 "$leaf_spki"; } >"$l/single"
{ printf '\x01'; rec 3 1 1 "$leaf_spki"; rec 2 1 1 "$int_spki"; } >"$l/leaf-int"
{ printf '\x01'; rec 3 1 1 "$leaf_spki"; rec 3 1 1 "$leaf_spki"; } >"$l/dup"
{ printf '\x01'; rec 3 1 2 "$leaf_spki512"; rec 3 0 1 "$leaf_cert"; } >"$l/sha512"
{ printf '\x00'; rec 0 1 1 "$int_spki"; rec 1 1 1 "$leaf_spki"; rec 4 1 1 00; } >"$l/pkix-tls"
{ printf '\x05'; rec 3 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855; rec 2 1 1 abcdef; } >"$l/empty-digest"
{ printf '\x03'; rec 3 1 0 "$(openssl x509 -in leaf.pem -noout -pubkey |
	openssl pkey -pubin -outform DER | xxd -p | tr -d '\n')"; } >"$l/full-nochain"
{ printf '\x01'; for _ in $(seq 13); do rec 3 1 1 "$leaf_spki"; done; } >"$l/many"

# --- spf, dmarc, dkim, bimi: mail records (RFC 7208, RFC 7489, RFC 6376,
# BIMI), one record per file; keys from openssl (RFC 8463 raw Ed25519) --
s=$c/spf
printf 'v=spf1 -all' >"$s/minimal"
printf 'v=spf1 a mx/24//64 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.com ~all' >"$s/mechanisms"
printf 'v=spf1 exists:%%{ir}.%%{l1r+-}._spf.%%{d} include:%%{d2}.example.net ?all exp=explain.%%{d}' >"$s/macros"
printf 'v=spf1 redirect=_spf.example.com' >"$s/redirect"
printf 'v=spf1 ip4:192.0.2.300 a:localhost exists:%%{z} -all' >"$s/bad"
printf 'v=spf1 -all ip4:192.0.2.1 foo=bar %%{L}.x' >"$s/after-all"
d=$c/dmarc
printf 'v=DMARC1; p=reject; sp=quarantine; np=none; pct=50; t=y; psd=n; rua=mailto:a@example.com!10m,https://r.example/x; ruf=mailto:f@example.net; adkim=s; aspf=r; fo=1; foo=bar' >"$d/full"
printf 'v=DMARC1 p=reject' >"$d/no-sep"
printf 'v = dmarc1 ;p=block;pct=101;junk' >"$d/bad"
k=$c/dkim
rsa=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl pkey -pubout -outform DER | base64 -w0)
openssl genpkey -algorithm ed25519 -out ed-dkim.key
ed=$(openssl pkey -in ed-dkim.key -pubout -outform DER | tail -c 32 | base64 -w0)
edspki=$(openssl pkey -in ed-dkim.key -pubout -outform DER | base64 -w0)
printf 'v=DKIM1; k=rsa; h=sha256; s=email; t=s; p=%s' "$rsa" >"$k/rsa"
printf 'v=DKIM1; k=ed25519; p=%s' "$ed" >"$k/ed25519"
printf 'v=DKIM1; k=ed25519; p=%s' "$edspki" >"$k/ed25519-spki"
printf 'k=rsa; v=DKIM1; h=sha1; s=tlsrpt; t=y; p=%s' "${rsa:0:40} ${rsa:40}" >"$k/flags-fws"
printf 'v=DKIM1; p=' >"$k/revoked"
printf 'v=DKIM1; p="MIGf!!"; x' >"$k/bad"
b=$c/bimi
printf 'v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem;' >"$b/full"
printf 'v=BIMI1; l=; a=;' >"$b/declined"
printf 'v=BIMI1; l=http://a.example/1.svg,https://a.example/2.svg; l=x' >"$b/bad"
# --- sts, tlsrpt, svg: MTA-STS (RFC 8461: first byte even = policy, odd =
# TXT record), TLS-RPT (RFC 8460), the root element of a BIMI logo -------
m=$c/sts
printf '\0version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n' >"$m/policy-enforce"
printf '\0version: STSv1\nmode: testing\nmode: enforce\nmx: mx.example.\nmx: mail*.example\nmax_age: 99999999999\n\nx: \r\n' >"$m/policy-lint"
printf '\0version: STSv1\rmode: none\nmax_age: 3600' >"$m/policy-bare-cr"
printf '\1v=STSv1; id=20190429T010101;' >"$m/txt"
printf '\1v=STSv1 ; id=abc; ext=val; id=x' >"$m/txt-prefix"
printf '\1v=STSv1; id=not-alnum!' >"$m/txt-bad"
r=$c/tlsrpt
printf 'v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://r.example/report' >"$r/full"
printf 'v=TLSRPTv1;rua=ftp://x.example/;rua=mailto:a@b;ext=1;' >"$r/scheme-dup"
printf 'v=TLSRPTv1; rua' >"$r/bad"
g=$c/svg
printf '<?xml version="1.0"?>\n<!-- logo -->\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps"><title>x</title></svg>' >"$g/tiny-ps"
printf '\xef\xbb\xbf<svg version="1.1" baseProfile="full"/>' >"$g/full"
printf '<svg baseProfile=tiny-ps>' >"$g/bad"

# The chain the lint target presents: leaf and intermediate.
{
	echo '/* Generated by mkcorpus.sh: the chain of the lint fuzz target. */'
	echo '/* clang-format off */'
	echo 'static const char lint_chain_pem[] ='
	cat leaf.pem int.pem | sed 's/^/\t"/;s/$/\\n"/'
	echo '\t;' | sed 's/\\t/\t/'
	echo '/* clang-format on */'
} >"$here/lint_chain.h"

du -sb "$c"
