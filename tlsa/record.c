/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLSA record: fields, mnemonics (RFC 7218), presentation and wire
 * formats through ldns, owner names.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include "internal.h"

struct dk_tlsa {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	size_t len;
	uint8_t data[];
};

static const char *const usage_names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA",
					   "DANE-EE" };
static const char *const selector_names[] = { "Cert", "SPKI" };
static const char *const mtype_names[] = { "Full", "SHA2-256", "SHA2-512" };

static const char *const *field_table(enum dk_tlsa_field field, size_t *n)
{
	switch (field) {
	case DK_TLSA_FIELD_USAGE:
		*n = sizeof(usage_names) / sizeof(usage_names[0]);
		return usage_names;
	case DK_TLSA_FIELD_SELECTOR:
		*n = sizeof(selector_names) / sizeof(selector_names[0]);
		return selector_names;
	case DK_TLSA_FIELD_MTYPE:
		*n = sizeof(mtype_names) / sizeof(mtype_names[0]);
		return mtype_names;
	}
	*n = 0;
	return NULL;
}

int dk_tlsa_field_parse(enum dk_tlsa_field field, const char *text)
{
	const char *const *names;
	size_t n;

	if (!text || !*text) {
		return DK_EINVAL;
	}
	names = field_table(field, &n);
	if (!names) {
		return DK_EINVAL;
	}
	if (isdigit((unsigned char)text[0])) {
		unsigned long v = 0;
		const char *p;

		for (p = text; *p; p++) {
			if (!isdigit((unsigned char)*p)) {
				return DK_EINVAL;
			}
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 255) {
				return DK_EINVAL;
			}
		}
		return (int)v;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(text, names[i]) == 0) {
			return (int)i;
		}
	}
	return DK_EINVAL;
}

const char *dk_tlsa_field_name(enum dk_tlsa_field field, unsigned value)
{
	size_t n;
	const char *const *names = field_table(field, &n);

	if (!names || value >= n) {
		return NULL;
	}
	return names[value];
}

int dk_tlsa_new(uint8_t usage, uint8_t selector, uint8_t mtype,
		const uint8_t *data, size_t len, struct dk_tlsa **ret_tlsa)
{
	struct dk_tlsa *t;

	if (!ret_tlsa || (len > 0 && !data) || len > 65535) {
		return DK_EINVAL;
	}
	t = malloc(sizeof(*t) + len);
	if (!t) {
		return DK_ENOMEM;
	}
	t->usage = usage;
	t->selector = selector;
	t->mtype = mtype;
	t->len = len;
	if (len) {
		memcpy(t->data, data, len);
	}
	*ret_tlsa = t;
	return 0;
}

void dk_tlsa_free(struct dk_tlsa *tlsa)
{
	free(tlsa);
}

struct dk_tlsa *dk_tlsa_dup(const struct dk_tlsa *tlsa)
{
	struct dk_tlsa *t = NULL;

	if (!tlsa) {
		return NULL;
	}
	if (dk_tlsa_new(tlsa->usage, tlsa->selector, tlsa->mtype, tlsa->data,
			tlsa->len, &t) < 0) {
		return NULL;
	}
	return t;
}

uint8_t dk_tlsa_usage(const struct dk_tlsa *tlsa)
{
	return tlsa ? tlsa->usage : 0;
}

uint8_t dk_tlsa_selector(const struct dk_tlsa *tlsa)
{
	return tlsa ? tlsa->selector : 0;
}

uint8_t dk_tlsa_mtype(const struct dk_tlsa *tlsa)
{
	return tlsa ? tlsa->mtype : 0;
}

const uint8_t *dk_tlsa_data(const struct dk_tlsa *tlsa, size_t *ret_len)
{
	if (!tlsa) {
		if (ret_len) {
			*ret_len = 0;
		}
		return NULL;
	}
	if (ret_len) {
		*ret_len = tlsa->len;
	}
	return tlsa->data;
}

int dk_tlsa_cmp(const struct dk_tlsa *a, const struct dk_tlsa *b)
{
	size_t n;
	int c;

	if (!a || !b) {
		return (a != NULL) - (b != NULL);
	}
	if (a->usage != b->usage) {
		return a->usage < b->usage ? -1 : 1;
	}
	if (a->selector != b->selector) {
		return a->selector < b->selector ? -1 : 1;
	}
	if (a->mtype != b->mtype) {
		return a->mtype < b->mtype ? -1 : 1;
	}
	n = a->len < b->len ? a->len : b->len;
	c = n ? memcmp(a->data, b->data, n) : 0;
	if (c) {
		return c < 0 ? -1 : 1;
	}
	return (a->len > b->len) - (a->len < b->len);
}

/*
 * One DER TLV at @d (@len bytes available): its tag and the place and
 * length of its content. Definite lengths only (DER). 0 or -1.
 */
static int der_next(const uint8_t *d, size_t len, uint8_t *ret_tag,
		    size_t *ret_hdr, size_t *ret_clen)
{
	size_t hdr = 2, clen;

	if (len < 2 || (d[0] & 0x1f) == 0x1f) {
		return -1;
	}
	if (d[1] < 0x80) {
		clen = d[1];
	} else {
		size_t nb = d[1] & 0x7f;

		if (nb == 0 || nb > 4 || len < 2 + nb) {
			return -1;
		}
		clen = 0;
		for (size_t i = 0; i < nb; i++) {
			clen = clen << 8 | d[2 + i];
		}
		hdr += nb;
	}
	if (clen > len - hdr) {
		return -1;
	}
	*ret_tag = d[0];
	*ret_hdr = hdr;
	*ret_clen = clen;
	return 0;
}

/*
 * Is @d a DER SEQUENCE of exactly @len bytes whose elements have the
 * tags @tags[0..ntags-1], in order, and fill it?
 */
static int der_sequence_of(const uint8_t *d, size_t len, const uint8_t *tags,
			   size_t ntags)
{
	uint8_t tag;
	size_t hdr, clen, off;

	if (der_next(d, len, &tag, &hdr, &clen) < 0 || tag != 0x30 ||
	    hdr + clen != len) {
		return 0;
	}
	off = hdr;
	for (size_t i = 0; i < ntags; i++) {
		size_t h2, c2;

		if (der_next(d + off, len - off, &tag, &h2, &c2) < 0 ||
		    tag != tags[i]) {
			return 0;
		}
		off += h2 + c2;
	}
	return off == len;
}

int dk_tlsa_check_record(const struct dk_tlsa *tlsa, struct dk_diag *diag)
{
	/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
	 * signatureValue BIT STRING } (RFC 5280 section 4.1);
	 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm, BIT STRING }. */
	static const uint8_t cert_tags[] = { 0x30, 0x30, 0x03 };
	static const uint8_t spki_tags[] = { 0x30, 0x03 };
	const char *what;

	if (!tlsa) {
		return DK_EINVAL;
	}
	if (tlsa->usage > DK_TLSA_DANE_EE) {
		dki_diagf(diag,
			  "usage %u is not defined: usages are 0-3 (PKIX-TA, "
			  "PKIX-EE, DANE-TA, DANE-EE; RFC 6698 section 2.1.1)",
			  tlsa->usage);
		return DK_EDATA;
	}
	if (tlsa->selector > DK_TLSA_SPKI) {
		dki_diagf(diag,
			  "selector %u is not defined: selectors are 0 (Cert) "
			  "and 1 (SPKI) (RFC 6698 section 2.1.2)",
			  tlsa->selector);
		return DK_EDATA;
	}
	what = tlsa->selector == DK_TLSA_CERT ? "certificate"
					      : "SubjectPublicKeyInfo";
	switch (tlsa->mtype) {
	case DK_TLSA_SHA256:
	case DK_TLSA_SHA512: {
		size_t want = tlsa->mtype == DK_TLSA_SHA256 ? 32 : 64;

		if (tlsa->len != want) {
			dki_diagf(diag,
				  "a %s digest (matching type %u) is %zu "
				  "bytes (%zu hex digits), and this one is %zu "
				  "bytes",
				  tlsa->mtype == DK_TLSA_SHA256 ? "SHA2-256"
								: "SHA2-512",
				  tlsa->mtype, want, 2 * want, tlsa->len);
			return DK_EDATA;
		}
		return 0;
	}
	case DK_TLSA_FULL:
		if (tlsa->len == 0) {
			dki_diagf(diag,
				  "matching type 0 (Full) carries the whole "
				  "%s in DER, and the data is empty",
				  what);
			return DK_EDATA;
		}
		if (tlsa->selector == DK_TLSA_CERT
			    ? !der_sequence_of(tlsa->data, tlsa->len, cert_tags,
					       3)
			    : !der_sequence_of(tlsa->data, tlsa->len, spki_tags,
					       2)) {
			dki_diagf(diag,
				  "matching type 0 (Full) with selector %u "
				  "carries a DER %s, and the data is not one",
				  tlsa->selector, what);
			return DK_EDATA;
		}
		return 0;
	default:
		dki_diagf(diag,
			  "matching type %u is not defined: matching types are "
			  "0 (Full), 1 (SHA2-256) and 2 (SHA2-512) (RFC 6698 "
			  "section 2.1.3)",
			  tlsa->mtype);
		return DK_EDATA;
	}
}

int dk_tlsa_from_wire(const uint8_t *rdata, size_t len,
		      struct dk_tlsa **ret_tlsa)
{
	if (!rdata || !ret_tlsa) {
		return DK_EINVAL;
	}
	if (len < 3) {
		return DK_EDATA;
	}
	return dk_tlsa_new(rdata[0], rdata[1], rdata[2], rdata + 3, len - 3,
			   ret_tlsa);
}

int dk_tlsa_to_wire(const struct dk_tlsa *tlsa, uint8_t **ret_wire,
		    size_t *ret_len)
{
	uint8_t *w;

	if (!tlsa || !ret_wire || !ret_len) {
		return DK_EINVAL;
	}
	w = malloc(3 + tlsa->len);
	if (!w) {
		return DK_ENOMEM;
	}
	w[0] = tlsa->usage;
	w[1] = tlsa->selector;
	w[2] = tlsa->mtype;
	memcpy(w + 3, tlsa->data, tlsa->len);
	*ret_wire = w;
	*ret_len = 3 + tlsa->len;
	return 0;
}

/*
 * Replace RFC 7218 mnemonics in the first three RDATA fields by numbers,
 * since ldns only reads numbers there. @fields points at the RDATA text.
 */
static int rewrite_mnemonics(const char *fields, char *out, size_t outlen)
{
	const char *p = fields;
	size_t o = 0;

	for (int f = 0; f < 3; f++) {
		char word[32];
		size_t w = 0;
		int v;

		while (*p == ' ' || *p == '\t') {
			p++;
		}
		while (*p && *p != ' ' && *p != '\t' && w + 1 < sizeof(word)) {
			word[w++] = *p++;
		}
		word[w] = '\0';
		if (*p && *p != ' ' && *p != '\t') {
			return -1;
		}
		v = dk_tlsa_field_parse((enum dk_tlsa_field)f, word);
		if (v < 0) {
			return -1;
		}
		o += (size_t)snprintf(out + o, outlen - o, "%d ", v);
		if (o >= outlen) {
			return -1;
		}
	}
	if (strlen(p) + o + 1 > outlen) {
		return -1;
	}
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	{
		/* ldns pads an odd number of hex digits with a 0: refuse. */
		size_t digits = 0;

		for (const char *q = p; *q && *q != ';'; q++) {
			digits += isxdigit((unsigned char)*q) != 0;
		}
		if (digits % 2) {
			return -2;
		}
	}
	strcpy(out + o, p);
	return 0;
}

#define ODD_HEX "the association data has an odd number of hex digits"

/* Does the text look like RDATA alone (starts with a field value)? */
static int is_rdata_only(const char *text)
{
	char word[32];
	size_t w = 0;

	while (*text == ' ' || *text == '\t') {
		text++;
	}
	while (*text && *text != ' ' && *text != '\t' && w + 1 < sizeof(word)) {
		word[w++] = *text++;
	}
	word[w] = '\0';
	return dk_tlsa_field_parse(DK_TLSA_FIELD_USAGE, word) >= 0;
}

/* Is the word @s (@len bytes) a class mnemonic, as ldns reads them? */
static int is_class_word(const char *s, size_t len)
{
	static const char *const names[] = { "IN", "CH", "HS", "NONE", "ANY" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) == len &&
		    strncasecmp(s, names[i], len) == 0) {
			return 1;
		}
	}
	return len > 5 && strncasecmp(s, "CLASS", 5) == 0;
}

/*
 * Is a whole RR line of type TLSA (or TYPE52, RFC 3597)? Its type is the
 * first word after the owner that is neither a TTL nor a class (RFC 1035
 * section 5.1). Lines of other types must not reach ldns, which would
 * parse their RDATA: ldns 1.8.3 leaks on some (a CERT record with
 * algorithm 0, found by tests/fuzz).
 */
static int rr_is_tlsa(const char *text, size_t n)
{
	const char *p = text, *end = text + n;
	/* ldns reads a line that starts with a blank as having no owner. */
	int w0 = n && (text[0] == ' ' || text[0] == '\t');

	for (int w = w0; w < 4; w++) {
		const char *s;
		size_t len;

		while (p < end && (*p == ' ' || *p == '\t')) {
			p++;
		}
		s = p;
		while (p < end && *p != ' ' && *p != '\t') {
			p++;
		}
		len = (size_t)(p - s);
		if (len == 0) {
			return 0;
		}
		if (w == 0 || isdigit((unsigned char)s[0]) ||
		    is_class_word(s, len)) {
			continue; /* owner, TTL, class */
		}
		return (len == 4 && strncasecmp(s, "TLSA", 4) == 0) ||
		       (len == 6 && strncasecmp(s, "TYPE52", 6) == 0);
	}
	return 0;
}

int dk_tlsa_parse(const char *text, struct dk_tlsa **ret_tlsa, char **ret_owner,
		  struct dk_diag *diag)
{
	ldns_rr *rr = NULL;
	ldns_status st;
	char *line = NULL;
	char *owner = NULL;
	size_t n;
	int r;

	if (!text || !ret_tlsa) {
		return DK_EINVAL;
	}
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
		n--;
	}
	if (n == 0 || n > 70000 || memchr(text, '\n', n)) {
		dki_diagf(diag, "%s",
			  n == 0 ? "empty TLSA record"
				 : "a TLSA record must be one line");
		return DK_EDATA;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		/* Presentation format is ASCII; names in A-label form. */
		if (c >= 0x7f || (c < ' ' && c != '\t')) {
			dki_diagf(diag, "%s",
				  "a TLSA record is ASCII text (give names in "
				  "their A-label form, xn--...)");
			return DK_EDATA;
		}
	}
	line = malloc(n + 64);
	if (!line) {
		return DK_ENOMEM;
	}
	if (is_rdata_only(text)) {
		char *tmp = malloc(n + 1);

		if (!tmp) {
			free(line);
			return DK_ENOMEM;
		}
		memcpy(tmp, text, n);
		tmp[n] = '\0';
		memcpy(line, ". 0 IN TLSA ", 12);
		r = rewrite_mnemonics(tmp, line + 12, n + 52);
		free(tmp);
		if (r < 0) {
			dki_diagf(diag, "%s",
				  r == -2 ? ODD_HEX
					  : "bad usage, selector or matching "
					    "type");
			free(line);
			return DK_EDATA;
		}
	} else if (!rr_is_tlsa(text, n)) {
		dki_diagf(diag, "%s", "not a TLSA record");
		free(line);
		return DK_EDATA;
	} else {
		/* A whole RR: find " TLSA " and rewrite what follows. */
		const char *t = NULL;

		for (size_t i = 0; i + 6 <= n; i++) {
			if ((text[i] == ' ' || text[i] == '\t') &&
			    strncasecmp(text + i + 1, "TLSA", 4) == 0 &&
			    (text[i + 5] == ' ' || text[i + 5] == '\t')) {
				t = text + i + 5;
				break;
			}
		}
		if (t) {
			/* RFC 3597 generic RDATA after a known type: as is. */
			const char *g = t;

			while (*g == ' ' || *g == '\t') {
				g++;
			}
			if (g[0] == '\\' && g[1] == '#') {
				t = NULL;
			}
		}
		if (t) {
			size_t head = (size_t)(t - text);
			char *tmp = malloc(n - head + 1);

			if (!tmp) {
				free(line);
				return DK_ENOMEM;
			}
			memcpy(tmp, t, n - head);
			tmp[n - head] = '\0';
			memcpy(line, text, head);
			line[head] = ' ';
			r = rewrite_mnemonics(tmp, line + head + 1,
					      n - head + 63);
			free(tmp);
			if (r < 0) {
				dki_diagf(diag, "%s",
					  r == -2 ? ODD_HEX
						  : "bad usage, selector or "
						    "matching type");
				free(line);
				return DK_EDATA;
			}
		} else {
			memcpy(line, text, n);
			line[n] = '\0';
		}
	}
	st = ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL);
	free(line);
	if (st != LDNS_STATUS_OK) {
		dki_diagf(diag, "not a TLSA record: %s",
			  ldns_get_errorstr_by_id(st));
		return DK_EDATA;
	}
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TLSA ||
	    ldns_rr_rd_count(rr) != 4) {
		dki_diagf(diag, "%s", "not a TLSA record");
		ldns_rr_free(rr);
		return DK_EDATA;
	}
	{
		ldns_rdf *d = ldns_rr_rdf(rr, 3);

		r = dk_tlsa_new(ldns_rdf2native_int8(ldns_rr_rdf(rr, 0)),
				ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)),
				ldns_rdf2native_int8(ldns_rr_rdf(rr, 2)),
				ldns_rdf_data(d), ldns_rdf_size(d), ret_tlsa);
	}
	if (r == 0 && ret_owner) {
		*ret_owner = NULL;
		if (!is_rdata_only(text)) {
			owner = ldns_rdf2str(ldns_rr_owner(rr));
			if (!owner) {
				dk_tlsa_free(*ret_tlsa);
				*ret_tlsa = NULL;
				r = DK_ENOMEM;
			}
			*ret_owner = owner;
		}
	}
	ldns_rr_free(rr);
	return r;
}

/* ldns prints with tabs and a newline; make it one line with spaces. */
static char *tidy_ldns_line(char *s)
{
	size_t n;

	if (!s) {
		return NULL;
	}
	for (char *p = s; *p; p++) {
		if (*p == '\t') {
			*p = ' ';
		}
	}
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
		s[--n] = '\0';
	}
	return s;
}

static ldns_rr *to_ldns_rr(const struct dk_tlsa *tlsa, const char *owner,
			   uint32_t ttl)
{
	ldns_rr *rr;
	ldns_rdf *name = NULL;

	if (ldns_str2rdf_dname(&name, owner) != LDNS_STATUS_OK) {
		return NULL;
	}
	rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_TLSA);
	if (!rr) {
		ldns_rdf_deep_free(name);
		return NULL;
	}
	ldns_rr_set_owner(rr, name);
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_rdf(
		rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, tlsa->usage), 0);
	ldns_rr_set_rdf(
		rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, tlsa->selector),
		1);
	ldns_rr_set_rdf(
		rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, tlsa->mtype), 2);
	ldns_rr_set_rdf(
		rr,
		ldns_rdf_new_frm_data(LDNS_RDF_TYPE_HEX, tlsa->len, tlsa->data),
		3);
	for (size_t i = 0; i < 4; i++) {
		if (!ldns_rr_rdf(rr, i)) {
			ldns_rr_free(rr);
			return NULL;
		}
	}
	return rr;
}

int dk_tlsa_format(const struct dk_tlsa *tlsa, enum dk_tlsa_format format,
		   const char *owner, uint32_t ttl, char **ret_text)
{
	char *s = NULL;

	if (!tlsa || !ret_text || (int)format < DK_TLSA_FMT_RDATA ||
	    (int)format > DK_TLSA_FMT_NSUPDATE ||
	    (format != DK_TLSA_FMT_RDATA && !owner)) {
		return DK_EINVAL;
	}
	if (format == DK_TLSA_FMT_RDATA || tlsa->len == 0) {
		/* ldns cannot print an empty hex field; RFC 6698 has none. */
		size_t n = 16 + 2 * tlsa->len;

		if (format != DK_TLSA_FMT_RDATA) {
			return DK_EINVAL;
		}
		s = malloc(n);
		if (!s) {
			return DK_ENOMEM;
		}
		snprintf(s, n, "%u %u %u ", tlsa->usage, tlsa->selector,
			 tlsa->mtype);
		dki_hex(tlsa->data, tlsa->len, s + strlen(s));
	} else {
		ldns_rr *rr = to_ldns_rr(tlsa, owner, ttl);
		ldns_output_format_storage fmt_st;
		const ldns_output_format *fmt = ldns_output_format_default;
		char *body;

		if (!rr) {
			return DK_EINVAL;
		}
		if (format == DK_TLSA_FMT_GENERIC) {
			ldns_output_format *f =
				ldns_output_format_init(&fmt_st);

			f->flags = 0;
			if (ldns_output_format_set_type(f, LDNS_RR_TYPE_TLSA) !=
			    LDNS_STATUS_OK) {
				ldns_rr_free(rr);
				return DK_ENOMEM;
			}
			fmt = f;
		}
		body = tidy_ldns_line(ldns_rr2str_fmt(fmt, rr));
		if (format == DK_TLSA_FMT_GENERIC) {
			ldns_rdf_deep_free(fmt_st.bitmap);
		}
		ldns_rr_free(rr);
		if (!body) {
			return DK_ENOMEM;
		}
		{
			/* ldns prints hex in upper case; we print lower case.
			 */
			char *p = strstr(body, " TLSA ");

			if (!p) {
				p = strstr(body, " TYPE52 ");
			}
			for (p = p ? p + 6 : body + strlen(body); *p; p++) {
				*p = (char)tolower((unsigned char)*p);
			}
		}
		if (format == DK_TLSA_FMT_NSUPDATE) {
			size_t n = strlen(body) + 12;

			s = malloc(n);
			if (s) {
				snprintf(s, n, "update add %s", body);
			}
			free(body);
			if (!s) {
				return DK_ENOMEM;
			}
		} else {
			s = body;
		}
	}
	*ret_text = s;
	return 0;
}

/* Is the first @len bytes of @host an IPv4 or IPv6 address literal? */
static int is_address(const char *host, size_t len)
{
	char buf[256];
	unsigned char bin[16];

	if (len >= sizeof(buf)) {
		return 0;
	}
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (buf[0] == '[' && len > 2 && buf[len - 1] == ']') {
		buf[len - 1] = '\0';
		return inet_pton(AF_INET6, buf + 1, bin) == 1 ||
		       inet_pton(AF_INET, buf + 1, bin) == 1;
	}
	return inet_pton(AF_INET, buf, bin) == 1 ||
	       inet_pton(AF_INET6, buf, bin) == 1;
}

int dk_tlsa_check_host(const char *host, struct dk_diag *diag)
{
	size_t len, label = 0;

	if (!host) {
		return DK_EINVAL;
	}
	len = strlen(host);
	if (len == 0) {
		dki_diagf(diag, "%s", "empty host name");
		return DK_EDATA;
	}
	if (len > 1 && host[len - 1] == '.') {
		len--;
	}
	if (len > 253) {
		dki_diagf(diag, "%s",
			  "host name is longer than 253 characters (RFC 1035 "
			  "2.3.4)");
		return DK_EDATA;
	}
	if (is_address(host, len)) {
		dki_diagf(diag, "%s",
			  "an IP address is not a host name, and an address "
			  "has no TLSA owner name: give the host's name");
		return DK_EDATA;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];

		if (c >= 0x80) {
			dki_diagf(
				diag, "%s",
				"host name is not ASCII; give its A-label form "
				"(xn--..., e.g. from 'idn2 NAME')");
			return DK_EDATA;
		}
		if (c == '.') {
			if (label == 0) {
				dki_diagf(diag, "%s",
					  "host name has an empty label");
				return DK_EDATA;
			}
			if (host[i - 1] == '-') {
				dki_diagf(diag, "%s",
					  "a label of the host name ends with "
					  "'-'");
				return DK_EDATA;
			}
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_') {
			dki_diagf(diag,
				  "host name has a character not allowed in a "
				  "host name: '%c'%s",
				  isprint(c) ? c : '?',
				  c == ':' ? " (give the port on its own)"
					   : "");
			return DK_EDATA;
		}
		if (c == '-' && label == 0) {
			dki_diagf(diag, "%s",
				  "a label of the host name starts with '-'");
			return DK_EDATA;
		}
		if (++label > 63) {
			dki_diagf(diag, "%s",
				  "a label of the host name is longer than 63 "
				  "characters");
			return DK_EDATA;
		}
	}
	if (label == 0) {
		dki_diagf(diag, "%s", "host name has an empty label");
		return DK_EDATA;
	}
	if (host[len - 1] == '-') {
		dki_diagf(diag, "%s", "a label of the host name ends with '-'");
		return DK_EDATA;
	}
	{
		/* RFC 3696 section 2: a top-level label is never all digits
		 * (so that names and IPv4 addresses cannot be confused). */
		size_t i = len;

		while (i > 0 && host[i - 1] != '.') {
			i--;
		}
		if (strspn(host + i, "0123456789") == len - i) {
			dki_diagf(diag, "%s",
				  "the last label of a host name is never all "
				  "digits (RFC 3696 section 2): is this an "
				  "address?");
			return DK_EDATA;
		}
	}
	return 0;
}

/* Is "_NUMBER" of @n bytes at @s a port label (1-65535, no leading 0)? */
static int port_label(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n < 2 || n > 6 || s[0] != '_' || s[1] == '0') {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return 0;
		}
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Is "_PROTO" of @n bytes at @s a transport label of RFC 6698 section 3? */
static int proto_label(const char *s, size_t n)
{
	return (n == 4 && strncasecmp(s, "_tcp", 4) == 0) ||
	       (n == 4 && strncasecmp(s, "_udp", 4) == 0) ||
	       (n == 5 && strncasecmp(s, "_sctp", 5) == 0);
}

/*
 * Does @name start with the labels "_PORT._PROTO."? The offset of what
 * follows them goes to *@ret_host.
 */
static int has_service_prefix(const char *name, size_t *ret_host)
{
	const char *d1 = strchr(name, '.'), *d2;

	if (!d1 || !port_label(name, (size_t)(d1 - name))) {
		return 0;
	}
	d2 = strchr(d1 + 1, '.');
	if (!d2 || !proto_label(d1 + 1, (size_t)(d2 - d1 - 1))) {
		return 0;
	}
	*ret_host = (size_t)(d2 + 1 - name);
	return 1;
}

int dk_tlsa_check_owner(const char *name, struct dk_diag *diag)
{
	size_t host = 0;
	int r;

	if (!name) {
		return DK_EINVAL;
	}
	if (!has_service_prefix(name, &host)) {
		const char *h = name;
		size_t skip = 0;

		/* "_25.mail.example" or "_tcp.mail...": say which part */
		if (name[0] == '_' && strchr(name, '.')) {
			skip = (size_t)(strchr(name, '.') - name) + 1;
			if (name[skip] == '_' && strchr(name + skip, '.')) {
				skip = (size_t)(strchr(name + skip, '.') -
						name) +
				       1;
			}
			h = name + skip;
		}
		dki_diagf(diag,
			  "'%s' is not a TLSA owner name: it starts with "
			  "_PORT._PROTO (RFC 6698 section 3; PORT 1-65535, "
			  "PROTO tcp, udp or sctp), e.g. _25._tcp.%s",
			  name, *h ? h : "mail.example.com");
		return DK_EDATA;
	}
	if (!name[host] || strcmp(name + host, ".") == 0) {
		dki_diagf(diag, "'%s' has no host name after _PORT._PROTO",
			  name);
		return DK_EDATA;
	}
	r = dk_tlsa_check_host(name + host, diag);
	if (r < 0) {
		char why[sizeof(diag->why)];

		if (diag) {
			snprintf(why, sizeof(why), "%s", diag->why);
			dki_diagf(diag, "'%s': %s", name, why);
		}
		return r;
	}
	return 0;
}

int dk_tlsa_owner(const char *host, unsigned port, const char *proto,
		  char **ret_owner, struct dk_diag *diag)
{
	char *s;
	size_t n;
	int r;

	if (!host || !proto || !ret_owner || port == 0 || port > 65535 ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp") &&
	     strcmp(proto, "sctp"))) {
		return DK_EINVAL;
	}
	r = dk_tlsa_check_host(host, diag);
	if (r < 0) {
		return r;
	}
	if (dk_tlsa_check_owner(host, NULL) == 0) {
		size_t h = 0;

		has_service_prefix(host, &h);
		dki_diagf(diag,
			  "this is already a TLSA owner name "
			  "(_PORT._PROTO.HOST): give the host name alone (%s)",
			  host + h);
		return DK_EDATA;
	}
	n = strlen(host) + 32;
	s = malloc(n);
	if (!s) {
		return DK_ENOMEM;
	}
	snprintf(s, n, "_%u._%s.%s", port, proto, host);
	if (s[strlen(s) - 1] != '.') {
		strcat(s, ".");
	}
	for (char *p = s; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
	if (strlen(s) > 254) {
		dki_diagf(diag, "%s",
			  "the TLSA owner name would exceed 253 characters");
		free(s);
		return DK_EDATA;
	}
	*ret_owner = s;
	return 0;
}
