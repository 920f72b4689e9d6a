/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit tlsa module: TLSA records (RFC 6698, RFC 7218) and the inputs
 * they are made from (certificates, chains, keys, CSRs). Pure and offline:
 * no I/O beyond reading the input it is handed.
 *
 * Thread safety: every function is safe to call from several threads on
 * distinct objects; objects are not locked.
 */
#ifndef DANEKIT_TLSA_H
#define DANEKIT_TLSA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <danekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* Certificate usages, RFC 6698 section 2.1.1, mnemonics of RFC 7218. */
enum dk_tlsa_usage {
	DK_TLSA_PKIX_TA = 0,
	DK_TLSA_PKIX_EE = 1,
	DK_TLSA_DANE_TA = 2,
	DK_TLSA_DANE_EE = 3,
};

/* Selectors, RFC 6698 section 2.1.2. */
enum dk_tlsa_selector {
	DK_TLSA_CERT = 0,
	DK_TLSA_SPKI = 1,
};

/* Matching types, RFC 6698 section 2.1.3. */
enum dk_tlsa_mtype {
	DK_TLSA_FULL = 0,
	DK_TLSA_SHA256 = 1,
	DK_TLSA_SHA512 = 2,
};

/* Which field a mnemonic or number is parsed for. */
enum dk_tlsa_field {
	DK_TLSA_FIELD_USAGE = 0,
	DK_TLSA_FIELD_SELECTOR = 1,
	DK_TLSA_FIELD_MTYPE = 2,
};

/**
 * Parse a usage, selector or matching type given as a decimal number
 * (0-255) or as an RFC 7218 mnemonic, case-insensitively: PKIX-TA,
 * PKIX-EE, DANE-TA, DANE-EE; Cert, SPKI; Full, SHA2-256, SHA2-512.
 * @return the value (0-255), or DK_EINVAL if @text is NULL or not valid.
 */
int dk_tlsa_field_parse(enum dk_tlsa_field field, const char *text);

/**
 * The RFC 7218 mnemonic of a value ("DANE-EE"), or NULL if it has none.
 * Static storage.
 */
const char *dk_tlsa_field_name(enum dk_tlsa_field field, unsigned value);

/** One TLSA record's RDATA. Opaque; made by dk_tlsa_new() and friends. */
struct dk_tlsa;

/**
 * Make a record from its fields. @data is copied; @len may be 0 only if
 * @data is NULL. On success *@ret_tlsa owns a new record the caller frees
 * with dk_tlsa_free(). @return 0 or DK_EINVAL / DK_ENOMEM.
 */
int dk_tlsa_new(uint8_t usage, uint8_t selector, uint8_t mtype,
		const uint8_t *data, size_t len, struct dk_tlsa **ret_tlsa);

/** Free a record. NULL is accepted. */
void dk_tlsa_free(struct dk_tlsa *tlsa);

/** A copy of @tlsa, or NULL on allocation failure or NULL input. */
struct dk_tlsa *dk_tlsa_dup(const struct dk_tlsa *tlsa);

/** Field getters; @tlsa must not be NULL (0 is returned if it is). */
uint8_t dk_tlsa_usage(const struct dk_tlsa *tlsa);
uint8_t dk_tlsa_selector(const struct dk_tlsa *tlsa);
uint8_t dk_tlsa_mtype(const struct dk_tlsa *tlsa);

/**
 * The association data, borrowed (valid while @tlsa lives). Its length
 * goes to *@ret_len when @ret_len is not NULL.
 */
const uint8_t *dk_tlsa_data(const struct dk_tlsa *tlsa, size_t *ret_len);

/**
 * Order two records (usage, selector, mtype, then data bytes) like
 * memcmp(). NULL sorts first.
 */
int dk_tlsa_cmp(const struct dk_tlsa *a, const struct dk_tlsa *b);

/**
 * Can @tlsa ever be right (RFC 6698 section 2.1)? Its usage is 0-3, its
 * selector 0 or 1, and its data fits its matching type: 32 bytes for
 * SHA2-256 (1), 64 for SHA2-512 (2), and for Full (0) a non-empty DER
 * certificate (selector 0) or SubjectPublicKeyInfo (selector 1), judged by
 * its outer structure. Check a record before it is published: records of
 * other values are ignored by every client (RFC 7671 section 4), so one
 * that fails here can only be a mistake. Records read from the DNS need
 * no such check (unusable ones are sorted out where they are used).
 * @return 0; DK_EINVAL (NULL); DK_EDATA, with @diag saying what is wrong.
 */
int dk_tlsa_check_record(const struct dk_tlsa *tlsa, struct dk_diag *diag);

/**
 * Parse a record from presentation format through ldns: either the RDATA
 * alone ("3 1 1 ab12...") or a whole RR line
 * ("_25._tcp.mx.example. 3600 IN TLSA 3 1 1 ab12..."), the latter also in
 * RFC 3597 generic form. Mnemonics are accepted for the three fields.
 * When @ret_owner is not NULL and the text had an owner name, *@ret_owner
 * receives it as a malloc()ed string the caller frees (else NULL).
 * @return 0, DK_EINVAL (NULL text or ret), DK_EDATA with @diag filled in.
 */
int dk_tlsa_parse(const char *text, struct dk_tlsa **ret_tlsa, char **ret_owner,
		  struct dk_diag *diag);

/**
 * Make a record from wire-format RDATA (usage, selector, mtype, data).
 * @return 0, DK_EINVAL, DK_EDATA (shorter than 3 bytes), DK_ENOMEM.
 */
int dk_tlsa_from_wire(const uint8_t *rdata, size_t len,
		      struct dk_tlsa **ret_tlsa);

/**
 * The record's RDATA in wire format, malloc()ed; the caller frees it.
 * @return 0, DK_EINVAL, DK_ENOMEM.
 */
int dk_tlsa_to_wire(const struct dk_tlsa *tlsa, uint8_t **ret_wire,
		    size_t *ret_len);

/* Presentation formats of dk_tlsa_format(). */
enum dk_tlsa_format {
	DK_TLSA_FMT_RDATA = 0,	 /* "3 1 1 <hex>" */
	DK_TLSA_FMT_ZONE = 1,	 /* "<owner> <ttl> IN TLSA 3 1 1 <hex>" */
	DK_TLSA_FMT_GENERIC = 2, /* RFC 3597 "<owner> <ttl> IN TYPE52 \# ..." */
	DK_TLSA_FMT_NSUPDATE = 3, /* "update add <owner> <ttl> IN TLSA ..." */
};

/**
 * Print @tlsa in @format, one line without a newline, into a malloc()ed
 * string the caller frees. Hex is lower case. @owner (absolute, with the
 * final dot) and @ttl are used by every format but DK_TLSA_FMT_RDATA.
 * @return 0, DK_EINVAL (NULL argument, bad owner name), DK_ENOMEM.
 */
int dk_tlsa_format(const struct dk_tlsa *tlsa, enum dk_tlsa_format format,
		   const char *owner, uint32_t ttl, char **ret_text);

/**
 * Check a host name for use in a TLSA owner name: LDH labels of 1-63
 * octets, 253 octets in all, no empty label; '_' is allowed (service
 * names); a trailing dot is allowed. Non-ASCII names are refused with a
 * hint to give their A-label (xn--) form. An IP address (IPv4, IPv6,
 * bracketed or not) is refused: an address has no TLSA owner name; so is
 * a name whose last label is all digits (RFC 3696 section 2).
 * @return 0 or DK_EDATA + @diag.
 */
int dk_tlsa_check_host(const char *host, struct dk_diag *diag);

/**
 * Check a TLSA owner name as a user gives it: "_PORT._PROTO.HOST" with a
 * trailing dot or not (RFC 6698 section 3): PORT a decimal 1-65535
 * without leading zeros, PROTO tcp, udp or sctp (any case), HOST as
 * dk_tlsa_check_host() wants it. A name without the prefix is refused
 * with a hint that shows the prefixed form. (The target of a CNAME'd
 * owner name may be any name: check only names given as owner names.)
 * @return 0; DK_EINVAL (NULL); DK_EDATA + @diag.
 */
int dk_tlsa_check_owner(const char *name, struct dk_diag *diag);

/**
 * The TLSA owner name "_PORT._PROTO.HOST." as a malloc()ed string the
 * caller frees. @proto is "tcp", "udp" or "sctp"; @port 1-65535. @host
 * must pass dk_tlsa_check_host() and must not be an owner name itself
 * ("_25._tcp.mail.example.com": the prefix would be doubled).
 * @return 0, DK_EINVAL, DK_EDATA (+ @diag for a bad host), DK_ENOMEM.
 */
int dk_tlsa_owner(const char *host, unsigned port, const char *proto,
		  char **ret_owner, struct dk_diag *diag);

/* What an input turned out to be, detected from its content. */
enum dk_input_kind {
	DK_INPUT_CERTS = 1,   /* one certificate or a chain, leaf first */
	DK_INPUT_PRIVKEY = 2, /* a private key: only its public half is kept */
	DK_INPUT_PUBKEY = 3,  /* a SubjectPublicKeyInfo */
	DK_INPUT_CSR = 4,     /* a PKCS#10 certificate signing request */
};

/* Inputs larger than this are refused (DK_ETOOBIG). */
#define DK_INPUT_MAX (4u * 1024u * 1024u)

/** A loaded input. Opaque. */
struct dk_input;

/**
 * Load an input from memory: PEM (one or several blocks of the same kind;
 * certificates in a bundle keep their order) or DER. Private keys are
 * reduced to their public half at once; no secret is kept. @buf is not
 * kept. On success *@ret_input is freed with dk_input_free().
 * @return 0; DK_EINVAL; DK_EEMPTY; DK_ETOOBIG; DK_EENCRYPTED (an encrypted
 * private key); DK_EDATA (anything else unparseable), with @diag saying
 * what; DK_ENOMEM.
 */
int dk_input_load(const uint8_t *buf, size_t len, struct dk_input **ret_input,
		  struct dk_diag *diag);

/**
 * Read and load a file; "-" reads standard input. Same returns as
 * dk_input_load() plus DK_ENOENT, DK_EACCES, DK_EISDIR, DK_EIO. @diag
 * does not repeat the path; the caller names the file.
 */
int dk_input_read_file(const char *path, struct dk_input **ret_input,
		       struct dk_diag *diag);

/** Free an input. NULL is accepted. */
void dk_input_free(struct dk_input *input);

/** The kind of @input (0 for NULL). */
enum dk_input_kind dk_input_kind(const struct dk_input *input);

/** A short English name of a kind ("certificate chain", "CSR"...). */
const char *dk_input_kind_name(enum dk_input_kind kind);

/** Number of certificates (0 for keys and CSRs). */
size_t dk_input_cert_count(const struct dk_input *input);

/**
 * Certificate @idx (0 = leaf), borrowed (get0), parsed by OpenSSL on first
 * use; NULL when @idx is out of range or when OpenSSL cannot parse that
 * certificate (inputs are only checked for the DER structure of RFC 5280
 * when loaded, which is all TLSA records need).
 */
X509 *dk_input_get0_cert(const struct dk_input *input, size_t idx);

/**
 * The public key: of the leaf certificate, of the CSR, or the key itself.
 * Borrowed (get0); NULL when OpenSSL cannot read the leaf's key.
 */
EVP_PKEY *dk_input_get0_pubkey(const struct dk_input *input);

/**
 * Make the TLSA record for an input. Usages 1 and 3 take the leaf (first
 * certificate); usages 0 and 2 take the last certificate of the input
 * (the top of the presented chain), which must then be a CA certificate
 * (basicConstraints CA:TRUE) or self-signed: a lone leaf names no trust
 * anchor (DK_EDATA, @diag asks for the chain or the CA certificate).
 * @cert_index >= 0 picks certificate @cert_index instead (0 = leaf),
 * whatever it is. Keys and CSRs give only selector 1.
 * @return 0; DK_EINVAL; DK_ESELECTOR (selector 0 of a key or CSR);
 * DK_EDATA (usage 0 or 2 of a lone leaf); DK_ERANGE (@cert_index too
 * large, or a field value with no meaning here: usage > 3, selector > 1,
 * mtype > 2); DK_ECRYPTO; DK_ENOMEM.
 */
int dk_tlsa_make(const struct dk_input *input, uint8_t usage, uint8_t selector,
		 uint8_t mtype, long cert_index, struct dk_tlsa **ret_tlsa,
		 struct dk_diag *diag);

/**
 * The association data of a certificate (@cert) or public key (@pkey,
 * selector 1 only): exactly one of them is non-NULL. Writes up to 64
 * bytes for SHA-2 or, for mtype 0, a malloc()ed copy of the DER to
 * *@ret_data which the caller frees. @return 0 or a DK_E* code.
 */
int dk_tlsa_assoc_data(X509 *cert, EVP_PKEY *pkey, uint8_t selector,
		       uint8_t mtype, uint8_t **ret_data, size_t *ret_len);

/**
 * Does @tlsa match @input? Usages 1 and 3 test the leaf only, usages 0 and
 * 2 every certificate of the chain (the depth of the first match goes to
 * *@ret_depth if not NULL); key and CSR inputs match selector 1 records
 * of any usage on their public key (depth 0).
 * This is an offline comparison for planning (rollover, lint); verifying a
 * live server goes through OpenSSL's DANE verifier instead.
 * @return 1 match, 0 no match, or a negative DK_E* code.
 */
int dk_tlsa_match(const struct dk_tlsa *tlsa, const struct dk_input *input,
		  size_t *ret_depth);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
