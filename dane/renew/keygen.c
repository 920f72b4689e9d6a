/* SPDX-License-Identifier: BSD-3-Clause */
/* The next key and its CSR (rollover --prepare-next). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "dane/renew/internal.h"

static const struct {
	const char *name;
	enum dk_key_type type;
} key_names[] = {
	{ "ec-p256", DK_KEY_EC_P256 },	  { "ecdsa", DK_KEY_EC_P256 },
	{ "p256", DK_KEY_EC_P256 },	  { "ec", DK_KEY_EC_P256 },
	{ "ecdsa-p256", DK_KEY_EC_P256 }, { "rsa2048", DK_KEY_RSA2048 },
	{ "rsa3072", DK_KEY_RSA3072 },	  { "ed25519", DK_KEY_ED25519 },
};

int dk_key_type_parse(const char *name)
{
	if (!name) {
		return DK_EINVAL;
	}
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++) {
		if (strcasecmp(name, key_names[i].name) == 0) {
			return (int)key_names[i].type;
		}
	}
	return DK_EINVAL;
}

const char *dk_key_type_name(enum dk_key_type type)
{
	switch (type) {
	case DK_KEY_EC_P256:
		return "ec-p256";
	case DK_KEY_RSA2048:
		return "rsa2048";
	case DK_KEY_RSA3072:
		return "rsa3072";
	case DK_KEY_ED25519:
		return "ed25519";
	}
	return NULL;
}

int dk_renew_keygen(enum dk_key_type type, EVP_PKEY **ret_key,
		    struct dk_diag *diag)
{
	EVP_PKEY *k = NULL;
	char buf[256];

	if (!ret_key) {
		return DK_EINVAL;
	}
	switch (type) {
	case DK_KEY_EC_P256:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case DK_KEY_RSA2048:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case DK_KEY_RSA3072:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case DK_KEY_ED25519:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	default:
		return DK_EINVAL;
	}
	if (!k) {
		dki_diagf(diag, "key generation failed: %s",
			  dki_openssl_reason(buf, sizeof(buf)));
		return DK_ECRYPTO;
	}
	*ret_key = k;
	return 0;
}

/* PEM of @key (private, PKCS#8) or of @csr in a malloc()ed buffer. */
static int to_pem(EVP_PKEY *key, X509_REQ *csr, char **ret, size_t *ret_len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int ok;

	if (!b) {
		return DK_ENOMEM;
	}
	ok = key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
		 : PEM_write_bio_X509_REQ(b, csr);
	n = BIO_get_mem_data(b, &data);
	if (!ok || n <= 0) {
		BIO_free(b);
		ERR_clear_error();
		return DK_ECRYPTO;
	}
	*ret = malloc((size_t)n);
	if (!*ret) {
		BIO_free(b);
		return DK_ENOMEM;
	}
	memcpy(*ret, data, (size_t)n);
	*ret_len = (size_t)n;
	BIO_free(b);
	return 0;
}

int dk_renew_write_key(EVP_PKEY *key, const char *path, int force,
		       struct dk_diag *diag)
{
	char *pem = NULL;
	size_t len = 0;
	struct stat st;
	int r;

	if (!key || !path || !*path) {
		return DK_EINVAL;
	}
	r = to_pem(key, NULL, &pem, &len);
	if (r < 0) {
		dki_diagf(diag, "cannot encode the private key");
		return r;
	}
	r = dkr_write_file(path, pem, len, 0600, !force, diag);
	if (r == DK_EEXIST && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		dki_diagf(diag,
			  "%s exists; a key file is never overwritten "
			  "(use --force to replace it)",
			  path);
	}
	OPENSSL_cleanse(pem, len);
	free(pem);
	return r;
}

int dk_renew_csr(EVP_PKEY *key, const char *const *names, size_t nnames,
		 X509_REQ **ret_csr, struct dk_diag *diag)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	GENERAL_NAMES *gens = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	const EVP_MD *md = EVP_sha256();
	char buf[256];
	int r = DK_ECRYPTO;

	if (!key || !names || nnames == 0 || !ret_csr) {
		return DK_EINVAL;
	}
	for (size_t i = 0; i < nnames; i++) {
		if (!names[i] || dk_tlsa_check_host(names[i], diag) < 0) {
			return names[i] ? DK_EDATA : DK_EINVAL;
		}
	}
	if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448")) {
		md = NULL; /* pure EdDSA signs the message itself */
	}
	req = X509_REQ_new();
	subj = X509_NAME_new();
	gens = GENERAL_NAMES_new();
	exts = sk_X509_EXTENSION_new_null();
	if (!req || !subj || !gens || !exts) {
		r = DK_ENOMEM;
		goto out;
	}
	{
		/* CN without the final dot */
		char cn[256];
		size_t n = strlen(names[0]);

		if (n >= sizeof(cn)) {
			r = DK_EINVAL;
			goto out;
		}
		memcpy(cn, names[0], n + 1);
		if (n && cn[n - 1] == '.') {
			cn[n - 1] = '\0';
		}
		if (!X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
						(const unsigned char *)cn, -1,
						-1, 0)) {
			goto out;
		}
	}
	for (size_t i = 0; i < nnames; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		size_t n = strlen(names[i]);

		if (n && names[i][n - 1] == '.') {
			n--;
		}
		if (!g || !s || !ASN1_STRING_set(s, names[i], (int)n)) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
			goto out;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		if (!sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			goto out;
		}
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
	if (!ext || !sk_X509_EXTENSION_push(exts, ext)) {
		goto out;
	}
	ext = NULL;
	if (!X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, subj) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_add_extensions(req, exts) ||
	    X509_REQ_sign(req, key, md) <= 0) {
		goto out;
	}
	*ret_csr = req;
	req = NULL;
	r = 0;
out:
	if (r == DK_ECRYPTO) {
		dki_diagf(diag, "cannot make the CSR: %s",
			  dki_openssl_reason(buf, sizeof(buf)));
	}
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return r;
}

int dk_renew_write_csr(X509_REQ *csr, const char *path, struct dk_diag *diag)
{
	char *pem = NULL;
	size_t len = 0;
	int r;

	if (!csr || !path || !*path) {
		return DK_EINVAL;
	}
	r = to_pem(NULL, csr, &pem, &len);
	if (r < 0) {
		return r;
	}
	r = dkr_write_file(path, pem, len, 0644, 0, diag);
	free(pem);
	return r;
}
