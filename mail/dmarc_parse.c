/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMARC records (RFC 7489 section 6.4, RFC 9989 section 4.7), DKIM key
 * records (RFC 6376 section 3.6.1) and BIMI assertion records: tag-lists,
 * offline. DKIM keys are decoded and measured by OpenSSL.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mail/internal.h"

static int wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Copy @s..@e trimmed of spaces, tabs, CR and LF (FWS). */
static char *trimmed(const char *s, const char *e)
{
	while (s < e && (wsp(*s) || *s == '\r' || *s == '\n')) {
		s++;
	}
	while (e > s && (wsp(e[-1]) || e[-1] == '\r' || e[-1] == '\n')) {
		e--;
	}
	return strndup(s, (size_t)(e - s));
}

void dkm_taglist_free(struct dkm_taglist *t)
{
	if (!t) {
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		free(t->tags[i].name);
		free(t->tags[i].value);
	}
	free(t->tags);
	memset(t, 0, sizeof(*t));
}

const char *dkm_taglist_get(const struct dkm_taglist *t, const char *name)
{
	for (size_t i = 0; t && i < t->n; i++) {
		if (strcmp(t->tags[i].name, name) == 0) {
			return t->tags[i].value;
		}
	}
	return NULL;
}

int dkm_taglist_parse(const char *txt, struct dkm_taglist *ret)
{
	const char *p = txt;

	memset(ret, 0, sizeof(*ret));
	while (p && *p) {
		const char *end = strchr(p, ';');
		const char *eq;
		char *name, *value;
		struct dkm_tag *nt;

		if (!end) {
			end = p + strlen(p);
		}
		eq = memchr(p, '=', (size_t)(end - p));
		if (!eq) {
			char *seg = trimmed(p, end);

			if (!seg) {
				return DK_ENOMEM;
			}
			if (*seg && !ret->bad) {
				snprintf(ret->why, sizeof(ret->why),
					 "'%s' is not tag=value", seg);
				ret->bad = 1;
			}
			free(seg);
			p = *end ? end + 1 : end;
			continue;
		}
		name = trimmed(p, eq);
		value = trimmed(eq + 1, end);
		if (!name || !value) {
			free(name);
			free(value);
			return DK_ENOMEM;
		}
		/* tag-name = ALPHA *ALNUMPUNC (RFC 6376 section 3.2) */
		if (!isalpha((unsigned char)name[0]) ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
				 "TUVWXYZ0123456789_") != strlen(name)) {
			if (!ret->bad) {
				snprintf(ret->why, sizeof(ret->why),
					 "'%s' is not a tag name", name);
			}
			ret->bad = 1;
			free(name);
			free(value);
			p = *end ? end + 1 : end;
			continue;
		}
		if (dkm_taglist_get(ret, name)) {
			ret->dup = 1;
		}
		nt = realloc(ret->tags, (ret->n + 1) * sizeof(*nt));
		if (!nt) {
			free(name);
			free(value);
			return DK_ENOMEM;
		}
		ret->tags = nt;
		ret->tags[ret->n].name = name;
		ret->tags[ret->n].value = value;
		ret->n++;
		p = *end ? end + 1 : end;
	}
	return ret->bad ? DK_EDATA : 0;
}

/* ---- DMARC ---------------------------------------------------------- */

int dkm_dmarc_policy(const char *v)
{
	if (!v) {
		return -1;
	}
	if (strcasecmp(v, "none") == 0) {
		return 0;
	}
	if (strcasecmp(v, "quarantine") == 0) {
		return 1;
	}
	if (strcasecmp(v, "reject") == 0) {
		return 2;
	}
	return -1;
}

const char *dkm_dmarc_policy_name(int p)
{
	switch (p) {
	case 0:
		return "none";
	case 1:
		return "quarantine";
	case 2:
		return "reject";
	default:
		return NULL;
	}
}

int dkm_dmarc_candidate(const char *txt)
{
	/* dmarc-version = "v" *WSP "=" *WSP "DMARC1" (RFC 7489 6.4) */
	const char *p = txt;

	if (!p || (*p != 'v' && *p != 'V')) {
		return 0;
	}
	p++;
	while (wsp(*p)) {
		p++;
	}
	if (*p != '=') {
		return 0;
	}
	p++;
	while (wsp(*p)) {
		p++;
	}
	return strncasecmp(p, "DMARC", 5) == 0;
}

void dkm_dmarc_record_free(struct dkm_dmarc_record *r)
{
	if (!r) {
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		free(r->tags[i].name);
		free(r->tags[i].value);
	}
	free(r->tags);
	memset(r, 0, sizeof(*r));
}

const char *dkm_dmarc_tag(const struct dkm_dmarc_record *r, const char *name)
{
	for (size_t i = 0; r && i < r->n; i++) {
		if (strcasecmp(r->tags[i].name, name) == 0) {
			return r->tags[i].value;
		}
	}
	return NULL;
}

static int policy_tag(const struct dkm_dmarc_record *r, const char *name)
{
	const char *v = dkm_dmarc_tag(r, name);
	int p;

	if (!v) {
		return -1;
	}
	p = dkm_dmarc_policy(v);
	return p < 0 ? -2 : p;
}

int dkm_dmarc_parse(const char *txt, struct dkm_dmarc_record *ret)
{
	struct dkm_taglist tl;
	const char *semi, *v;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->p = ret->sp = ret->np = ret->pct = ret->t = ret->psd = -1;
	if (!dkm_dmarc_candidate(txt)) {
		snprintf(ret->why, sizeof(ret->why), "not a DMARC record");
		return DK_EDATA;
	}
	r = dkm_taglist_parse(txt, &tl);
	if (r == DK_ENOMEM) {
		dkm_taglist_free(&tl);
		return r;
	}
	/* RFC 7489 6.6.3: malformed tags are ignored, not fatal */
	ret->tags = tl.tags;
	ret->n = tl.n;
	/* the version token, then *WSP ";" (dmarc-sep) */
	semi = txt + 1;
	while (wsp(*semi)) {
		semi++;
	}
	semi++; /* '=' */
	while (wsp(*semi)) {
		semi++;
	}
	v = semi;
	while (*semi && *semi != ';' && !wsp(*semi)) {
		semi++;
	}
	if ((size_t)(semi - v) != 6 || strncmp(v, "DMARC1", 6) != 0) {
		/* the version is case-sensitive (%x44.4d.41.52.43.31) */
		ret->bad_version = 1;
		snprintf(ret->why, sizeof(ret->why),
			 "the version is '%.*s', not exactly 'DMARC1'",
			 (int)(semi - v), v);
		return DK_EDATA;
	}
	while (wsp(*semi)) {
		semi++;
	}
	if (*semi != ';') {
		snprintf(ret->why, sizeof(ret->why),
			 "no ';' after v=DMARC1 (RFC 7489 dmarc-sep)");
		return DK_EDATA;
	}
	ret->valid = 1;
	ret->p = policy_tag(ret, "p");
	ret->sp = policy_tag(ret, "sp");
	ret->np = policy_tag(ret, "np");
	v = dkm_dmarc_tag(ret, "pct");
	if (v) {
		char *end = NULL;
		long x = strtol(v, &end, 10);

		ret->pct = (*v && end && !*end && x >= 0 && x <= 100) ? (int)x
								      : -2;
	}
	v = dkm_dmarc_tag(ret, "t");
	if (v) {
		ret->t = strcasecmp(v, "y") == 0   ? 1
			 : strcasecmp(v, "n") == 0 ? 0
						   : -2;
	}
	v = dkm_dmarc_tag(ret, "psd");
	if (v) {
		ret->psd = strcasecmp(v, "n") == 0   ? 0
			   : strcasecmp(v, "y") == 0 ? 1
			   : strcasecmp(v, "u") == 0 ? 2
						     : -2;
	}
	return 0;
}

/* ---- DKIM key records ------------------------------------------------ */

/* Decode base64 with OpenSSL after removing FWS (RFC 6376 base64string).
 * Returns the length, or -1 when it is not base64. */
static long b64_decode(const char *s, unsigned char **ret)
{
	size_t n = strlen(s), o = 0;
	char *clean = malloc(n + 1);
	unsigned char *out;
	EVP_ENCODE_CTX *ctx;
	int l1 = 0, l2 = 0, r;

	*ret = NULL;
	if (!clean) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!wsp(s[i]) && s[i] != '\r' && s[i] != '\n') {
			clean[o++] = s[i];
		}
	}
	clean[o] = '\0';
	out = malloc(o + 4);
	ctx = EVP_ENCODE_CTX_new();
	if (!out || !ctx) {
		free(clean);
		free(out);
		EVP_ENCODE_CTX_free(ctx);
		return -1;
	}
	EVP_DecodeInit(ctx);
	r = EVP_DecodeUpdate(ctx, out, &l1, (const unsigned char *)clean,
			     (int)o);
	if (r >= 0) {
		r = EVP_DecodeFinal(ctx, out + l1, &l2);
	}
	EVP_ENCODE_CTX_free(ctx);
	free(clean);
	ERR_clear_error();
	if (r < 0 || (o % 4) != 0) {
		free(out);
		return -1;
	}
	*ret = out;
	return (long)(l1 + l2);
}

int dkm_dkim_parse(const char *txt, struct dkm_dkim_key *ret)
{
	struct dkm_taglist tl;
	const char *v, *p, *h, *s, *t;
	unsigned char *der = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->decoded_len = -1;
	ret->email_ok = 1;
	snprintf(ret->k, sizeof(ret->k), "rsa");
	r = dkm_taglist_parse(txt, &tl);
	if (r < 0) {
		snprintf(ret->why, sizeof(ret->why), "%s",
			 r == DK_ENOMEM ? "out of memory" : tl.why);
		ret->key_invalid = 1;
		dkm_taglist_free(&tl);
		return r;
	}
	v = dkm_taglist_get(&tl, "v");
	if (v && strcmp(tl.tags[0].name, "v") != 0) {
		ret->version_not_first = 1;
	}
	if (v && strcmp(v, "DKIM1") != 0) {
		ret->bad_version = 1;
	}
	if ((v = dkm_taglist_get(&tl, "k"))) {
		snprintf(ret->k, sizeof(ret->k), "%s", v);
	}
	if ((h = dkm_taglist_get(&tl, "h"))) {
		int sha1 = 0, other = 0;

		for (const char *q = h; *q;) {
			size_t n = strcspn(q, ":");
			char *w = trimmed(q, q + n);

			if (w && strcasecmp(w, "sha1") == 0) {
				sha1 = 1;
			} else if (w && *w) {
				other = 1;
			}
			free(w);
			q += n;
			if (*q) {
				q++;
			}
		}
		ret->sha1_only = sha1 && !other;
	}
	if ((s = dkm_taglist_get(&tl, "s"))) {
		snprintf(ret->services, sizeof(ret->services), "%s", s);
		ret->email_ok = 0;
		for (const char *q = s; *q;) {
			size_t n = strcspn(q, ":");
			char *w = trimmed(q, q + n);

			if (w && (strcmp(w, "*") == 0 ||
				  strcasecmp(w, "email") == 0)) {
				ret->email_ok = 1;
			}
			free(w);
			q += n;
			if (*q) {
				q++;
			}
		}
	}
	if ((t = dkm_taglist_get(&tl, "t"))) {
		for (const char *q = t; *q;) {
			size_t n = strcspn(q, ":");
			char *w = trimmed(q, q + n);

			if (w && strcasecmp(w, "y") == 0) {
				ret->testing = 1;
			}
			free(w);
			q += n;
			if (*q) {
				q++;
			}
		}
	}
	p = dkm_taglist_get(&tl, "p");
	if (!p) {
		ret->key_invalid = 1;
		snprintf(ret->why, sizeof(ret->why), "no p= tag");
		dkm_taglist_free(&tl);
		return 0;
	}
	if (!*p) {
		ret->revoked = 1;
		dkm_taglist_free(&tl);
		return 0;
	}
	ret->decoded_len = b64_decode(p, &der);
	if (ret->decoded_len < 0) {
		ret->key_invalid = 1;
		snprintf(ret->why, sizeof(ret->why), "p= is not base64");
		dkm_taglist_free(&tl);
		return 0;
	}
	if (strcasecmp(ret->k, "ed25519") == 0) {
		/* RFC 8463 section 4: the 32 raw bytes of the public key */
		EVP_PKEY *pk = NULL;

		if (ret->decoded_len != 32) {
			ret->ed25519_format = 1;
			snprintf(ret->why, sizeof(ret->why),
				 "p= decodes to %ld bytes, not 32",
				 ret->decoded_len);
		} else {
			pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							 der, 32);
			if (pk) {
				ret->bits = EVP_PKEY_get_bits(pk);
			} else {
				ret->key_invalid = 1;
				snprintf(ret->why, sizeof(ret->why),
					 "not an Ed25519 public key");
			}
		}
		EVP_PKEY_free(pk);
	} else if (strcasecmp(ret->k, "rsa") == 0) {
		/* SubjectPublicKeyInfo, or a bare RSAPublicKey */
		const unsigned char *q = der;
		EVP_PKEY *pk = d2i_PUBKEY(NULL, &q, ret->decoded_len);

		if (!pk || q != der + ret->decoded_len) {
			EVP_PKEY_free(pk);
			q = der;
			pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q,
					   ret->decoded_len);
			if (pk && q != der + ret->decoded_len) {
				EVP_PKEY_free(pk);
				pk = NULL;
			}
		}
		if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
			ret->key_invalid = 1;
			snprintf(ret->why, sizeof(ret->why),
				 "p= is not an RSA public key");
		} else {
			ret->bits = EVP_PKEY_get_bits(pk);
		}
		EVP_PKEY_free(pk);
	} else {
		ret->key_invalid = 1;
		snprintf(ret->why, sizeof(ret->why), "unknown key type k=%s",
			 ret->k);
	}
	ERR_clear_error();
	free(der);
	dkm_taglist_free(&tl);
	return 0;
}

/* ---- BIMI assertion records ------------------------------------------ */

void dkm_bimi_record_free(struct dkm_bimi_record *r)
{
	if (r) {
		dkm_taglist_free(&r->tags);
		memset(r, 0, sizeof(*r));
	}
}

int dkm_bimi_parse(const char *txt, struct dkm_bimi_record *ret)
{
	const char *l, *a;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = dkm_taglist_parse(txt, &ret->tags);
	if (r < 0) {
		snprintf(ret->why, sizeof(ret->why), "%s",
			 r == DK_ENOMEM ? "out of memory" : ret->tags.why);
		return r;
	}
	if (ret->tags.n == 0 || strcmp(ret->tags.tags[0].name, "v") != 0 ||
	    strcmp(ret->tags.tags[0].value, "BIMI1") != 0) {
		snprintf(ret->why, sizeof(ret->why),
			 "the record does not start with v=BIMI1");
		return DK_EDATA;
	}
	if (ret->tags.dup) {
		snprintf(ret->why, sizeof(ret->why), "a tag appears twice");
		return DK_EDATA;
	}
	ret->valid = 1;
	l = dkm_taglist_get(&ret->tags, "l");
	a = dkm_taglist_get(&ret->tags, "a");
	if (!l) {
		ret->l_missing = 1;
		return 0;
	}
	if (!*l) {
		ret->declined = !a || !*a;
		return 0;
	}
	if (strchr(l, ',')) {
		ret->l_multiple = 1;
	}
	if (strncasecmp(l, "https://", 8) != 0 || !l[8]) {
		ret->l_not_https = 1;
	}
	return 0;
}
