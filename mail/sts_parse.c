/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline parsers of the transport-security records: the MTA-STS TXT
 * record and policy (RFC 8461 sections 3.1 and 3.2) with its mx patterns
 * (section 4.1), the TLS-RPT record (RFC 8460 section 3), and the root
 * element of a BIMI logo (SVG Tiny PS). No I/O; the unit tests and the
 * fuzzers call them directly.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

/* RFC 8461 section 3.2: "maximum value of 31557600" (one year). */
#define STS_MAX_AGE_MAX 31557600
/* Under a day is fragile: a policy that lapses between fetches. */
#define STS_MAX_AGE_SHORT 86400

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* sts-ext-name / tlsrpt-ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT /
 * "_" / "-" / "."); the length of the name at @s, 0 if none. */
static size_t ext_name_n(const char *s, size_t max)
{
	size_t n = 0;

	if (max == 0 || !is_alnum(s[0])) {
		return 0;
	}
	for (n = 1; n < max && s[n] && n < 33; n++) {
		if (!is_alnum(s[n]) && s[n] != '_' && s[n] != '-' &&
		    s[n] != '.') {
			break;
		}
	}
	return n <= 32 ? n : 0;
}

/* The same in a NUL-terminated string. */
static size_t ext_name(const char *s)
{
	return ext_name_n(s, SIZE_MAX);
}

/* sts-ext-value: 1*(%x21-3A / %x3C / %x3E-7E), the length at @s. */
static size_t ext_value(const char *s)
{
	size_t n = 0;

	while (s[n] >= 0x21 && s[n] <= 0x7e && s[n] != ';' && s[n] != '=') {
		n++;
	}
	return n;
}

static void whyf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void whyf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf[0]) {
		return; /* keep the first reason */
	}
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* --- MTA-STS TXT record (RFC 8461 section 3.1) ------------------------ */

int dkm_sts_is_candidate(const char *txt)
{
	/* sts-version = %s"v=STSv1": case-sensitive */
	return strncmp(txt, "v=STSv1", 7) == 0;
}

int dkm_sts_txt_parse(const char *txt, struct dkm_sts_txt *ret)
{
	const char *p = txt;
	int nfields = 0;

	memset(ret, 0, sizeof(ret[0]));
	if (!dkm_sts_is_candidate(txt)) {
		snprintf(ret->field, sizeof(ret->field), "v");
		whyf(ret->why, sizeof(ret->why),
		     "does not start with v=STSv1 (case-sensitive)");
		return DK_EDATA;
	}
	ret->literal_prefix = strncmp(txt, "v=STSv1;", 8) == 0;
	p += 7;
	for (;;) {
		const char *q = p;
		size_t n, v;

		while (is_wsp(*q)) {
			q++;
		}
		if (*q == '\0') {
			if (q != p && nfields == 0) {
				/* "v=STSv1 " with nothing after it */
				break;
			}
			break;
		}
		if (*q != ';') {
			snprintf(ret->field, sizeof(ret->field), "%s",
				 nfields ? "delimiter" : "v");
			whyf(ret->why, sizeof(ret->why),
			     "expected ';' at \"%.40s\"", q);
			return DK_EDATA;
		}
		q++;
		while (is_wsp(*q)) {
			q++;
		}
		if (*q == '\0') {
			break; /* [sts-field-delim] at the end */
		}
		n = ext_name(q);
		if (n == 0 || q[n] != '=') {
			snprintf(ret->field, sizeof(ret->field), "%.*s",
				 n ? (int)n : 0, q);
			whyf(ret->why, sizeof(ret->why),
			     "malformed field at \"%.40s\"", q);
			return DK_EDATA;
		}
		v = ext_value(q + n + 1);
		if (n == 2 && strncmp(q, "id", 2) == 0) {
			/* sts-id = %s"id=" 1*32(ALPHA / DIGIT) */
			size_t k = 0;

			while (is_alnum(q[3 + k])) {
				k++;
			}
			if (k == 0 || k > 32 || k != v) {
				snprintf(ret->field, sizeof(ret->field), "id");
				whyf(ret->why, sizeof(ret->why),
				     "id=%.*s is not 1 to 32 letters and "
				     "digits",
				     (int)(v < 40 ? v : 40), q + 3);
				return DK_EDATA;
			}
			if (!ret->id[0]) {
				memcpy(ret->id, q + 3, k);
				ret->id[k] = '\0';
			} else {
				ret->duplicate_id = 1;
			}
		} else if (v == 0) {
			snprintf(ret->field, sizeof(ret->field), "%.*s", (int)n,
				 q);
			whyf(ret->why, sizeof(ret->why),
			     "field %.*s has an empty or malformed value",
			     (int)n, q);
			return DK_EDATA;
		}
		nfields++;
		p = q + n + 1 + v;
	}
	if (!ret->id[0]) {
		snprintf(ret->field, sizeof(ret->field), "id");
		whyf(ret->why, sizeof(ret->why), "no id field");
		return DK_EDATA;
	}
	ret->valid = 1;
	return 0;
}

/* --- MTA-STS policy (RFC 8461 section 3.2) ------------------------------ */

/*
 * RFC 5321 Domain: sub-domain *("." sub-domain), sub-domain = Let-dig
 * [Ldh-str]. 1 when @s (of @n octets) is one.
 */
static int rfc5321_domain(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 253) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-') {
				return 0;
			}
			label = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-') {
			return 0;
		}
		if (c == '-' && label == 0) {
			return 0;
		}
		if (++label > 63) {
			return 0;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

/* 1 when @s holds only sts-policy-vchar and inner spaces (UTF-8 is
 * checked loosely: any octet of 0x80 and above). */
static int ext_policy_value(const char *s, size_t n)
{
	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ') {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			return 0;
		}
	}
	return 1;
}

static int push_str(char ***arr, size_t *n, const char *s, size_t len)
{
	char **na = realloc(*arr, (*n + 1) * sizeof(*na));

	if (!na) {
		return DK_ENOMEM;
	}
	*arr = na;
	na[*n] = strndup(s, len);
	if (!na[*n]) {
		return DK_ENOMEM;
	}
	(*n)++;
	return 0;
}

void dkm_sts_policy_free(struct dkm_sts_policy *p)
{
	if (!p) {
		return;
	}
	for (size_t i = 0; i < p->nmx; i++) {
		free(p->mx[i]);
	}
	for (size_t i = 0; i < p->ndups; i++) {
		free(p->dups[i]);
	}
	free(p->mx);
	free(p->mx_flags);
	free(p->dups);
	memset(p, 0, sizeof(*p));
}

static void syntax(struct dkm_sts_policy *p, size_t line, const char *field,
		   size_t flen, const char *why)
{
	if (p->why[0]) {
		return;
	}
	p->line = line;
	snprintf(p->field, sizeof(p->field), "%.*s", (int)flen, field);
	snprintf(p->why, sizeof(p->why), "line %zu: %s", line, why);
}

int dkm_sts_policy_parse(const char *body, size_t len,
			 struct dkm_sts_policy *ret)
{
	struct dkm_sts_policy *p = ret;
	int seen_version = 0, seen_mode = 0, seen_age = 0;
	size_t pos = 0, line = 0;

	memset(p, 0, sizeof(*p));
	p->mode = -1;
	p->max_age = -1;
	while (pos < len) {
		size_t start = pos, end, next, klen, vs, ve;
		const char *l = body + pos;
		int blank = 1;

		line++;
		while (pos < len && body[pos] != '\n') {
			pos++;
		}
		next = pos < len ? pos + 1 : pos;
		end = pos;
		if (pos < len) {
			if (end > start && body[end - 1] == '\r') {
				end--;
				p->ncrlf++;
			} else {
				p->nlf++;
			}
		}
		pos = next;
		for (size_t i = start; i < end; i++) {
			if (body[i] == '\r') {
				p->bare_cr = 1;
				syntax(p, line, "", 0,
				       "a bare CR (the terminator is CRLF or "
				       "LF)");
			} else if (body[i] == '\0') {
				syntax(p, line, "", 0, "a NUL octet");
			}
			if (!is_wsp(body[i])) {
				blank = 0;
			}
		}
		if (blank) {
			/* sts-policy-field is required between delimiters:
			 * strict parsers reject empty lines, lenient ones
			 * skip them */
			p->blank_lines++;
			continue;
		}
		/* key ":" *WSP value *WSP */
		/* (bounded: the body is not NUL-terminated) */
		klen = ext_name_n(l, end - start);
		if (klen == 0 || start + klen >= end || l[klen] != ':') {
			syntax(p, line, l, klen,
			       "not a key: value line (keys are 1 to 32 "
			       "letters, digits, '_', '-', '.')");
			continue;
		}
		vs = start + klen + 1;
		while (vs < end && is_wsp(body[vs])) {
			vs++;
		}
		ve = end;
		while (ve > vs && is_wsp(body[ve - 1])) {
			ve--;
		}
		{
			const char *v = body + vs;
			size_t vl = ve - vs;
			int dup = 0;

#define KEY(s) (klen == sizeof(s) - 1 && strncmp(l, s, klen) == 0)
			if (KEY("version")) {
				dup = seen_version++;
				if (vl != 5 || strncmp(v, "STSv1", 5) != 0) {
					syntax(p, line, l, klen,
					       "version is not STSv1 "
					       "(case-sensitive)");
				} else if (!dup) {
					p->version_ok = 1;
				}
			} else if (KEY("mode")) {
				int m = -1;

				dup = seen_mode++;
				if (vl == 7 && strncmp(v, "testing", 7) == 0) {
					m = DKM_STS_TESTING;
				} else if (vl == 7 &&
					   strncmp(v, "enforce", 7) == 0) {
					m = DKM_STS_ENFORCE;
				} else if (vl == 4 &&
					   strncmp(v, "none", 4) == 0) {
					m = DKM_STS_NONE;
				}
				if (m < 0) {
					syntax(p, line, l, klen,
					       "mode is not testing, enforce "
					       "or none (case-sensitive)");
				} else if (!dup) {
					p->mode = m;
				}
			} else if (KEY("max_age")) {
				int64_t a = 0;
				size_t d = 0;

				dup = seen_age++;
				while (d < vl && v[d] >= '0' && v[d] <= '9') {
					/* more than 10 digits is an error:
					 * never count past them */
					if (d < 10) {
						a = a * 10 + (v[d] - '0');
					}
					d++;
				}
				if (d == 0 || d != vl || d > 10) {
					syntax(p, line, l, klen,
					       "max_age is not 1 to 10 digits");
				} else if (!dup) {
					p->max_age = a;
				}
			} else if (KEY("mx")) {
				unsigned flags = 0;
				size_t dl = vl;
				const char *d = v;
				unsigned *nf;

				if (dl > 0 && d[dl - 1] == '.') {
					flags |= DKM_MX_TRAILING_DOT;
					dl--;
				}
				if (dl >= 2 && d[0] == '*' && d[1] == '.') {
					flags |= DKM_MX_WILDCARD;
					d += 2;
					dl -= 2;
				}
				if (!rfc5321_domain(d, dl)) {
					flags |= DKM_MX_INVALID;
				}
				if (push_str(&p->mx, &p->nmx, v, vl) < 0) {
					return DK_ENOMEM;
				}
				nf = realloc(p->mx_flags, p->nmx * sizeof(*nf));
				if (!nf) {
					return DK_ENOMEM;
				}
				p->mx_flags = nf;
				nf[p->nmx - 1] = flags;
			} else if (!ext_policy_value(v, vl)) {
				syntax(p, line, l, klen,
				       "an extension field with an empty or "
				       "malformed value");
			}
#undef KEY
			if (dup) {
				int known = 0;

				for (size_t i = 0; i < p->ndups; i++) {
					known |= strlen(p->dups[i]) == klen &&
						 strncmp(p->dups[i], l, klen) ==
							 0;
				}
				if (!known && push_str(&p->dups, &p->ndups, l,
						       klen) < 0) {
					return DK_ENOMEM;
				}
			}
		}
	}
	if (!p->why[0]) {
		const char *missing = !seen_version ? "version"
				      : !seen_mode  ? "mode"
				      : !seen_age   ? "max_age"
						    : NULL;

		if (missing) {
			p->line = 0;
			snprintf(p->field, sizeof(p->field), "%s", missing);
			snprintf(p->why, sizeof(p->why),
				 "no %s field (required)", missing);
		}
	}
	p->syntax_ok = !p->why[0];
	p->no_mx = p->syntax_ok && p->mode != DKM_STS_NONE && p->nmx == 0;
	p->valid = p->syntax_ok && !p->no_mx;
	return p->valid ? 0 : DK_EDATA;
}

/* RFC 8461 section 4.1: "*." matches exactly one left-most label. */
int dkm_sts_mx_match(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern), hl = strlen(host);

	while (pl > 0 && pattern[pl - 1] == '.') {
		pl--;
	}
	while (hl > 0 && host[hl - 1] == '.') {
		hl--;
	}
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = memchr(host, '.', hl);
		size_t rest;

		if (!dot || dot == host) {
			return 0;
		}
		rest = hl - (size_t)(dot + 1 - host);
		return rest == pl - 2 &&
		       strncasecmp(dot + 1, pattern + 2, rest) == 0;
	}
	return pl == hl && strncasecmp(pattern, host, hl) == 0;
}

/* --- TLS-RPT record (RFC 8460 section 3) --------------------------------- */

int dkm_tlsrpt_is_candidate(const char *txt)
{
	/* tlsrpt-version = %s"v=TLSRPTv1" */
	return strncmp(txt, "v=TLSRPTv1", 10) == 0;
}

void dkm_tlsrpt_record_free(struct dkm_tlsrpt_record *r)
{
	if (!r) {
		return;
	}
	for (size_t i = 0; i < r->nrua; i++) {
		free(r->rua[i]);
	}
	free(r->rua);
	memset(r, 0, sizeof(*r));
}

/* A URI's scheme (RFC 3986 section 3.1), lower case, into @buf; 0 when
 * @s has none. */
static int uri_scheme(const char *s, size_t n, char *buf, size_t len)
{
	size_t i = 0;

	if (n == 0 || !isalpha((unsigned char)s[0])) {
		return 0;
	}
	while (i < n &&
	       (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
		i++;
	}
	if (i >= n || s[i] != ':' || i + 1 >= len) {
		return 0;
	}
	for (size_t k = 0; k < i; k++) {
		buf[k] = (char)tolower((unsigned char)s[k]);
	}
	buf[i] = '\0';
	return 1;
}

int dkm_tlsrpt_parse(const char *txt, struct dkm_tlsrpt_record *ret)
{
	const char *p = txt;
	int have_rua = 0;

	memset(ret, 0, sizeof(*ret));
	if (!dkm_tlsrpt_is_candidate(txt)) {
		whyf(ret->why, sizeof(ret->why),
		     "does not start with v=TLSRPTv1 (case-sensitive)");
		return DK_EDATA;
	}
	ret->literal_prefix = strncmp(txt, "v=TLSRPTv1;", 11) == 0;
	p += 10;
	for (;;) {
		const char *q = p;
		size_t n, v;

		while (is_wsp(*q)) {
			q++;
		}
		if (*q == '\0') {
			break;
		}
		if (*q != ';') {
			whyf(ret->why, sizeof(ret->why),
			     "expected ';' at \"%.40s\"", q);
			return DK_EDATA;
		}
		q++;
		while (is_wsp(*q)) {
			q++;
		}
		if (*q == '\0') {
			break;
		}
		n = ext_name(q);
		if (n == 0 || q[n] != '=') {
			whyf(ret->why, sizeof(ret->why),
			     "malformed field at \"%.40s\"", q);
			return DK_EDATA;
		}
		if (n == 3 && strncmp(q, "rua", 3) == 0) {
			/* tlsrpt-rua = %s"rua=" tlsrpt-uri
			 *	*(*WSP "," *WSP tlsrpt-uri) */
			const char *u = q + 4;

			if (have_rua++) {
				ret->duplicate_rua = 1;
			}
			for (;;) {
				size_t ul = 0;
				char scheme[16];

				while (u[ul] && u[ul] != ',' && u[ul] != ';' &&
				       !is_wsp(u[ul]) &&
				       (unsigned char)u[ul] > 0x20 &&
				       (unsigned char)u[ul] < 0x7f) {
					ul++;
				}
				if (ul == 0 || !uri_scheme(u, ul, scheme,
							   sizeof(scheme))) {
					whyf(ret->why, sizeof(ret->why),
					     "rua holds \"%.*s\", not a URI",
					     (int)(ul < 60 ? ul : 60), u);
					return DK_EDATA;
				}
				if (have_rua == 1 &&
				    push_str(&ret->rua, &ret->nrua, u, ul) <
					    0) {
					return DK_ENOMEM;
				}
				u += ul;
				q = u;
				while (is_wsp(*q)) {
					q++;
				}
				if (*q != ',') {
					break;
				}
				q++;
				while (is_wsp(*q)) {
					q++;
				}
				u = q;
			}
			p = u;
			continue;
		}
		v = ext_value(q + n + 1);
		if (v == 0) {
			whyf(ret->why, sizeof(ret->why),
			     "field %.*s has an empty or malformed value",
			     (int)n, q);
			return DK_EDATA;
		}
		p = q + n + 1 + v;
	}
	ret->rua_missing = !have_rua;
	ret->valid = 1;
	return 0;
}

int dkm_tlsrpt_uri_ok(const char *uri)
{
	char scheme[16];

	if (!uri_scheme(uri, strlen(uri), scheme, sizeof(scheme))) {
		return 0;
	}
	if (strcmp(scheme, "mailto") == 0) {
		return uri[7] != '\0';
	}
	if (strcmp(scheme, "https") == 0) {
		return strncmp(uri + 6, "//", 2) == 0 && uri[8] != '\0';
	}
	return 0;
}

/* --- SVG Tiny PS (BIMI logo): the root element -----------------------------
 */

/* Skip the prolog: BOM, XML declaration, comments, DOCTYPE, processing
 * instructions and white space. The offset of the root element's '<', or
 * len when there is none. */
static size_t skip_prolog(const char *s, size_t len)
{
	size_t i = 0;

	if (len >= 3 && (unsigned char)s[0] == 0xef &&
	    (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf) {
		i = 3;
	}
	while (i < len) {
		if (isspace((unsigned char)s[i])) {
			i++;
			continue;
		}
		if (s[i] != '<') {
			return len;
		}
		if (i + 1 < len && s[i + 1] == '?') {
			const char *e = memmem(s + i, len - i, "?>", 2);

			if (!e) {
				return len;
			}
			i = (size_t)(e - s) + 2;
		} else if (i + 3 < len && strncmp(s + i, "<!--", 4) == 0) {
			const char *e =
				memmem(s + i + 4, len - i - 4, "-->", 3);

			if (!e) {
				return len;
			}
			i = (size_t)(e - s) + 3;
		} else if (i + 1 < len && s[i + 1] == '!') {
			/* DOCTYPE, possibly with an internal subset */
			int depth = 0;

			for (i += 2; i < len; i++) {
				if (s[i] == '[') {
					depth++;
				} else if (s[i] == ']') {
					depth--;
				} else if (s[i] == '>' && depth <= 0) {
					break;
				}
			}
			i++;
		} else {
			return i;
		}
	}
	return len;
}

int dkm_svg_check(const uint8_t *body, size_t len, struct dkm_svg *ret)
{
	const char *s = (const char *)body;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	i = skip_prolog(s, len);
	if (i >= len || len - i < 5 || strncmp(s + i, "<svg", 4) != 0 ||
	    !(isspace((unsigned char)s[i + 4]) || s[i + 4] == '>' ||
	      s[i + 4] == '/')) {
		snprintf(ret->why, sizeof(ret->why),
			 "the root element is not <svg>");
		return DK_EDATA;
	}
	ret->is_svg = 1;
	i += 4;
	/* attributes: name = "value" | 'value' */
	while (i < len) {
		size_t ns, ne, vs;
		char q;

		while (i < len && isspace((unsigned char)s[i])) {
			i++;
		}
		if (i >= len || s[i] == '>' || s[i] == '/') {
			break;
		}
		ns = i;
		while (i < len && !isspace((unsigned char)s[i]) &&
		       s[i] != '=' && s[i] != '>' && s[i] != '/') {
			i++;
		}
		ne = i;
		while (i < len && isspace((unsigned char)s[i])) {
			i++;
		}
		if (ns == ne || i >= len || s[i] != '=') {
			snprintf(ret->why, sizeof(ret->why),
				 "malformed attribute in <svg>");
			return DK_EDATA;
		}
		i++;
		while (i < len && isspace((unsigned char)s[i])) {
			i++;
		}
		if (i >= len || (s[i] != '"' && s[i] != '\'')) {
			snprintf(ret->why, sizeof(ret->why),
				 "unquoted attribute value in <svg>");
			return DK_EDATA;
		}
		q = s[i++];
		vs = i;
		while (i < len && s[i] != q) {
			i++;
		}
		if (i >= len) {
			snprintf(ret->why, sizeof(ret->why),
				 "unterminated attribute value in <svg>");
			return DK_EDATA;
		}
		if (ne - ns == 11 && strncmp(s + ns, "baseProfile", 11) == 0 &&
		    !ret->has_base_profile) {
			ret->has_base_profile = 1;
			snprintf(ret->base_profile, sizeof(ret->base_profile),
				 "%.*s", (int)(i - vs), s + vs);
		} else if (ne - ns == 7 && strncmp(s + ns, "version", 7) == 0 &&
			   !ret->version[0]) {
			snprintf(ret->version, sizeof(ret->version), "%.*s",
				 (int)(i - vs), s + vs);
		}
		i++;
	}
	if (i >= len) {
		snprintf(ret->why, sizeof(ret->why),
			 "the <svg> start tag does not end");
		return DK_EDATA;
	}
	ret->tiny_ps = ret->has_base_profile &&
		       strcmp(ret->base_profile, "tiny-ps") == 0;
	return 0;
}
