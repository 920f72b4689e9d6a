/* SPDX-License-Identifier: BSD-3-Clause */
/* The report of a DANE check: names of the enums, freeing, certificates. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "dane/internal.h"

const char *dk_dane_verdict_name(enum dk_dane_verdict verdict)
{
	switch (verdict) {
	case DK_DANE_VALID:
		return "valid";
	case DK_DANE_NOT_APPLICABLE:
		return "not-applicable";
	case DK_DANE_FAILED:
		return "failed";
	case DK_DANE_INCOMPLETE:
		return "incomplete";
	case DK_DANE_PARTIAL:
		return "partial";
	default:
		return "unknown";
	}
}

const char *dk_dane_severity_name(enum dk_dane_severity severity)
{
	switch (severity) {
	case DK_DANE_INFO:
		return "info";
	case DK_DANE_WARNING:
		return "warning";
	case DK_DANE_ERROR:
		return "error";
	default:
		return "unknown";
	}
}

const char *dk_dane_addr_status_name(enum dk_dane_addr_status status)
{
	static const char *const names[] = {
		[DK_ADDR_UNKNOWN] = "unknown",
		[DK_ADDR_VERIFIED] = "verified",
		[DK_ADDR_TLS_ONLY] = "tls-only",
		[DK_ADDR_MISMATCH] = "mismatch",
		[DK_ADDR_NO_STARTTLS] = "no-starttls",
		[DK_ADDR_TLS_FAILED] = "tls-failed",
		[DK_ADDR_PROTO_ERROR] = "protocol-error",
		[DK_ADDR_UNREACHABLE] = "unreachable",
		[DK_ADDR_TIMEOUT] = "timeout",
		[DK_ADDR_SKIPPED] = "skipped",
	};

	if ((unsigned)status < sizeof(names) / sizeof(names[0])) {
		return names[status];
	}
	return "unknown";
}

static const struct {
	const char *name;
	enum dk_starttls proto;
	unsigned port;
} protos[] = {
	{ "none", DK_STARTTLS_NONE, 443 },  { "smtp", DK_STARTTLS_SMTP, 25 },
	{ "imap", DK_STARTTLS_IMAP, 143 },  { "pop3", DK_STARTTLS_POP3, 110 },
	{ "xmpp", DK_STARTTLS_XMPP, 5222 }, { "ftp", DK_STARTTLS_FTP, 21 },
};

int dk_starttls_parse(const char *name)
{
	if (!name) {
		return DK_EINVAL;
	}
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcasecmp(name, protos[i].name) == 0) {
			return (int)protos[i].proto;
		}
	}
	return DK_EINVAL;
}

const char *dk_starttls_name(enum dk_starttls proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (protos[i].proto == proto) {
			return protos[i].name;
		}
	}
	return NULL;
}

unsigned dk_starttls_default_port(enum dk_starttls proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (protos[i].proto == proto) {
			return protos[i].port;
		}
	}
	return 0;
}

void dki_cert_clear(struct dk_dane_cert *c)
{
	if (!c) {
		return;
	}
	free(c->subject);
	free(c->issuer);
	for (size_t i = 0; i < c->nsans; i++) {
		free(c->sans[i]);
	}
	free(c->sans);
	memset(c, 0, sizeof(*c));
}

static void addr_clear(struct dk_dane_addr *a)
{
	free(a->address);
	free(a->why);
	free(a->banner);
	free(a->tls_version);
	free(a->cipher);
	free(a->verify_text);
	for (size_t i = 0; i < a->nchain; i++) {
		dki_cert_clear(&a->chain[i]);
	}
	free(a->chain);
	for (size_t i = 0; i < a->nalts; i++) {
		free(a->alts[i].why);
		for (size_t j = 0; j < a->alts[i].nchain; j++) {
			dki_cert_clear(&a->alts[i].chain[j]);
		}
		free(a->alts[i].chain);
	}
	free(a->alts);
}

static void host_clear(struct dk_dane_host *h)
{
	free(h->name);
	free(h->cname);
	free(h->addr_why);
	free(h->tlsa_owner);
	free(h->tlsa_base);
	free(h->tlsa_why);
	for (size_t i = 0; i < h->nrecords; i++) {
		dk_tlsa_free(h->records[i].tlsa);
	}
	free(h->records);
	for (size_t i = 0; i < h->naddrs; i++) {
		addr_clear(&h->addrs[i]);
	}
	free(h->addrs);
	free(h->why);
}

void dk_dane_report_free(struct dk_dane_report *r)
{
	if (!r) {
		return;
	}
	free(r->domain);
	free(r->mx_why);
	for (size_t i = 0; i < r->nhosts; i++) {
		host_clear(&r->hosts[i]);
	}
	free(r->hosts);
	for (size_t i = 0; i < r->nfindings; i++) {
		free(r->findings[i].where);
		free(r->findings[i].message);
		free(r->findings[i].evidence);
		free(r->findings[i].hint);
	}
	free(r->findings);
	free(r->why);
	free(r);
}

static char *name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL, *p;
	long len;

	if (!b) {
		return NULL;
	}
	if (X509_NAME_print_ex(b, n, 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		s = malloc((size_t)len + 1);
		if (s) {
			memcpy(s, p, (size_t)len);
			s[len] = '\0';
		}
	}
	BIO_free(b);
	return s;
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || !ASN1_TIME_to_tm(t, &tm)) {
		return 0;
	}
	return timegm(&tm);
}

static int hex_digest(X509 *x, uint8_t selector, char out[65])
{
	uint8_t *d = NULL;
	size_t len = 0;
	int r = dk_tlsa_assoc_data(x, NULL, selector, DK_TLSA_SHA256, &d, &len);

	if (r < 0) {
		out[0] = '\0';
		return r;
	}
	dki_hex(d, len < 32 ? len : 32, out);
	free(d);
	return 0;
}

int dki_cert_info(X509 *x, struct dk_dane_cert *c)
{
	GENERAL_NAMES *gens;
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->subject = name_text(X509_get_subject_name(x));
	c->issuer = name_text(X509_get_issuer_name(x));
	if (!c->subject || !c->issuer) {
		r = DK_ENOMEM;
	}
	c->not_before = asn1_time(X509_get0_notBefore(x));
	c->not_after = asn1_time(X509_get0_notAfter(x));
	if (r == 0) {
		r = hex_digest(x, DK_TLSA_SPKI, c->spki_sha256);
	}
	if (r == 0) {
		r = hex_digest(x, DK_TLSA_CERT, c->cert_sha256);
	}
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; r == 0 && gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char buf[INET6_ADDRSTRLEN + 4] = "";
		char *s = NULL, **ns;

		if (g->type == GEN_DNS) {
			const unsigned char *d =
				ASN1_STRING_get0_data(g->d.dNSName);
			int n = ASN1_STRING_length(g->d.dNSName);

			s = strndup((const char *)d, (size_t)(n < 0 ? 0 : n));
		} else if (g->type == GEN_IPADD) {
			int n = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *d =
				ASN1_STRING_get0_data(g->d.iPAddress);

			if ((n == 4 &&
			     inet_ntop(AF_INET, d, buf, sizeof(buf))) ||
			    (n == 16 &&
			     inet_ntop(AF_INET6, d, buf, sizeof(buf)))) {
				s = dki_strdupf("IP:%s", buf);
			} else {
				continue;
			}
		} else {
			continue;
		}
		ns = s ? realloc(c->sans, (c->nsans + 1) * sizeof(*ns)) : NULL;
		if (!ns) {
			free(s);
			r = DK_ENOMEM;
			break;
		}
		c->sans = ns;
		c->sans[c->nsans++] = s;
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	if (r < 0) {
		dki_cert_clear(c);
	}
	return r;
}

/* --- the arrays of a report, for callers of any version ----------------- */

const struct dk_dane_host *dk_dane_report_host(const struct dk_dane_report *r,
					       size_t i)
{
	return r && i < r->nhosts ? &r->hosts[i] : NULL;
}

const struct dk_dane_finding *
dk_dane_report_finding(const struct dk_dane_report *r, size_t i)
{
	return r && i < r->nfindings ? &r->findings[i] : NULL;
}

const struct dk_dane_record *dk_dane_host_record(const struct dk_dane_host *h,
						 size_t i)
{
	return h && i < h->nrecords ? &h->records[i] : NULL;
}

const struct dk_dane_addr *dk_dane_host_addr(const struct dk_dane_host *h,
					     size_t i)
{
	return h && i < h->naddrs ? &h->addrs[i] : NULL;
}

const struct dk_dane_cert *dk_dane_addr_cert(const struct dk_dane_addr *a,
					     size_t i)
{
	return a && i < a->nchain ? &a->chain[i] : NULL;
}

const struct dk_dane_alt *dk_dane_addr_alt(const struct dk_dane_addr *a,
					   size_t i)
{
	return a && i < a->nalts ? &a->alts[i] : NULL;
}

const struct dk_dane_cert *dk_dane_alt_cert(const struct dk_dane_alt *alt,
					    size_t i)
{
	return alt && i < alt->nchain ? &alt->chain[i] : NULL;
}
