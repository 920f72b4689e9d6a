/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inputs of TLSA records: certificates and chains, private and public
 * keys, CSRs; PEM or DER, detected from content. Private keys are reduced
 * to their public half as soon as they are parsed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <openssl/x509.h>

#include <limits.h>

#include <ldns/sha2.h>

#include "internal.h"

/*
 * A certificate is kept as its DER bytes with the place of its
 * SubjectPublicKeyInfo, found by a strict walk of the DER structure
 * (ASN1_get_object). The X509 object is parsed only when asked for:
 * OpenSSL 3's d2i_X509 decodes the public key through its provider
 * decoders, which costs ten times more than the TLSA hash itself.
 */
struct cert_ent {
	uint8_t *der;
	size_t len;
	size_t spki_off, spki_len;
	X509 *x509; /* parsed on demand */
};

struct dk_input {
	enum dk_input_kind kind;
	struct cert_ent *certs; /* DK_INPUT_CERTS */
	size_t ncerts, capcerts;
	EVP_PKEY *pubkey; /* the key, of the CSR; of the leaf on demand */
};

static struct dk_input *input_new(enum dk_input_kind kind)
{
	struct dk_input *in = calloc(1, sizeof(*in));

	if (!in) {
		return NULL;
	}
	in->kind = kind;
	return in;
}

void dk_input_free(struct dk_input *input)
{
	if (!input) {
		return;
	}
	for (size_t i = 0; i < input->ncerts; i++) {
		free(input->certs[i].der);
		X509_free(input->certs[i].x509);
	}
	free(input->certs);
	EVP_PKEY_free(input->pubkey);
	free(input);
}

/* One DER TLV at *@p: header checked, content inside [*p, end). */
static int der_tlv(const unsigned char **p, const unsigned char *end,
		   int want_tag, int want_class, long *ret_len)
{
	long len = 0;
	int tag = 0, cls = 0;
	int r;

	if (*p >= end) {
		return -1;
	}
	r = ASN1_get_object(p, &len, &tag, &cls, end - *p);
	if ((r & 0x80) || (r & 0x01) || len < 0 || len > end - *p) {
		return -1;
	}
	if ((want_tag >= 0 && tag != want_tag) ||
	    (want_class >= 0 && cls != want_class)) {
		return -1;
	}
	*ret_len = len;
	return 0;
}

/*
 * Walk a DER Certificate (RFC 5280 section 4.1) of exactly @len bytes and
 * find its SubjectPublicKeyInfo. 0 or -1 when it is not one.
 */
static int der_cert_spki(const uint8_t *der, size_t len, size_t *ret_off,
			 size_t *ret_spki_len)
{
	const unsigned char *p = der, *end = der + len, *tbs_end, *cert_end;
	const unsigned char *spki;
	long l;

	if (der_tlv(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &l) ||
	    p + l != end) {
		goto bad;
	}
	cert_end = p + l;
	if (der_tlv(&p, cert_end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &l)) {
		goto bad;
	}
	tbs_end = p + l;
	/* [0] EXPLICIT Version, optional. */
	if (p < tbs_end && *p == 0xa0) {
		if (der_tlv(&p, tbs_end, 0, V_ASN1_CONTEXT_SPECIFIC, &l)) {
			goto bad;
		}
		p += l;
	}
	/* serialNumber, signature, issuer, validity, subject. */
	if (der_tlv(&p, tbs_end, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, &l)) {
		goto bad;
	}
	p += l;
	for (int i = 0; i < 4; i++) {
		if (der_tlv(&p, tbs_end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL,
			    &l)) {
			goto bad;
		}
		p += l;
	}
	/* subjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }
	 */
	spki = p;
	if (der_tlv(&p, tbs_end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &l)) {
		goto bad;
	}
	{
		const unsigned char *q = p, *spki_end = p + l;
		long l2;

		if (der_tlv(&q, spki_end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL,
			    &l2)) {
			goto bad;
		}
		q += l2;
		if (der_tlv(&q, spki_end, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL,
			    &l2) ||
		    q + l2 != spki_end) {
			goto bad;
		}
	}
	p += l;
	*ret_off = (size_t)(spki - der);
	*ret_spki_len = (size_t)(p - spki);
	/* Optional [1], [2] unique IDs and [3] extensions fill the rest. */
	while (p < tbs_end) {
		if (der_tlv(&p, tbs_end, -1, V_ASN1_CONTEXT_SPECIFIC, &l)) {
			goto bad;
		}
		p += l;
	}
	p = tbs_end;
	if (der_tlv(&p, cert_end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &l)) {
		goto bad;
	}
	p += l;
	if (der_tlv(&p, cert_end, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL, &l) ||
	    p + l != cert_end) {
		goto bad;
	}
	return 0;
bad:
	/* ASN1_get_object() queues an error only when it fails. */
	ERR_clear_error();
	return -1;
}

/* Append a copy of a DER certificate to @in. DK_EDATA if it is not one. */
static int add_cert_der(struct dk_input *in, const uint8_t *der, size_t len)
{
	struct cert_ent *e;
	size_t off, slen;

	if (der_cert_spki(der, len, &off, &slen) < 0) {
		return DK_EDATA;
	}
	if (in->ncerts == in->capcerts) {
		size_t nc = in->capcerts ? 2 * in->capcerts : 4;
		struct cert_ent *n = realloc(in->certs, nc * sizeof(*n));

		if (!n) {
			return DK_ENOMEM;
		}
		in->certs = n;
		in->capcerts = nc;
	}
	e = &in->certs[in->ncerts];
	memset(e, 0, sizeof(*e));
	e->der = malloc(len);
	if (!e->der) {
		return DK_ENOMEM;
	}
	memcpy(e->der, der, len);
	e->len = len;
	e->spki_off = off;
	e->spki_len = slen;
	in->ncerts++;
	return 0;
}

/* A public-only copy of @key (private or public). */
static EVP_PKEY *public_half(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub;
	int n = i2d_PUBKEY(key, &der);

	if (n <= 0) {
		return NULL;
	}
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	return pub;
}

/* Parse exactly @len bytes of DER with @fn; NULL unless all is consumed. */
#define D2I_ALL(type, fn, der, len)                    \
	__extension__({                                \
		const unsigned char *p_ = (der);       \
		type *o_ = fn(NULL, &p_, (long)(len)); \
		if (o_ && p_ != (der) + (len)) {       \
			type##_free(o_);               \
			o_ = NULL;                     \
		}                                      \
		o_;                                    \
	})

static EVP_PKEY *d2i_privkey_all(int type, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k;

	if (type == EVP_PKEY_NONE) {
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	} else {
		k = d2i_PrivateKey(type, NULL, &p, (long)len);
	}
	if (k && p != der + len) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

enum block_kind {
	BLK_CERT,
	BLK_TRUSTED_CERT,
	BLK_CSR,
	BLK_PUBKEY,
	BLK_RSA_PUBKEY,
	BLK_PRIVKEY,
	BLK_ENCRYPTED,
	BLK_SKIP,
	BLK_UNKNOWN,
};

static const struct {
	const char *label;
	enum block_kind kind;
	int pkey_type;
} pem_labels[] = {
	{ "CERTIFICATE", BLK_CERT, 0 },
	{ "X509 CERTIFICATE", BLK_CERT, 0 },
	{ "TRUSTED CERTIFICATE", BLK_TRUSTED_CERT, 0 },
	{ "CERTIFICATE REQUEST", BLK_CSR, 0 },
	{ "NEW CERTIFICATE REQUEST", BLK_CSR, 0 },
	{ "PUBLIC KEY", BLK_PUBKEY, 0 },
	{ "RSA PUBLIC KEY", BLK_RSA_PUBKEY, 0 },
	{ "PRIVATE KEY", BLK_PRIVKEY, EVP_PKEY_NONE },
	{ "RSA PRIVATE KEY", BLK_PRIVKEY, EVP_PKEY_RSA },
	{ "EC PRIVATE KEY", BLK_PRIVKEY, EVP_PKEY_EC },
	{ "DSA PRIVATE KEY", BLK_PRIVKEY, EVP_PKEY_DSA },
	{ "ENCRYPTED PRIVATE KEY", BLK_ENCRYPTED, 0 },
	{ "EC PARAMETERS", BLK_SKIP, 0 },
	{ "X509 CRL", BLK_UNKNOWN, 0 },
};

static enum block_kind classify(const char *label, int *pkey_type)
{
	for (size_t i = 0; i < sizeof(pem_labels) / sizeof(pem_labels[0]);
	     i++) {
		if (strcmp(label, pem_labels[i].label) == 0) {
			*pkey_type = pem_labels[i].pkey_type;
			return pem_labels[i].kind;
		}
	}
	return BLK_UNKNOWN;
}

/* State while reading the blocks of one PEM input. */
struct pem_state {
	struct dk_input *certs; /* certificates found so far */
	EVP_PKEY *key;		/* public half of the one key or CSR */
	enum dk_input_kind key_kind;
	int n_keys;
};

static int take_key(struct pem_state *st, EVP_PKEY *pub,
		    enum dk_input_kind kind, size_t blockno,
		    struct dk_diag *diag)
{
	if (!pub) {
		return DK_ENOMEM;
	}
	if (++st->n_keys > 1) {
		EVP_PKEY_free(pub);
		dki_diagf(diag,
			  "PEM block %zu is a second key or CSR; give one per "
			  "input",
			  blockno);
		return DK_EDATA;
	}
	st->key = pub;
	st->key_kind = kind;
	return 0;
}

static int pem_block(struct pem_state *st, const char *label,
		     const char *header, const unsigned char *der, long dlen,
		     size_t blockno, struct dk_diag *diag)
{
	int pkey_type = 0;
	enum block_kind bk = classify(label, &pkey_type);
	char why[128];

	if (header && strstr(header, "ENCRYPTED")) {
		bk = BLK_ENCRYPTED;
	}
	switch (bk) {
	case BLK_CERT:
	case BLK_TRUSTED_CERT: {
		unsigned char *plain = NULL;
		int r, n = (int)dlen;

		if (bk == BLK_TRUSTED_CERT) {
			/* OpenSSL's trust settings follow the certificate. */
			const unsigned char *p = der;
			X509 *x = d2i_X509_AUX(NULL, &p, dlen);

			n = x ? i2d_X509(x, &plain) : -1;
			X509_free(x);
			if (n <= 0) {
				dki_diagf(diag,
					  "PEM block %zu (%s) is not a valid "
					  "certificate: %s",
					  blockno, label,
					  dki_openssl_reason(why, sizeof(why)));
				return DK_EDATA;
			}
		}
		r = add_cert_der(st->certs, plain ? plain : der, (size_t)n);
		OPENSSL_free(plain);
		if (r == DK_EDATA) {
			dki_diagf(diag,
				  "PEM block %zu (%s) is not a valid DER "
				  "certificate (RFC 5280 structure)",
				  blockno, label);
		}
		return r;
	}
	case BLK_CSR: {
		X509_REQ *req =
			D2I_ALL(X509_REQ, d2i_X509_REQ, der, (size_t)dlen);
		EVP_PKEY *k;

		if (!req || !(k = X509_REQ_get0_pubkey(req))) {
			X509_REQ_free(req);
			dki_diagf(diag,
				  "PEM block %zu (%s) is not a valid CSR: %s",
				  blockno, label,
				  dki_openssl_reason(why, sizeof(why)));
			return DK_EDATA;
		}
		k = public_half(k);
		X509_REQ_free(req);
		return take_key(st, k, DK_INPUT_CSR, blockno, diag);
	}
	case BLK_PUBKEY:
	case BLK_RSA_PUBKEY: {
		const unsigned char *p = der;
		EVP_PKEY *k = bk == BLK_PUBKEY ? d2i_PUBKEY(NULL, &p, dlen)
					       : d2i_PublicKey(EVP_PKEY_RSA,
							       NULL, &p, dlen);

		if (!k || p != der + dlen) {
			EVP_PKEY_free(k);
			dki_diagf(diag,
				  "PEM block %zu (%s) is not a valid public "
				  "key: %s",
				  blockno, label,
				  dki_openssl_reason(why, sizeof(why)));
			return DK_EDATA;
		}
		return take_key(st, k, DK_INPUT_PUBKEY, blockno, diag);
	}
	case BLK_PRIVKEY: {
		EVP_PKEY *k = d2i_privkey_all(pkey_type, der, (size_t)dlen);
		EVP_PKEY *pub;

		if (!k) {
			dki_diagf(diag,
				  "PEM block %zu (%s) is not a valid private "
				  "key: %s",
				  blockno, label,
				  dki_openssl_reason(why, sizeof(why)));
			return DK_EDATA;
		}
		pub = public_half(k);
		EVP_PKEY_free(k);
		return take_key(st, pub, DK_INPUT_PRIVKEY, blockno, diag);
	}
	case BLK_ENCRYPTED:
		dki_diagf(diag,
			  "the private key is encrypted; decrypt it first "
			  "(openssl pkey -in KEY) or give the certificate or "
			  "public key instead");
		return DK_EENCRYPTED;
	case BLK_SKIP:
		return 0;
	case BLK_UNKNOWN:
	default:
		dki_diagf(diag,
			  "PEM block %zu has the label '%s', which is not a "
			  "certificate, key or CSR",
			  blockno, label);
		return DK_EDATA;
	}
}

static int load_pem(const uint8_t *buf, size_t len, struct dk_input **ret,
		    struct dk_diag *diag)
{
	struct pem_state st = { 0 };
	BIO *bio;
	size_t blockno = 0;
	int r = 0;

	st.certs = input_new(DK_INPUT_CERTS);
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!st.certs || !bio) {
		dk_input_free(st.certs);
		BIO_free(bio);
		return DK_ENOMEM;
	}
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;

		if (blockno > 0) {
			/*
			 * Stop when no block follows rather than let
			 * PEM_read_bio() fail at the end: OpenSSL's error
			 * machinery costs a quarter of a one-certificate run
			 * the first time it is touched.
			 */
			char *rest = NULL;
			long n = BIO_get_mem_data(bio, &rest);

			if (n <= 0 ||
			    !memmem(rest, (size_t)n, "-----BEGIN ", 11)) {
				break;
			}
		}
		if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
			unsigned long e = ERR_peek_last_error();

			if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE &&
			    blockno > 0) {
				ERR_clear_error();
				break;
			}
			if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
				dki_diagf(diag, "no complete PEM block found");
			} else {
				char why[128];

				dki_diagf(diag,
					  "PEM block %zu is truncated or "
					  "corrupt: %s",
					  blockno + 1,
					  dki_openssl_reason(why, sizeof(why)));
			}
			r = DK_EDATA;
			break;
		}
		blockno++;
		r = pem_block(&st, name, header, data, dlen, blockno, diag);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, (size_t)dlen);
		if (r < 0) {
			break;
		}
	}
	BIO_free(bio);
	if (r < 0) {
		ERR_clear_error();
	}
	if (r == 0 && st.certs->ncerts == 0 && !st.key) {
		dki_diagf(diag,
			  "the PEM input holds no certificate, key or CSR");
		r = DK_EDATA;
	}
	if (r == 0 && st.certs->ncerts == 0 && st.key) {
		struct dk_input *in = input_new(st.key_kind);

		if (!in) {
			r = DK_ENOMEM;
		} else {
			in->pubkey = st.key;
			st.key = NULL;
			*ret = in;
		}
	} else if (r == 0) {
		/* Certificates win; a key next to them (a combined PEM
		 * file) is ignored. */
		*ret = st.certs;
		st.certs = NULL;
	}
	EVP_PKEY_free(st.key);
	dk_input_free(st.certs);
	if (r < 0 || st.n_keys > 0) {
		ERR_clear_error();
	}
	return r;
}

/* DER: one certificate, CSR, public key or private key. */
static int load_der(const uint8_t *buf, size_t len, struct dk_input **ret,
		    struct dk_diag *diag)
{
	struct dk_input *in = NULL;
	X509_REQ *req;
	X509_SIG *sig;
	EVP_PKEY *k;

	size_t off, slen;

	if (der_cert_spki(buf, len, &off, &slen) == 0) {
		int r;

		in = input_new(DK_INPUT_CERTS);
		if (!in) {
			return DK_ENOMEM;
		}
		r = add_cert_der(in, buf, len);
		if (r < 0) {
			dk_input_free(in);
			return r;
		}
	} else if ((req = D2I_ALL(X509_REQ, d2i_X509_REQ, buf, len))) {
		k = X509_REQ_get0_pubkey(req);
		in = input_new(DK_INPUT_CSR);
		if (in && k) {
			in->pubkey = public_half(k);
		}
		X509_REQ_free(req);
		if (!in || !in->pubkey) {
			dk_input_free(in);
			dki_diagf(diag, "the CSR has no readable public key");
			return in ? DK_EDATA : DK_ENOMEM;
		}
	} else if ((k = D2I_ALL(EVP_PKEY, d2i_PUBKEY, buf, len))) {
		in = input_new(DK_INPUT_PUBKEY);
		if (!in) {
			EVP_PKEY_free(k);
			return DK_ENOMEM;
		}
		in->pubkey = k;
	} else if ((sig = D2I_ALL(X509_SIG, d2i_X509_SIG, buf, len))) {
		X509_SIG_free(sig);
		ERR_clear_error();
		dki_diagf(diag,
			  "the private key is encrypted; decrypt it first "
			  "(openssl pkey -in KEY) or give the certificate or "
			  "public key instead");
		return DK_EENCRYPTED;
	} else if ((k = d2i_privkey_all(EVP_PKEY_NONE, buf, len))) {
		in = input_new(DK_INPUT_PRIVKEY);
		if (in) {
			in->pubkey = public_half(k);
		}
		EVP_PKEY_free(k);
		if (!in || !in->pubkey) {
			dk_input_free(in);
			return DK_ENOMEM;
		}
	} else {
		ERR_clear_error();
		dki_diagf(diag,
			  "not a certificate, key or CSR in PEM or DER form");
		return DK_EDATA;
	}
	if (in->kind != DK_INPUT_CERTS) {
		ERR_clear_error();
	}
	*ret = in;
	return 0;
}

int dk_input_load(const uint8_t *buf, size_t len, struct dk_input **ret_input,
		  struct dk_diag *diag)
{
	static const char begin[] = "-----BEGIN ";

	if (!ret_input || (!buf && len)) {
		return DK_EINVAL;
	}
	if (len == 0) {
		dki_diagf(diag, "the input is empty");
		return DK_EEMPTY;
	}
	if (len > DK_INPUT_MAX) {
		dki_diagf(diag, "the input is larger than the %u MiB limit",
			  DK_INPUT_MAX / (1024 * 1024));
		return DK_ETOOBIG;
	}
	if (memmem(buf, len, begin, sizeof(begin) - 1)) {
		return load_pem(buf, len, ret_input, diag);
	}
	return load_der(buf, len, ret_input, diag);
}

static int errno_to_dk(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return DK_ENOENT;
	case EACCES:
	case EPERM:
		return DK_EACCES;
	case EISDIR:
		return DK_EISDIR;
	case ENOMEM:
		return DK_ENOMEM;
	default:
		return DK_EIO;
	}
}

int dk_input_read_file(const char *path, struct dk_input **ret_input,
		       struct dk_diag *diag)
{
	struct stat sb = { 0 };
	uint8_t *buf;
	size_t len = 0;
	int fd, r;

	if (!path || !ret_input) {
		return DK_EINVAL;
	}
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			r = errno_to_dk(errno);
			dki_diagf(diag, "%s", dk_strerror(r));
			return r;
		}
	}
	if (fstat(fd, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			if (fd != STDIN_FILENO) {
				close(fd);
			}
			dki_diagf(diag, "is a directory, not a file");
			return DK_EISDIR;
		}
		if (S_ISREG(sb.st_mode) &&
		    (uintmax_t)sb.st_size > DK_INPUT_MAX) {
			if (fd != STDIN_FILENO) {
				close(fd);
			}
			dki_diagf(
				diag,
				"the file is %jd bytes, larger than the %u MiB "
				"limit for a certificate, key or CSR",
				(intmax_t)sb.st_size,
				DK_INPUT_MAX / (1024 * 1024));
			return DK_ETOOBIG;
		}
	}
	{
		size_t cap = S_ISREG(sb.st_mode) && sb.st_size > 0
				     ? (size_t)sb.st_size + 1
				     : 65536;

		buf = malloc(cap);
		for (;;) {
			ssize_t n;

			if (!buf) {
				if (fd != STDIN_FILENO) {
					close(fd);
				}
				return DK_ENOMEM;
			}
			if (len == cap) {
				uint8_t *nb;

				if (cap > DK_INPUT_MAX) {
					break;
				}
				cap *= 2;
				nb = realloc(buf, cap);
				if (!nb) {
					free(buf);
					buf = NULL;
					continue;
				}
				buf = nb;
			}
			n = read(fd, buf + len, cap - len);
			if (n < 0 && errno == EINTR) {
				continue;
			}
			if (n < 0) {
				int e = errno;

				r = errno_to_dk(e);
				if (fd != STDIN_FILENO) {
					close(fd);
				}
				free(buf);
				dki_diagf(diag, "%s",
					  r == DK_EISDIR
						  ? "is a directory, not a file"
						  : strerror(e));
				return r;
			}
			if (n == 0) {
				break;
			}
			len += (size_t)n;
		}
	}
	if (fd != STDIN_FILENO) {
		close(fd);
	}
	r = dk_input_load(buf, len, ret_input, diag);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

enum dk_input_kind dk_input_kind(const struct dk_input *input)
{
	return input ? input->kind : (enum dk_input_kind)0;
}

const char *dk_input_kind_name(enum dk_input_kind kind)
{
	switch (kind) {
	case DK_INPUT_CERTS:
		return "certificate";
	case DK_INPUT_PRIVKEY:
		return "private key";
	case DK_INPUT_PUBKEY:
		return "public key";
	case DK_INPUT_CSR:
		return "CSR";
	}
	return "unknown";
}

size_t dk_input_cert_count(const struct dk_input *input)
{
	return input ? input->ncerts : 0;
}

X509 *dk_input_get0_cert(const struct dk_input *input, size_t idx)
{
	struct cert_ent *e;

	if (idx >= dk_input_cert_count(input)) {
		return NULL;
	}
	e = &input->certs[idx];
	if (!e->x509) {
		const unsigned char *p = e->der;

		e->x509 = d2i_X509(NULL, &p, (long)e->len);
		ERR_clear_error();
	}
	return e->x509;
}

EVP_PKEY *dk_input_get0_pubkey(const struct dk_input *input)
{
	if (!input) {
		return NULL;
	}
	if (!input->pubkey && input->kind == DK_INPUT_CERTS) {
		X509 *x = dk_input_get0_cert(input, 0);

		/* Cached like the X509: same thread rules. */
		((struct dk_input *)input)->pubkey =
			x ? X509_get_pubkey(x) : NULL;
		ERR_clear_error();
	}
	return input->pubkey;
}

/* The association data of bytes @der (a certificate or an SPKI). */
static int assoc_from_der(const uint8_t *der, size_t n, uint8_t mtype,
			  uint8_t **ret_data, size_t *ret_len)
{
	unsigned int mdlen = 0;
	uint8_t *out;

	if (mtype == DK_TLSA_FULL) {
		out = malloc(n ? n : 1);
		if (!out) {
			return DK_ENOMEM;
		}
		memcpy(out, der, n);
		*ret_data = out;
		*ret_len = n;
		return 0;
	}
	/*
	 * ldns's SHA-2 rather than EVP_Digest(): the result is the same
	 * (the tests check it against the openssl command line), and it
	 * spares a one-shot command OpenSSL 3's provider start-up, which
	 * costs more than the rest of `danekit tlsa CERT` together.
	 */
	if (n > UINT_MAX) {
		return DK_ETOOBIG;
	}
	mdlen = mtype == DK_TLSA_SHA256 ? 32 : 64;
	out = malloc(mdlen);
	if (!out) {
		return DK_ENOMEM;
	}
	if (mtype == DK_TLSA_SHA256) {
		ldns_sha256(der, (unsigned int)n, out);
	} else {
		ldns_sha512(der, (unsigned int)n, out);
	}
	*ret_data = out;
	*ret_len = mdlen;
	return 0;
}

/* Association data of certificate @idx of @in, from its DER bytes. */
static int assoc_cert_ent(const struct dk_input *in, size_t idx,
			  uint8_t selector, uint8_t mtype, uint8_t **ret_data,
			  size_t *ret_len)
{
	const struct cert_ent *e = &in->certs[idx];

	if (selector == DK_TLSA_CERT) {
		return assoc_from_der(e->der, e->len, mtype, ret_data, ret_len);
	}
	return assoc_from_der(e->der + e->spki_off, e->spki_len, mtype,
			      ret_data, ret_len);
}

int dk_tlsa_assoc_data(X509 *cert, EVP_PKEY *pkey, uint8_t selector,
		       uint8_t mtype, uint8_t **ret_data, size_t *ret_len)
{
	unsigned char *der = NULL;
	int n, r;

	if ((!cert == !pkey) || !ret_data || !ret_len || selector > 1 ||
	    mtype > 2) {
		return DK_EINVAL;
	}
	if (!cert && selector == DK_TLSA_CERT) {
		return DK_ESELECTOR;
	}
	if (selector == DK_TLSA_CERT) {
		n = i2d_X509(cert, &der);
	} else if (cert) {
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	} else {
		n = i2d_PUBKEY(pkey, &der);
	}
	if (n <= 0) {
		ERR_clear_error();
		return DK_ECRYPTO;
	}
	r = assoc_from_der(der, (size_t)n, mtype, ret_data, ret_len);
	OPENSSL_free(der);
	return r;
}

/*
 * May certificate @idx of @input serve as a trust anchor (usages 0 and 2)?
 * A CA (basicConstraints CA:TRUE, or a v1 self-signed root, as
 * X509_check_ca() judges) or a self-signed certificate. A certificate
 * OpenSSL cannot parse is not judged (records need only its DER).
 */
static int may_be_anchor(const struct dk_input *input, size_t idx)
{
	X509 *x = dk_input_get0_cert(input, idx);
	int ok;

	if (!x) {
		return 1;
	}
	ok = X509_check_ca(x) != 0 || X509_self_signed(x, 0) == 1;
	ERR_clear_error();
	return ok;
}

int dk_tlsa_make(const struct dk_input *input, uint8_t usage, uint8_t selector,
		 uint8_t mtype, long cert_index, struct dk_tlsa **ret_tlsa,
		 struct dk_diag *diag)
{
	uint8_t *data = NULL;
	size_t len = 0, idx = 0;
	int r;

	if (!input || !ret_tlsa) {
		return DK_EINVAL;
	}
	if (usage > 3 || selector > 1 || mtype > 2) {
		dki_diagf(diag,
			  "usage %u, selector %u, matching type %u: only "
			  "usages 0-3, selectors 0-1 and matching types "
			  "0-2 are defined (RFC 6698)",
			  usage, selector, mtype);
		return DK_ERANGE;
	}
	if (input->kind == DK_INPUT_CERTS) {
		size_t n = dk_input_cert_count(input);

		if (cert_index >= 0) {
			if ((size_t)cert_index >= n) {
				dki_diagf(diag,
					  "certificate index %ld is out of "
					  "range: "
					  "the input holds %zu certificate%s",
					  cert_index, n, n == 1 ? "" : "s");
				return DK_ERANGE;
			}
			idx = (size_t)cert_index;
		} else if (usage == DK_TLSA_PKIX_TA ||
			   usage == DK_TLSA_DANE_TA) {
			idx = n - 1;
		} else {
			idx = 0;
		}
	} else if (selector == DK_TLSA_CERT) {
		dki_diagf(
			diag,
			"selector 0 (Cert) hashes a whole certificate, and a "
			"%s holds only a public key; use selector 1 (SPKI) or "
			"give the certificate",
			dk_input_kind_name(input->kind));
		return DK_ESELECTOR;
	} else if (cert_index > 0) {
		dki_diagf(diag,
			  "--cert-index applies to certificate chains, and "
			  "this input is a %s",
			  dk_input_kind_name(input->kind));
		return DK_ERANGE;
	}
	if (input->kind == DK_INPUT_CERTS && cert_index < 0 &&
	    (usage == DK_TLSA_PKIX_TA || usage == DK_TLSA_DANE_TA) &&
	    !may_be_anchor(input, idx)) {
		/* RFC 7671 section 5.2: a trust anchor is a CA (or a
		 * self-signed certificate); the leaf alone names none. */
		dki_diagf(diag,
			  "usage %u needs the issuing CA: give the chain "
			  "(fullchain.pem) or the CA certificate",
			  usage);
		return DK_EDATA;
	}
	if (input->kind == DK_INPUT_CERTS) {
		r = assoc_cert_ent(input, idx, selector, mtype, &data, &len);
	} else {
		r = dk_tlsa_assoc_data(NULL, input->pubkey, selector, mtype,
				       &data, &len);
	}
	if (r < 0) {
		dki_diagf(diag, "cannot compute the association data: %s",
			  dk_strerror(r));
		return r;
	}
	r = dk_tlsa_new(usage, selector, mtype, data, len, ret_tlsa);
	free(data);
	return r;
}

/* Compare freshly computed association data with the record's. */
static int same_data(const struct dk_tlsa *tlsa, int r, uint8_t *data,
		     size_t len)
{
	size_t tlen = 0;
	const uint8_t *tdata = dk_tlsa_data(tlsa, &tlen);

	if (r < 0) {
		return r;
	}
	r = len == tlen && memcmp(data, tdata, len) == 0;
	free(data);
	return r;
}

int dk_tlsa_match(const struct dk_tlsa *tlsa, const struct dk_input *input,
		  size_t *ret_depth)
{
	uint8_t u, s, m;
	uint8_t *data = NULL;
	size_t len = 0;

	if (!tlsa || !input) {
		return DK_EINVAL;
	}
	u = dk_tlsa_usage(tlsa);
	s = dk_tlsa_selector(tlsa);
	m = dk_tlsa_mtype(tlsa);
	if (u > 3 || s > 1 || m > 2) {
		return 0; /* unusable: matches nothing (RFC 7671 section 4) */
	}
	if (input->kind != DK_INPUT_CERTS) {
		int r;

		if (s != DK_TLSA_SPKI) {
			return 0;
		}
		r = dk_tlsa_assoc_data(NULL, input->pubkey, s, m, &data, &len);
		r = same_data(tlsa, r, data, len);
		if (r > 0 && ret_depth) {
			*ret_depth = 0;
		}
		return r;
	}
	for (size_t i = 0; i < input->ncerts; i++) {
		int r;

		if ((u == DK_TLSA_PKIX_EE || u == DK_TLSA_DANE_EE) && i > 0) {
			break;
		}
		data = NULL;
		r = assoc_cert_ent(input, i, s, m, &data, &len);
		r = same_data(tlsa, r, data, len);
		if (r != 0) {
			if (r > 0 && ret_depth) {
				*ret_depth = i;
			}
			return r;
		}
	}
	return 0;
}
