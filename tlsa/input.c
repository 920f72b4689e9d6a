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
#include <openssl/x509.h>

#include "internal.h"

struct dk_input {
	enum dk_input_kind kind;
	STACK_OF(X509) *certs; /* DK_INPUT_CERTS */
	EVP_PKEY *pubkey;      /* the key, of the leaf, or of the CSR */
};

static struct dk_input *input_new(enum dk_input_kind kind)
{
	struct dk_input *in = calloc(1, sizeof(*in));

	if (!in) {
		return NULL;
	}
	in->kind = kind;
	if (kind == DK_INPUT_CERTS) {
		in->certs = sk_X509_new_null();
		if (!in->certs) {
			free(in);
			return NULL;
		}
	}
	return in;
}

void dk_input_free(struct dk_input *input)
{
	if (!input) {
		return;
	}
	sk_X509_pop_free(input->certs, X509_free);
	EVP_PKEY_free(input->pubkey);
	free(input);
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
#define D2I_ALL(type, fn, der, len)                                      \
	__extension__({                                                  \
		const unsigned char *p_ = (der);                         \
		type *o_ = fn(NULL, &p_, (long)(len));                   \
		if (o_ && p_ != (der) + (len)) {                         \
			type##_free(o_);                                 \
			o_ = NULL;                                       \
		}                                                        \
		o_;                                                      \
	})

static EVP_PKEY *d2i_privkey_all(int type, const unsigned char *der,
				 size_t len)
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
	EVP_PKEY *key;          /* public half of the one key or CSR */
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
		const unsigned char *p = der;
		X509 *x = bk == BLK_CERT ? d2i_X509(NULL, &p, dlen) :
					   d2i_X509_AUX(NULL, &p, dlen);

		if (!x) {
			dki_diagf(diag,
				 "PEM block %zu (%s) is not a valid certificate: %s",
				 blockno, label, dki_openssl_reason(why, sizeof(why)));
			return DK_EDATA;
		}
		if (!sk_X509_push(st->certs->certs, x)) {
			X509_free(x);
			return DK_ENOMEM;
		}
		return 0;
	}
	case BLK_CSR: {
		X509_REQ *req = D2I_ALL(X509_REQ, d2i_X509_REQ, der, (size_t)dlen);
		EVP_PKEY *k;

		if (!req || !(k = X509_REQ_get0_pubkey(req))) {
			X509_REQ_free(req);
			dki_diagf(diag, "PEM block %zu (%s) is not a valid CSR: %s",
				 blockno, label, dki_openssl_reason(why, sizeof(why)));
			return DK_EDATA;
		}
		k = public_half(k);
		X509_REQ_free(req);
		return take_key(st, k, DK_INPUT_CSR, blockno, diag);
	}
	case BLK_PUBKEY:
	case BLK_RSA_PUBKEY: {
		const unsigned char *p = der;
		EVP_PKEY *k = bk == BLK_PUBKEY ?
				      d2i_PUBKEY(NULL, &p, dlen) :
				      d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, dlen);

		if (!k || p != der + dlen) {
			EVP_PKEY_free(k);
			dki_diagf(diag,
				 "PEM block %zu (%s) is not a valid public key: %s",
				 blockno, label, dki_openssl_reason(why, sizeof(why)));
			return DK_EDATA;
		}
		return take_key(st, k, DK_INPUT_PUBKEY, blockno, diag);
	}
	case BLK_PRIVKEY: {
		EVP_PKEY *k = d2i_privkey_all(pkey_type, der, (size_t)dlen);
		EVP_PKEY *pub;

		if (!k) {
			dki_diagf(diag,
				 "PEM block %zu (%s) is not a valid private key: %s",
				 blockno, label, dki_openssl_reason(why, sizeof(why)));
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

		ERR_clear_error();
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
					 "PEM block %zu is truncated or corrupt: %s",
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
	ERR_clear_error();
	if (r == 0 && sk_X509_num(st.certs->certs) == 0 && !st.key) {
		dki_diagf(diag, "the PEM input holds no certificate, key or CSR");
		r = DK_EDATA;
	}
	if (r == 0 && sk_X509_num(st.certs->certs) == 0 && st.key) {
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
		st.certs->pubkey = X509_get_pubkey(sk_X509_value(st.certs->certs, 0));
		if (!st.certs->pubkey) {
			dki_diagf(diag, "the first certificate has a public key "
				       "OpenSSL cannot read");
			r = DK_EDATA;
		} else {
			*ret = st.certs;
			st.certs = NULL;
		}
	}
	EVP_PKEY_free(st.key);
	dk_input_free(st.certs);
	ERR_clear_error();
	return r;
}

/* DER: one certificate, CSR, public key or private key. */
static int load_der(const uint8_t *buf, size_t len, struct dk_input **ret,
		    struct dk_diag *diag)
{
	struct dk_input *in = NULL;
	X509 *x;
	X509_REQ *req;
	X509_SIG *sig;
	EVP_PKEY *k;

	if ((x = D2I_ALL(X509, d2i_X509, buf, len))) {
		in = input_new(DK_INPUT_CERTS);
		if (!in || !sk_X509_push(in->certs, x)) {
			X509_free(x);
			dk_input_free(in);
			return DK_ENOMEM;
		}
		in->pubkey = X509_get_pubkey(x);
		if (!in->pubkey) {
			dk_input_free(in);
			dki_diagf(diag, "the certificate has a public key OpenSSL "
				       "cannot read");
			return DK_EDATA;
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
		dki_diagf(diag, "not a certificate, key or CSR in PEM or DER form");
		return DK_EDATA;
	}
	ERR_clear_error();
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
	struct stat sb;
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
		if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > DK_INPUT_MAX) {
			if (fd != STDIN_FILENO) {
				close(fd);
			}
			dki_diagf(diag,
				 "the file is %jd bytes, larger than the %u MiB "
				 "limit for a certificate, key or CSR",
				 (intmax_t)sb.st_size, DK_INPUT_MAX / (1024 * 1024));
			return DK_ETOOBIG;
		}
	}
	buf = malloc(DK_INPUT_MAX + 1);
	if (!buf) {
		if (fd != STDIN_FILENO) {
			close(fd);
		}
		return DK_ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, DK_INPUT_MAX + 1 - len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			r = errno_to_dk(errno);
			if (fd != STDIN_FILENO) {
				close(fd);
			}
			free(buf);
			dki_diagf(diag, "%s", r == DK_EISDIR ?
				 "is a directory, not a file" : strerror(errno));
			return r;
		}
		if (n == 0 || (len += (size_t)n) > DK_INPUT_MAX) {
			break;
		}
	}
	if (fd != STDIN_FILENO) {
		close(fd);
	}
	r = dk_input_load(buf, len, ret_input, diag);
	OPENSSL_cleanse(buf, len < DK_INPUT_MAX ? len : DK_INPUT_MAX);
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
	if (!input || !input->certs) {
		return 0;
	}
	return (size_t)sk_X509_num(input->certs);
}

X509 *dk_input_get0_cert(const struct dk_input *input, size_t idx)
{
	if (idx >= dk_input_cert_count(input)) {
		return NULL;
	}
	return sk_X509_value(input->certs, (int)idx);
}

EVP_PKEY *dk_input_get0_pubkey(const struct dk_input *input)
{
	return input ? input->pubkey : NULL;
}

int dk_tlsa_assoc_data(X509 *cert, EVP_PKEY *pkey, uint8_t selector,
		       uint8_t mtype, uint8_t **ret_data, size_t *ret_len)
{
	unsigned char *der = NULL;
	const EVP_MD *md;
	unsigned int mdlen = 0;
	uint8_t *out;
	int n;

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
	if (mtype == DK_TLSA_FULL) {
		out = malloc((size_t)n);
		if (!out) {
			OPENSSL_free(der);
			return DK_ENOMEM;
		}
		memcpy(out, der, (size_t)n);
		OPENSSL_free(der);
		*ret_data = out;
		*ret_len = (size_t)n;
		return 0;
	}
	md = mtype == DK_TLSA_SHA256 ? EVP_sha256() : EVP_sha512();
	out = malloc(EVP_MAX_MD_SIZE);
	if (!out) {
		OPENSSL_free(der);
		return DK_ENOMEM;
	}
	if (!EVP_Digest(der, (size_t)n, out, &mdlen, md, NULL)) {
		OPENSSL_free(der);
		free(out);
		ERR_clear_error();
		return DK_ECRYPTO;
	}
	OPENSSL_free(der);
	*ret_data = out;
	*ret_len = mdlen;
	return 0;
}

int dk_tlsa_make(const struct dk_input *input, uint8_t usage,
		 uint8_t selector, uint8_t mtype, long cert_index,
		 struct dk_tlsa **ret_tlsa, struct dk_diag *diag)
{
	uint8_t *data = NULL;
	size_t len = 0;
	X509 *cert = NULL;
	int r;

	if (!input || !ret_tlsa) {
		return DK_EINVAL;
	}
	if (usage > 3 || selector > 1 || mtype > 2) {
		dki_diagf(diag, "usage %u, selector %u, matching type %u: only "
			       "usages 0-3, selectors 0-1 and matching types "
			       "0-2 are defined (RFC 6698)",
			 usage, selector, mtype);
		return DK_ERANGE;
	}
	if (input->kind == DK_INPUT_CERTS) {
		size_t n = dk_input_cert_count(input);
		size_t idx;

		if (cert_index >= 0) {
			if ((size_t)cert_index >= n) {
				dki_diagf(diag,
					 "certificate index %ld is out of range: "
					 "the input holds %zu certificate%s",
					 cert_index, n, n == 1 ? "" : "s");
				return DK_ERANGE;
			}
			idx = (size_t)cert_index;
		} else if (usage == DK_TLSA_PKIX_TA || usage == DK_TLSA_DANE_TA) {
			idx = n - 1;
		} else {
			idx = 0;
		}
		cert = dk_input_get0_cert(input, idx);
	} else if (selector == DK_TLSA_CERT) {
		dki_diagf(diag,
			 "selector 0 (Cert) hashes a whole certificate, and a "
			 "%s holds only a public key; use selector 1 (SPKI) or "
			 "give the certificate",
			 dk_input_kind_name(input->kind));
		return DK_ESELECTOR;
	} else if (cert_index > 0) {
		dki_diagf(diag, "--cert-index applies to certificate chains, and "
			       "this input is a %s",
			 dk_input_kind_name(input->kind));
		return DK_ERANGE;
	}
	r = dk_tlsa_assoc_data(cert, cert ? NULL : input->pubkey, selector,
			       mtype, &data, &len);
	if (r < 0) {
		dki_diagf(diag, "cannot compute the association data: %s",
			 dk_strerror(r));
		return r;
	}
	r = dk_tlsa_new(usage, selector, mtype, data, len, ret_tlsa);
	free(data);
	return r;
}

static int match_one(const struct dk_tlsa *tlsa, X509 *cert, EVP_PKEY *pkey)
{
	uint8_t *data = NULL;
	size_t len = 0, tlen = 0;
	const uint8_t *tdata = dk_tlsa_data(tlsa, &tlen);
	int r = dk_tlsa_assoc_data(cert, pkey, dk_tlsa_selector(tlsa),
				   dk_tlsa_mtype(tlsa), &data, &len);

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
		r = match_one(tlsa, NULL, input->pubkey);
		if (r > 0 && ret_depth) {
			*ret_depth = 0;
		}
		return r;
	}
	for (size_t i = 0; i < dk_input_cert_count(input); i++) {
		int r;

		if ((u == DK_TLSA_PKIX_EE || u == DK_TLSA_DANE_EE) && i > 0) {
			break;
		}
		r = match_one(tlsa, dk_input_get0_cert(input, i), NULL);
		if (r != 0) {
			if (r > 0 && ret_depth) {
				*ret_depth = i;
			}
			return r;
		}
	}
	return 0;
}
