/* SPDX-License-Identifier: BSD-3-Clause */
/* Private helpers of the mail module. */
#ifndef DANEKIT_MAIL_INTERNAL_H
#define DANEKIT_MAIL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <danekit/mail.h>

#include <openssl/x509.h>

#include "dane/internal.h"
#include "dnssec/internal.h"

/* --- typed values (value.c) ------------------------------------------- */

struct dk_mail_value {
	enum dk_mail_value_type type;
	int64_t i;
	char *s;
	size_t n, cap;
	char **keys;
	struct dk_mail_value **items;
};

struct dk_mail_value *dkm_null(void);
struct dk_mail_value *dkm_bool(bool b);
struct dk_mail_value *dkm_int(int64_t i);
struct dk_mail_value *dkm_str(const char *s); /* NULL gives null */
struct dk_mail_value *dkm_strn(const char *s, size_t n);
struct dk_mail_value *dkm_arr(void);
struct dk_mail_value *dkm_obj(void);
void dkm_value_free(struct dk_mail_value *v);
struct dk_mail_value *dkm_value_dup(const struct dk_mail_value *v);
/* Append (array) or set (object) @item, taking it; NULL items are null.
 * Return @v, so that calls chain. */
struct dk_mail_value *dkm_push(struct dk_mail_value *v,
			       struct dk_mail_value *item);
struct dk_mail_value *dkm_set(struct dk_mail_value *v, const char *key,
			      struct dk_mail_value *item);
#define dkm_set_int(o, k, x) dkm_set((o), (k), dkm_int(x))
#define dkm_set_str(o, k, x) dkm_set((o), (k), dkm_str(x))
#define dkm_set_bool(o, k, x) dkm_set((o), (k), dkm_bool(x))
#define dkm_push_str(o, x) dkm_push((o), dkm_str(x))
/* printf into a new string value. */
struct dk_mail_value *dkm_strf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* --- lookups (query.c) ------------------------------------------------- */

/* One lookup of the audit: asked once, read by every pass. */
struct dkm_q {
	struct dkm_q *next;
	char *name; /* lower case, no trailing dot */
	uint16_t type;
	int state; /* 0 not sent, 1 in flight, 2 done */
	int err;   /* DK_E* when the lookup failed */
	struct dk_answer *ans;
	unsigned round;
};

/* A parsed TXT RRset: each record joined, and its strings. */
struct dkm_txt {
	size_t n;
	char **rec;	     /* joined strings, NUL-terminated (NULs -> '?') */
	size_t *len;	     /* octets of the joined record */
	char **first;	     /* the first character-string of each record */
	size_t *nstr;	     /* number of character-strings of each */
	size_t rdata_octets; /* sum of the RDATA lengths */
};

struct dkm_ctx;

/*
 * The lookup @name @type: the finished one, or NULL while it is not
 * (then it is asked in the next round, and ctx->missing counts it).
 */
const struct dkm_q *dkm_get(struct dkm_ctx *ctx, const char *name,
			    uint16_t type);

/* 1 when @q has data of its type, 0 for NODATA/NXDOMAIN/failure. */
int dkm_has_data(const struct dkm_q *q);
/* 1 when @q is a void answer (NODATA or NXDOMAIN, RFC 7208 4.6.4). */
int dkm_void(const struct dkm_q *q);
/* 1 when the lookup failed (temperror). */
int dkm_failed(const struct dkm_q *q);
/* "secure" ... for a finished lookup, "indeterminate" when it failed. */
const char *dkm_status(const struct dkm_q *q);
enum dk_dnssec_status dkm_status_enum(const struct dkm_q *q);
/* "NOERROR", "NXDOMAIN", or the error of a failed lookup. */
const char *dkm_rcode(const struct dkm_q *q);
/* The TXT records of @q (empty when none). Free with dkm_txt_free(). */
int dkm_txt(const struct dkm_q *q, struct dkm_txt *ret);
void dkm_txt_free(struct dkm_txt *t);

/* The reverse-DNS name of @ip into @buf and its address into @addr:
 * 4 or 6, or -1 when @ip is no address. */
int dkm_reverse_name(const char *ip, uint8_t addr[16], char *buf, size_t len);

/* A lower-case copy of @name without trailing dot; NULL on ENOMEM. */
char *dkm_name(const char *name);

/* --- the audit (report.c) ------------------------------------------------ */

struct dkm_dmarc_state {
	int found;     /* a policy record applies (7489) */
	int p;	       /* effective policy (7489): -1 none applies,
			* 0 none, 1 quarantine, 2 reject */
	int pct;       /* 0-100 */
	char *org_psl; /* RFC 7489 organisational domain */
};

/* What the MTA-STS area found (per pass), for the areas after it. */
struct dkm_sts_state {
	int deployed; /* a v=STSv1 TXT record is published */
	int policy;   /* a policy senders use was fetched */
	int mode;     /* DKM_STS_* of that policy, -1 without one */
	char **mx;    /* its usable mx patterns */
	size_t nmx;
};

/* One HTTPS fetch of the audit (https.c): asked once, read by every pass. */
struct dkm_fetch {
	struct dkm_fetch *next;
	char *url;
	char *host; /* the URL's host as curl reads it */
	unsigned port;
	size_t cap; /* octets kept; more is too_large */
	int state;  /* 0 not run, 2 done */
	/* the validated addresses to connect to, and why there are none */
	char **addrs;
	size_t naddrs;
	char *dns_error;
	/* the outcome */
	int curl_code;	  /* CURLcode, 0 for a complete HTTP answer */
	char error[256];  /* curl's message, or ours */
	long http_status; /* 0 without an HTTP answer */
	char *content_type;
	char *location; /* the redirect target of a 3xx */
	char *ip;	/* the address that answered */
	unsigned char *body;
	size_t len;
	int too_large;
	int cert_failed;       /* the server certificate was refused */
	unsigned cert_reasons; /* DKM_CERT_* */
	char *cert_subject;
};

/* The probes of the MX hosts (smtp.c): the check smtp engine's report
 * and what the audit adds to it. */
struct dkm_pkix {
	size_t host, addr;
	long alt;
	STACK_OF(X509) * chain;
	unsigned reasons; /* DKM_CERT_*; 0: valid for the MX host */
	int names_domain; /* the leaf names the next-hop domain */
};

struct dkm_oldtls {
	size_t host;
	char *address;
	char version[16];
};

struct dkm_smtp {
	int state; /* 0 not asked, 1 asked, 2 done */
	int err;   /* the engine's DK_E* when it could not run */
	char why[256];
	struct dk_dane_report *rep;
	struct dkm_pkix *pkix;
	size_t npkix;
	struct dkm_oldtls *old;
	size_t nold;
};

struct dk_mail_report {
	char *domain;
	time_t at;
	int complete;
	char *why;
	struct dk_mail_finding *findings;
	size_t nfindings, cap;
	int checked[DK_MAIL_AREA_COUNT];
	struct dk_mail_value *records;
	size_t queries;
	unsigned rounds;
};

struct dkm_ctx {
	struct dk_resolver *res;
	const struct dk_mail_opts *opts;
	char *domain; /* lower case, no trailing dot */
	struct dkm_q *qs;
	size_t missing; /* lookups asked this pass that are not done */
	unsigned round;
	struct dk_mail_report *rep;
	struct dk_mail_value *records;
	int oom;
	struct dkm_dmarc_state dmarc;
	void *psl;
	/* the connections: HTTPS fetches and the SMTP probes, run between
	 * passes once the lookups of a pass are done */
	struct dkm_fetch *fetches;
	struct dkm_smtp smtp;
	size_t missing_jobs;
	unsigned fetches_run;
	struct dkm_sts_state sts; /* per pass */
	int dane_deployed;	  /* per pass: some MX host has DANE */
};

/*
 * Add a finding. @refs: the references separated by "; " (static).
 * @evidence (an OBJECT, or NULL for an empty one) is taken. @subject
 * NULL means the audited domain.
 */
void dkm_finding(struct dkm_ctx *ctx, enum dk_mail_area area,
		 enum dk_mail_severity sev, const char *code,
		 const char *subject, struct dk_mail_value *evidence,
		 const char *refs, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* Evidence with "dnssec" set from @q (an OBJECT). */
struct dk_mail_value *dkm_ev(const struct dkm_q *q);

/* The organisational domain of @name by the public suffix list (RFC 7489
 * section 3.2), malloc()ed, lower case, no trailing dot. */
char *dkm_org_domain(struct dkm_ctx *ctx, const char *name);

/* Areas: each runs every pass, reading lookups with dkm_get(). */
void dkm_mx(struct dkm_ctx *ctx);
void dkm_spf(struct dkm_ctx *ctx);
void dkm_dmarc(struct dkm_ctx *ctx);
void dkm_dkim(struct dkm_ctx *ctx);
void dkm_bimi(struct dkm_ctx *ctx);
void dkm_ptr(struct dkm_ctx *ctx);
void dkm_mta_sts(struct dkm_ctx *ctx);
void dkm_smtp_area(struct dkm_ctx *ctx); /* DANE, SMTP, certificates */
void dkm_tlsrpt(struct dkm_ctx *ctx);

/* 1 when @ip (text) is in one of the --allow-private networks. */
int dkm_allowed_private(const struct dk_mail_opts *o, const char *ip);
/* Parse "ADDR[/LEN]" into @net (16 octets, IPv4 mapped), @len (0-128);
 * 0 or DK_EINVAL. */
int dkm_parse_cidr(const char *s, uint8_t net[16], unsigned *len);

/* --- connections (https.c, smtp.c) ---------------------------------------- */

/* Certificate problems (RFC 5280, RFC 6125), as reasons. */
#define DKM_CERT_EXPIRED 0x1u
#define DKM_CERT_NAME 0x2u
#define DKM_CERT_UNTRUSTED 0x4u
#define DKM_CERT_NOT_YET_VALID 0x8u

/* The reasons of @bits as an ARRAY value ("expired", "name_mismatch",
 * "untrusted", "not_yet_valid"). */
struct dk_mail_value *dkm_cert_reasons(unsigned bits);
/* The reason bit of an X509_V_ERR_* code at @depth. */
unsigned dkm_cert_reason_of(int err);

/*
 * The HTTPS fetch of @url (the A/AAAA lookups of its host through the
 * audit's resolver come first): the finished one, or NULL while it is not
 * (then it runs before the next pass, and ctx->missing or
 * ctx->missing_jobs counts it). @cap: octets kept. URLs that are not
 * https:// are never fetched (NULL is never returned for them: a done
 * entry with an error).
 */
const struct dkm_fetch *dkm_fetch(struct dkm_ctx *ctx, const char *url,
				  size_t cap);
/* Run one fetch (libcurl; never follows redirects, never uses the system
 * resolver: only f->addrs). */
void dkm_https_run(struct dkm_fetch *f, const struct dk_mail_opts *o,
		   double timeout);
void dkm_fetch_free(struct dkm_fetch *f);
/* A record of @f for the report's records (status, type, size...). */
struct dk_mail_value *dkm_fetch_value(const struct dkm_fetch *f);

/* The SMTP probes (the check smtp engine): the done run, or NULL while it
 * is not (then it runs before the next pass). */
const struct dkm_smtp *dkm_smtp_get(struct dkm_ctx *ctx);
/* Run the engine for ctx->domain with the audit's options. */
void dkm_smtp_run(struct dkm_ctx *ctx);
void dkm_smtp_clear(struct dkm_smtp *s);
/*
 * The PKIX result of MX host @host (no trailing dot) over every chain its
 * addresses presented: *@ret_reasons gets the DKM_CERT_* bits, @addrs
 * (an ARRAY, may be NULL) the addresses with a problem. 1 when some
 * chain was seen, 0 when none.
 */
int dkm_smtp_host_cert(const struct dkm_smtp *s, const char *host,
		       unsigned *ret_reasons, struct dk_mail_value *addrs);

/* --- parsers (offline; unit tests and fuzzers) ---------------------------- */

/* SPF (RFC 7208) */
enum dkm_spf_kind {
	SPF_ALL,
	SPF_INCLUDE,
	SPF_A,
	SPF_MX,
	SPF_PTR,
	SPF_IP4,
	SPF_IP6,
	SPF_EXISTS,
	SPF_REDIRECT,
	SPF_EXP,
	SPF_UNKNOWN_MOD,
};

struct dkm_spf_term {
	enum dkm_spf_kind kind;
	char qualifier;	  /* '+', '-', '~', '?' (mechanisms) */
	int explicit_q;	  /* the qualifier was written */
	char *text;	  /* the term as written */
	char *domain;	  /* domain-spec as written, or NULL */
	int cidr4, cidr6; /* -1 when absent */
	uint8_t addr[16]; /* ip4 / ip6 network */
};

struct dkm_spf_record {
	struct dkm_spf_term *terms;
	size_t n;
	/* syntax error: the first bad term (NULL when valid) and why */
	char *bad_term;
	char why[160];
};

/* 1 when @txt is an SPF record (RFC 7208 4.5: "v=spf1" then SP or end). */
int dkm_spf_is_record(const char *txt);
/* Parse @txt (a selected record). 0, or DK_EDATA with ret->bad_term and
 * ret->why (the terms before it are kept); DK_ENOMEM. */
int dkm_spf_parse(const char *txt, struct dkm_spf_record *ret);
void dkm_spf_record_free(struct dkm_spf_record *r);
/* Check a macro-string (RFC 7208 7.1). @exp: the exp= letters c r t are
 * allowed. 0 or DK_EDATA. */
int dkm_spf_macro_check(const char *s, int exp);

/* Values of the macro letters; NULL ones are unknown. */
struct dkm_spf_macros {
	const char *s, *l, *o, *d, *i, *p, *v, *h;
};
/*
 * Expand @spec with @m. @return 1 and *@ret (malloc()ed) when every macro
 * was known, 0 when one was not (*@ret NULL), DK_EDATA when malformed,
 * DK_ENOMEM.
 */
int dkm_spf_expand(const char *spec, const struct dkm_spf_macros *m,
		   char **ret);

/* DMARC (RFC 7489, RFC 9989) */
struct dkm_tag {
	char *name;
	char *value;
};

struct dkm_dmarc_record {
	int valid;	 /* a DMARC record (v=DMARC1 first, then ';') */
	int bad_version; /* "v=" something other than exactly DMARC1 */
	char why[160];	 /* why it is not valid */
	struct dkm_tag *tags;
	size_t n;
	/* parsed: -1 absent, -2 invalid, else 0 none, 1 quarantine, 2 reject */
	int p, sp, np;
	int pct; /* -1 absent, -2 invalid */
	int t;	 /* -1 absent, 0 n, 1 y, -2 invalid */
	int psd; /* -1 absent, 0 n, 1 y, 2 u, -2 invalid */
};

/* 1 when @txt starts with "v=DMARC" in any case (a candidate). */
int dkm_dmarc_candidate(const char *txt);
int dkm_dmarc_parse(const char *txt, struct dkm_dmarc_record *ret);
void dkm_dmarc_record_free(struct dkm_dmarc_record *r);
const char *dkm_dmarc_tag(const struct dkm_dmarc_record *r, const char *name);
/* -1 for an unknown policy word, else 0 none, 1 quarantine, 2 reject. */
int dkm_dmarc_policy(const char *v);
const char *dkm_dmarc_policy_name(int p);

/* DKIM key records (RFC 6376 section 3.6.1) and BIMI records: tag lists. */
struct dkm_taglist {
	struct dkm_tag *tags;
	size_t n;
	int dup; /* a tag appears twice (RFC 6376 3.2: invalid) */
	int bad; /* malformed tag-spec */
	char why[160];
};

/* Parse a tag-list (RFC 6376 section 3.2): 0 or DK_EDATA (ret->why). */
int dkm_taglist_parse(const char *txt, struct dkm_taglist *ret);
void dkm_taglist_free(struct dkm_taglist *t);
const char *dkm_taglist_get(const struct dkm_taglist *t, const char *name);

struct dkm_dkim_key {
	int version_not_first;
	int bad_version;
	char k[16];    /* "rsa", "ed25519", other (truncated) */
	int revoked;   /* p= empty */
	int testing;   /* t has y */
	int sha1_only; /* h= lists sha1 only */
	int email_ok;  /* s= includes * or email (or no s=) */
	char services[64];
	int key_invalid;    /* p= does not decode to a key */
	long decoded_len;   /* bytes of p= after base64, -1 not decoded */
	int bits;	    /* RSA modulus bits, 256 for Ed25519, 0 unknown */
	int ed25519_format; /* k=ed25519 and p= is not 32 raw bytes */
	char why[160];
};

/* Parse and measure a DKIM key record (OpenSSL decodes the key). 0 or
 * DK_EDATA when the tag-list itself is malformed (ret->why). */
int dkm_dkim_parse(const char *txt, struct dkm_dkim_key *ret);

/* BIMI assertion record. */
struct dkm_bimi_record {
	int valid;
	int declined; /* l= and a= both empty */
	int l_missing;
	int l_not_https;
	int l_multiple;
	char why[160];
	struct dkm_taglist tags;
};

int dkm_bimi_parse(const char *txt, struct dkm_bimi_record *ret);
void dkm_bimi_record_free(struct dkm_bimi_record *r);

/* MTA-STS TXT record (RFC 8461 section 3.1). */
struct dkm_sts_txt {
	int valid;
	int literal_prefix; /* starts exactly "v=STSv1;" */
	int duplicate_id;
	char id[33];
	char field[40]; /* the field that is wrong */
	char why[160];
};

/* 1 when @txt starts with "v=STSv1" (case-sensitive). */
int dkm_sts_is_candidate(const char *txt);
/* 0 (ret->valid), or DK_EDATA (ret->field, ret->why). */
int dkm_sts_txt_parse(const char *txt, struct dkm_sts_txt *ret);

/* MTA-STS policy (RFC 8461 section 3.2). */
#define DKM_STS_NONE 0
#define DKM_STS_TESTING 1
#define DKM_STS_ENFORCE 2

#define DKM_MX_WILDCARD 0x1u
#define DKM_MX_TRAILING_DOT 0x2u
#define DKM_MX_INVALID 0x4u

struct dkm_sts_policy {
	int valid;     /* syntax_ok and, unless mode none, an mx line */
	int syntax_ok; /* no syntax error, every required field */
	char why[200]; /* the first syntax error */
	char field[40];
	size_t line; /* its line (1-based; 0 for a missing field) */
	int version_ok;
	int mode;	 /* DKM_STS_*, -1 absent or invalid */
	int64_t max_age; /* -1 absent or invalid */
	char **mx;	 /* the mx values as written */
	unsigned *mx_flags;
	size_t nmx;
	int no_mx;
	char **dups; /* non-mx keys given more than once */
	size_t ndups;
	size_t ncrlf, nlf, blank_lines;
	int bare_cr;
};

/* Parse @len octets of @body: 0 when valid, DK_EDATA, DK_ENOMEM. Free
 * with dkm_sts_policy_free() whatever it returns. */
int dkm_sts_policy_parse(const char *body, size_t len,
			 struct dkm_sts_policy *ret);
void dkm_sts_policy_free(struct dkm_sts_policy *p);
/* 1 when the MX host @host matches @pattern (section 4.1). */
int dkm_sts_mx_match(const char *pattern, const char *host);

/* TLS-RPT record (RFC 8460 section 3). */
struct dkm_tlsrpt_record {
	int valid;
	int literal_prefix; /* starts exactly "v=TLSRPTv1;" */
	int rua_missing;
	int duplicate_rua;
	char **rua; /* the URIs of the first rua field, as published */
	size_t nrua;
	char why[160];
};

/* 1 when @txt starts with "v=TLSRPTv1" (case-sensitive). */
int dkm_tlsrpt_is_candidate(const char *txt);
int dkm_tlsrpt_parse(const char *txt, struct dkm_tlsrpt_record *ret);
void dkm_tlsrpt_record_free(struct dkm_tlsrpt_record *r);
/* 1 for a mailto: or https: URI a reporter can use. */
int dkm_tlsrpt_uri_ok(const char *uri);

/* The root element of a BIMI logo (SVG Tiny PS). */
struct dkm_svg {
	int is_svg;
	int has_base_profile;
	int tiny_ps; /* baseProfile="tiny-ps" */
	char base_profile[32];
	char version[16];
	char why[120];
};

/* 0, or DK_EDATA when the document does not start with an <svg> element
 * (ret->why). */
int dkm_svg_check(const uint8_t *body, size_t len, struct dkm_svg *ret);

#endif
