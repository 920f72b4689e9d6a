/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPF record grammar (RFC 7208 section 12) and macros (section 7):
 * offline, no I/O.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

int dkm_spf_is_record(const char *txt)
{
	/* RFC 7208 4.5: "v=spf1" exactly, then SP or the end. */
	return txt && strncasecmp(txt, "v=spf1", 6) == 0 &&
	       (txt[6] == '\0' || txt[6] == ' ');
}

static int is_delim(char c)
{
	return c && strchr(".-+,/_=", c) != NULL;
}

/* Length of the macro-expand at @s ('%' first), or -1 if malformed. */
static int macro_len(const char *s, int exp)
{
	const char *p;
	char l;

	if (s[1] == '%' || s[1] == '_' || s[1] == '-') {
		return 2;
	}
	if (s[1] != '{') {
		return -1;
	}
	l = (char)tolower((unsigned char)s[2]);
	if (!l || !strchr(exp ? "slodiphvcrt" : "slodiphv", l)) {
		return -1;
	}
	p = s + 3;
	if (isdigit((unsigned char)*p)) {
		/* RFC 7208 7.3: the DIGIT transformer must be nonzero */
		unsigned long v = 0;

		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 1000000) {
				return -1;
			}
			p++;
		}
		if (v == 0) {
			return -1;
		}
	}
	if (*p == 'r' || *p == 'R') {
		p++;
	}
	while (is_delim(*p)) {
		p++;
	}
	if (*p != '}') {
		return -1;
	}
	return (int)(p - s) + 1;
}

int dkm_spf_macro_check(const char *s, int exp)
{
	for (const char *p = s; *p;) {
		unsigned char c = (unsigned char)*p;

		if (c == '%') {
			int n = macro_len(p, exp);

			if (n < 0) {
				return DK_EDATA;
			}
			p += n;
			continue;
		}
		/* macro-literal = %x21-24 / %x26-7E */
		if (c < 0x21 || c > 0x7e) {
			return DK_EDATA;
		}
		p++;
	}
	return 0;
}

static int alnum(char c)
{
	return isalnum((unsigned char)c);
}

/* toplabel = (*alphanum ALPHA *alphanum) / (1*alphanum "-" *(alphanum /
 * "-") alphanum) */
static int toplabel(const char *s, size_t n)
{
	int alpha = 0, hyphen = 0;

	if (n == 0 || n > 63) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-') {
			hyphen = 1;
		} else if (isalpha((unsigned char)s[i])) {
			alpha = 1;
		} else if (!isdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	if (!hyphen) {
		return alpha;
	}
	return alnum(s[0]) && alnum(s[n - 1]);
}

/* domain-spec = macro-string domain-end (RFC 7208 section 7.1) */
static int domain_spec_ok(const char *s)
{
	size_t n = strlen(s), end;
	const char *dot;

	if (n == 0 || dkm_spf_macro_check(s, 0) < 0) {
		return 0;
	}
	/* domain-end = ("." toplabel ["."]) / macro-expand */
	for (const char *p = s; *p;) {
		if (*p == '%') {
			int m = macro_len(p, 0);

			if (p + m == s + n) {
				return 1;
			}
			p += m;
		} else {
			p++;
		}
	}
	end = n;
	if (s[end - 1] == '.') {
		end--;
	}
	if (end == 0) {
		return 0;
	}
	dot = NULL;
	for (size_t i = end; i > 0; i--) {
		if (s[i - 1] == '.') {
			dot = s + i - 1;
			break;
		}
	}
	if (!dot) {
		return 0;
	}
	return toplabel(dot + 1, (size_t)(s + end - (dot + 1)));
}

/* "/" ("0" / %x31-39 0*N DIGIT) with a maximum; -1 when malformed. */
static int cidr(const char *s, size_t n, int max)
{
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0')) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	return v > max ? -1 : v;
}

/*
 * Split "[domain-spec][/4][//6]" (a, mx) into the domain-spec and the
 * CIDR lengths. 0 or -1.
 */
static int dual_cidr(char *arg, int *c4, int *c6)
{
	char *p = strstr(arg, "//");
	char *slash;

	*c4 = *c6 = -1;
	if (p) {
		*c6 = cidr(p + 2, strlen(p + 2), 128);
		if (*c6 < 0) {
			return -1;
		}
		*p = '\0';
	}
	slash = strrchr(arg, '/');
	if (slash) {
		size_t n = strlen(slash + 1);

		/* a "/" in a domain-spec is a macro-literal: only a
		 * trailing all-digit part is a CIDR length */
		if (n > 0 && strspn(slash + 1, "0123456789") == n) {
			*c4 = cidr(slash + 1, n, 32);
			if (*c4 < 0) {
				return -1;
			}
			*slash = '\0';
		} else if (p) {
			return -1;
		}
	}
	return 0;
}

static const struct {
	const char *name;
	enum dkm_spf_kind kind;
} mechs[] = {
	{ "all", SPF_ALL }, { "include", SPF_INCLUDE }, { "a", SPF_A },
	{ "mx", SPF_MX },   { "ptr", SPF_PTR },		{ "ip4", SPF_IP4 },
	{ "ip6", SPF_IP6 }, { "exists", SPF_EXISTS },
};

static void term_clear(struct dkm_spf_term *t)
{
	free(t->text);
	free(t->domain);
}

void dkm_spf_record_free(struct dkm_spf_record *r)
{
	if (!r) {
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		term_clear(&r->terms[i]);
	}
	free(r->terms);
	free(r->bad_term);
	memset(r, 0, sizeof(*r));
}

/* Parse one term into @t; 0, -1 with @why. */
static int parse_term(const char *tok, struct dkm_spf_term *t, char *why,
		      size_t whylen)
{
	const char *p = tok, *rest;
	size_t nl = 0;
	char *arg = NULL;

	memset(t, 0, sizeof(*t));
	t->cidr4 = t->cidr6 = -1;
	t->qualifier = '+';
	t->text = strdup(tok);
	if (!t->text) {
		return DK_ENOMEM;
	}
	/* modifier: name "=" (name = ALPHA *(ALPHA / DIGIT / - / _ / .)) */
	if (isalpha((unsigned char)*p)) {
		while (isalnum((unsigned char)p[nl]) || p[nl] == '-' ||
		       p[nl] == '_' || p[nl] == '.') {
			nl++;
		}
		if (p[nl] == '=') {
			const char *v = p + nl + 1;

			if (nl == 8 && strncasecmp(p, "redirect", 8) == 0) {
				t->kind = SPF_REDIRECT;
			} else if (nl == 3 && strncasecmp(p, "exp", 3) == 0) {
				t->kind = SPF_EXP;
			} else {
				t->kind = SPF_UNKNOWN_MOD;
				if (dkm_spf_macro_check(v, 0) < 0) {
					snprintf(why, whylen,
						 "bad macro-string in '%s'",
						 tok);
					return -1;
				}
				return 0;
			}
			if (!domain_spec_ok(v)) {
				snprintf(why, whylen,
					 "'%s' is not a valid domain-spec", v);
				return -1;
			}
			t->domain = strdup(v);
			return t->domain ? 0 : DK_ENOMEM;
		}
	}
	if (*p && strchr("+-~?", *p)) {
		t->qualifier = *p;
		t->explicit_q = 1;
		p++;
	}
	nl = strcspn(p, ":/");
	rest = p + nl;
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (strlen(mechs[i].name) == nl &&
		    strncasecmp(p, mechs[i].name, nl) == 0) {
			t->kind = mechs[i].kind;
			goto known;
		}
	}
	snprintf(why, whylen, "unknown mechanism '%.*s'", (int)nl, p);
	return -1;
known:
	switch (t->kind) {
	case SPF_ALL:
		if (*rest) {
			snprintf(why, whylen, "'all' takes no argument");
			return -1;
		}
		return 0;
	case SPF_INCLUDE:
	case SPF_EXISTS:
		if (*rest != ':' || !domain_spec_ok(rest + 1)) {
			snprintf(why, whylen, "'%s' needs a valid domain-spec",
				 tok);
			return -1;
		}
		t->domain = strdup(rest + 1);
		return t->domain ? 0 : DK_ENOMEM;
	case SPF_PTR:
		if (*rest == '\0') {
			return 0;
		}
		if (*rest != ':' || !domain_spec_ok(rest + 1)) {
			snprintf(why, whylen, "'%s' needs a valid domain-spec",
				 tok);
			return -1;
		}
		t->domain = strdup(rest + 1);
		return t->domain ? 0 : DK_ENOMEM;
	case SPF_A:
	case SPF_MX:
		if (*rest == '\0') {
			return 0;
		}
		arg = strdup(*rest == ':' ? rest + 1 : rest);
		if (!arg) {
			return DK_ENOMEM;
		}
		if (dual_cidr(arg, &t->cidr4, &t->cidr6) < 0) {
			snprintf(why, whylen, "bad CIDR length in '%s'", tok);
			free(arg);
			return -1;
		}
		if (*rest == ':') {
			if (!domain_spec_ok(arg)) {
				snprintf(why, whylen,
					 "'%s' needs a valid domain-spec", tok);
				free(arg);
				return -1;
			}
			t->domain = arg;
			return 0;
		}
		if (*arg) {
			snprintf(why, whylen, "bad CIDR length in '%s'", tok);
			free(arg);
			return -1;
		}
		free(arg);
		return 0;
	case SPF_IP4:
	case SPF_IP6: {
		int v6 = t->kind == SPF_IP6;
		char *slash;

		if (*rest != ':') {
			snprintf(why, whylen, "'%s' needs an address", tok);
			return -1;
		}
		arg = strdup(rest + 1);
		if (!arg) {
			return DK_ENOMEM;
		}
		slash = strchr(arg, '/');
		if (slash) {
			*slash = '\0';
			if (v6) {
				t->cidr6 =
					cidr(slash + 1, strlen(slash + 1), 128);
			} else {
				t->cidr4 =
					cidr(slash + 1, strlen(slash + 1), 32);
			}
			if ((v6 ? t->cidr6 : t->cidr4) < 0) {
				snprintf(why, whylen, "bad CIDR length in '%s'",
					 tok);
				free(arg);
				return -1;
			}
		}
		if (inet_pton(v6 ? AF_INET6 : AF_INET, arg, t->addr) != 1) {
			snprintf(why, whylen, "'%s' is not an %s address", arg,
				 v6 ? "IPv6" : "IPv4");
			free(arg);
			return -1;
		}
		free(arg);
		return 0;
	}
	default:
		return -1;
	}
}

int dkm_spf_parse(const char *txt, struct dkm_spf_record *ret)
{
	const char *p;

	memset(ret, 0, sizeof(*ret));
	if (!dkm_spf_is_record(txt)) {
		snprintf(ret->why, sizeof(ret->why), "not an SPF record");
		ret->bad_term = strdup(txt ? txt : "");
		return ret->bad_term ? DK_EDATA : DK_ENOMEM;
	}
	p = txt + 6;
	while (*p) {
		struct dkm_spf_term t;
		size_t n;
		char *tok;
		int r;

		if (*p != ' ') {
			/* only SP separates terms; a tab or other byte here
			 * is part of no term */
			n = strcspn(p, " ");
			ret->bad_term = strndup(p, n);
			snprintf(ret->why, sizeof(ret->why),
				 "terms are separated by spaces only");
			return ret->bad_term ? DK_EDATA : DK_ENOMEM;
		}
		while (*p == ' ') {
			p++;
		}
		if (!*p) {
			break;
		}
		n = strcspn(p, " ");
		tok = strndup(p, n);
		if (!tok) {
			return DK_ENOMEM;
		}
		r = parse_term(tok, &t, ret->why, sizeof(ret->why));
		if (r != 0) {
			term_clear(&t);
			if (r == DK_ENOMEM) {
				free(tok);
				return r;
			}
			ret->bad_term = tok;
			return DK_EDATA;
		}
		free(tok);
		{
			struct dkm_spf_term *nt =
				realloc(ret->terms, (ret->n + 1) * sizeof(*nt));

			if (!nt) {
				term_clear(&t);
				return DK_ENOMEM;
			}
			ret->terms = nt;
			ret->terms[ret->n++] = t;
		}
		p += n;
	}
	return 0;
}

/* Append to a growing buffer. */
struct sbuf {
	char *s;
	size_t n, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom) {
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *ns = realloc(b->s, cap);

		if (!ns) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

/* Apply the transformers (RFC 7208 7.3) to @value into @b. */
static void transform(struct sbuf *b, const char *value, unsigned long keep,
		      int reverse, const char *delims, int escape)
{
	const char *parts[128];
	size_t lens[128], n = 0, first;
	const char *p = value;
	struct sbuf tmp = { 0 };

	for (;;) {
		size_t l = strcspn(p, delims);

		if (n < 128) {
			parts[n] = p;
			lens[n] = l;
			n++;
		}
		if (!p[l]) {
			break;
		}
		p += l + 1;
	}
	if (reverse) {
		for (size_t i = 0; i < n / 2; i++) {
			const char *tp = parts[i];
			size_t tl = lens[i];

			parts[i] = parts[n - 1 - i];
			lens[i] = lens[n - 1 - i];
			parts[n - 1 - i] = tp;
			lens[n - 1 - i] = tl;
		}
	}
	first = keep && keep < n ? n - keep : 0;
	for (size_t i = first; i < n; i++) {
		if (i > first) {
			sb_add(&tmp, ".", 1);
		}
		sb_add(&tmp, parts[i], lens[i]);
	}
	if (tmp.oom) {
		b->oom = 1;
		return;
	}
	for (size_t i = 0; i < tmp.n; i++) {
		unsigned char c = (unsigned char)tmp.s[i];

		if (escape && !(isalnum(c) || strchr("-._~", c))) {
			char hex[4];

			snprintf(hex, sizeof(hex), "%%%02X", c);
			sb_add(b, hex, 3);
		} else {
			sb_add(b, (const char *)&tmp.s[i], 1);
		}
	}
	free(tmp.s);
}

int dkm_spf_expand(const char *spec, const struct dkm_spf_macros *m, char **ret)
{
	struct sbuf b = { 0 };
	int known = 1;

	*ret = NULL;
	if (dkm_spf_macro_check(spec, 0) < 0) {
		return DK_EDATA;
	}
	sb_add(&b, "", 0);
	for (const char *p = spec; *p;) {
		const char *value = NULL;
		unsigned long keep = 0;
		int reverse = 0, n;
		char delims[8] = "", l;
		const char *q;
		size_t nd = 0;

		if (*p != '%') {
			sb_add(&b, p, 1);
			p++;
			continue;
		}
		n = macro_len(p, 0);
		if (p[1] == '%') {
			sb_add(&b, "%", 1);
		} else if (p[1] == '_') {
			sb_add(&b, " ", 1);
		} else if (p[1] == '-') {
			sb_add(&b, "%20", 3);
		} else {
			l = (char)tolower((unsigned char)p[2]);
			switch (l) {
			case 's':
				value = m->s;
				break;
			case 'l':
				value = m->l;
				break;
			case 'o':
				value = m->o;
				break;
			case 'd':
				value = m->d;
				break;
			case 'i':
				value = m->i;
				break;
			case 'p':
				value = m->p;
				break;
			case 'v':
				value = m->v;
				break;
			case 'h':
				value = m->h;
				break;
			default:
				break;
			}
			q = p + 3;
			while (isdigit((unsigned char)*q)) {
				keep = keep * 10 + (unsigned long)(*q - '0');
				q++;
			}
			if (*q == 'r' || *q == 'R') {
				reverse = 1;
				q++;
			}
			while (*q != '}' && nd < sizeof(delims) - 1) {
				delims[nd++] = *q++;
			}
			if (!nd) {
				delims[0] = '.';
			}
			if (!value) {
				known = 0;
			} else {
				transform(&b, value, keep, reverse, delims,
					  isupper((unsigned char)p[2]));
			}
		}
		p += n;
	}
	if (b.oom) {
		free(b.s);
		return DK_ENOMEM;
	}
	if (!known) {
		free(b.s);
		return 0;
	}
	/* RFC 7208 7.3: over 253 characters, drop labels on the left */
	{
		char *s = b.s;

		while (strlen(s) > 253 && strchr(s, '.')) {
			s = strchr(s, '.') + 1;
		}
		if (s != b.s) {
			memmove(b.s, s, strlen(s) + 1);
		}
	}
	*ret = b.s;
	return 1;
}
