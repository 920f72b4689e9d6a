/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishers beyond DNS UPDATE: the PowerDNS Authoritative HTTP API
 * (libcurl; GET the zone, then PATCH the RRset whole with changetype
 * REPLACE, after checking that it is still what the plan read), and a
 * command given the changes as JSON on its standard input (fork and
 * execvp, no shell of ours; killed at its time limit).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "dane/renew/internal.h"

/* ---- names ------------------------------------------------------------ */

static const char *const via_names[] = {
	[DK_PUBLISH_VIA_UPDATE] = "rfc2136",
	[DK_PUBLISH_VIA_PDNS_API] = "pdns-api",
	[DK_PUBLISH_VIA_EXEC] = "exec",
};

const char *dk_publish_via_name(enum dk_publish_via via)
{
	if ((unsigned)via >= sizeof(via_names) / sizeof(via_names[0])) {
		return NULL;
	}
	return via_names[via];
}

int dk_publish_via_parse(const char *name)
{
	if (!name) {
		return DK_EINVAL;
	}
	for (size_t i = 0; i < sizeof(via_names) / sizeof(via_names[0]); i++) {
		if (strcmp(name, via_names[i]) == 0) {
			return (int)i;
		}
	}
	return DK_EINVAL;
}

/* ---- API key file ----------------------------------------------------- */

#define API_KEY_MAX 4096

void dk_api_key_free(char *key)
{
	if (!key) {
		return;
	}
	OPENSSL_cleanse(key, strlen(key));
	free(key);
}

int dk_api_key_read(const char *path, char **ret_key, struct dk_diag *diag)
{
	char buf[API_KEY_MAX + 2];
	struct stat st;
	size_t len = 0, start, end;
	ssize_t n;
	int fd, r = 0;
	char *key;

	if (!path || !ret_key) {
		return DK_EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = errno == ENOENT			? DK_ENOENT
		    : errno == EACCES || errno == EPERM ? DK_EACCES
		    : errno == EISDIR			? DK_EISDIR
							: DK_EIO;
		dki_diagf(diag, "%s", strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		dki_diagf(diag, "not a regular file (%s)",
			  dkr_file_kind(st.st_mode));
		close(fd);
		return DK_EISDIR;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			dki_diagf(diag, "read: %s", strerror(errno));
			r = DK_EIO;
			break;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (r == 0) {
		/* the first line, without the blanks around it */
		end = strcspn(buf, "\r\n");
		if (end > API_KEY_MAX) {
			dki_diagf(diag, "the key is longer than %d characters",
				  API_KEY_MAX);
			r = DK_EDATA;
		}
		start = 0;
		while (start < end &&
		       (buf[start] == ' ' || buf[start] == '\t')) {
			start++;
		}
		while (end > start &&
		       (buf[end - 1] == ' ' || buf[end - 1] == '\t')) {
			end--;
		}
		if (r == 0 && end == start) {
			dki_diagf(diag, "no key on the first line");
			r = DK_EDATA;
		}
		for (size_t i = start; r == 0 && i < end; i++) {
			if (buf[i] < 0x21 || buf[i] > 0x7e) {
				dki_diagf(diag,
					  "the key has a character that is not "
					  "printable ASCII (at %zu)",
					  i - start + 1);
				r = DK_EDATA;
			}
		}
		if (r == 0) {
			key = strndup(buf + start, end - start);
			if (!key) {
				r = DK_ENOMEM;
			} else {
				*ret_key = key;
			}
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

/* ---- JSON of a plan --------------------------------------------------- */

static json_t *record_json(const struct dk_tlsa *t)
{
	size_t len = 0;
	const uint8_t *d = dk_tlsa_data(t, &len);
	char *hex = malloc(len * 2 + 1), *rd = dkr_rdata(t);
	json_t *o = NULL;

	if (hex && rd) {
		for (size_t i = 0; i < len; i++) {
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		}
		hex[len * 2] = '\0';
		o = json_pack("{s:i, s:i, s:i, s:s, s:s}", "usage",
			      (int)dk_tlsa_usage(t), "selector",
			      (int)dk_tlsa_selector(t), "mtype",
			      (int)dk_tlsa_mtype(t), "data", hex, "text", rd);
	}
	free(hex);
	free(rd);
	return o;
}

static json_t *records_json(struct dk_tlsa *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		json_t *o = record_json(v[i]);

		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

char *dkr_plan_json(const struct dk_publish_plan *plan)
{
	json_t *doc;
	char *s, *out = NULL;

	doc = json_pack("{s:i, s:s, s:s, s:I, s:o*, s:o*, s:o*, s:I, s:s, s:i}",
			"schema_version", 1, "zone", plan->zone, "owner",
			plan->owner, "ttl", (json_int_t)plan->ttl, "add",
			records_json(plan->add, plan->nadd), "remove",
			records_json(plan->remove, plan->nremove), "before",
			records_json(plan->before, plan->nbefore), "before_ttl",
			(json_int_t)plan->before_ttl, "server",
			plan->server ? plan->server : "", "port",
			(int)plan->port);
	if (!doc || json_object_size(doc) != 10) {
		json_decref(doc);
		return NULL;
	}
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (s && asprintf(&out, "%s\n", s) < 0) {
		out = NULL;
	}
	free(s);
	return out;
}

/* ---- PowerDNS API ----------------------------------------------------- */

#define API_BODY_MAX (64u << 20)

int dkr_pdns_url(struct dkr_plan *p, const char *api_url, struct dk_diag *diag)
{
	const char *z = p->pub.zone;
	size_t n = strlen(api_url);
	int r;

	if (strncasecmp(api_url, "http://", 7) != 0 &&
	    strncasecmp(api_url, "https://", 8) != 0) {
		dki_diagf(diag, "'%s' is not an http:// or https:// URL",
			  api_url);
		return DK_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)api_url[i] <= 0x20 ||
		    (unsigned char)api_url[i] >= 0x7f || api_url[i] == '?' ||
		    api_url[i] == '#') {
			dki_diagf(diag, "the API URL has a blank, a query or a "
					"fragment: give http[s]://HOST[:PORT]");
			return DK_EINVAL;
		}
	}
	while (n > 0 && api_url[n - 1] == '/') {
		n--;
	}
	for (const char *c = z; *c; c++) {
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' &&
		    *c != '_') {
			dki_diagf(diag,
				  "the zone %s has a character the API URL "
				  "cannot carry",
				  z);
			return DK_EINVAL;
		}
	}
	if (strstr(api_url, "/api/v1/servers/")) {
		r = asprintf(&p->pub.server, "%.*s/zones/%s", (int)n, api_url,
			     z);
	} else {
		r = asprintf(&p->pub.server,
			     "%.*s/api/v1/servers/localhost/zones/%s", (int)n,
			     api_url, z);
	}
	if (r < 0) {
		p->pub.server = NULL;
		return DK_ENOMEM;
	}
	p->pub.port = 0;
	return 0;
}

struct body {
	char *buf;
	size_t len;
	int over;
};

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct body *b = user;
	size_t n = size * nmemb;
	char *nb;

	if (b->len + n > API_BODY_MAX) {
		b->over = 1;
		return 0;
	}
	nb = realloc(b->buf, b->len + n + 1);
	if (!nb) {
		return 0;
	}
	memcpy(nb + b->len, ptr, n);
	b->len += n;
	nb[b->len] = '\0';
	b->buf = nb;
	return n;
}

/* The "error" of a PowerDNS API reply, else a short excerpt. */
static void api_error(const struct body *b, char *out, size_t size)
{
	json_t *j = b->buf ? json_loadb(b->buf, b->len, 0, NULL) : NULL;
	const char *e =
		j ? json_string_value(json_object_get(j, "error")) : NULL;
	size_t k = 0;

	if (!e) {
		e = b->buf ? b->buf : "";
	}
	for (const char *c = e; *c && k + 1 < size && k < 200; c++) {
		out[k++] = (*c >= 0x20 && *c < 0x7f) ? *c : ' ';
	}
	out[k] = '\0';
	json_decref(j);
}

/*
 * One request: @method to @url with @body (or none); the reply's body
 * into *@ret (malloc()ed) and its status into *@ret_status.
 */
static int api_request(const struct dkr_plan *p, const char *method,
		       const char *body, double timeout, struct body *ret,
		       long *ret_status, struct dk_diag *diag)
{
	struct curl_slist *h = NULL, *h2;
	char *hdr = NULL;
	CURL *c;
	CURLcode cc;
	int r = 0;

	c = curl_easy_init();
	if (!c) {
		return DK_ENOMEM;
	}
	if (asprintf(&hdr, "X-API-Key: %s", p->api_key) < 0) {
		curl_easy_cleanup(c);
		return DK_ENOMEM;
	}
	h = curl_slist_append(NULL, hdr);
	OPENSSL_cleanse(hdr, strlen(hdr));
	free(hdr);
	h2 = h ? curl_slist_append(h, "Accept: application/json") : NULL;
	if (h2 && body) {
		h2 = curl_slist_append(h2, "Content-Type: application/json");
	}
	if (!h2) {
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
		return DK_ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, p->pub.server);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ret);
	cc = curl_easy_perform(c);
	switch (cc) {
	case CURLE_OK:
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, ret_status);
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		dki_diagf(diag, "the PowerDNS API at %s is unreachable: %s",
			  p->pub.server, curl_easy_strerror(cc));
		r = DK_ECONNREFUSED;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		dki_diagf(diag, "the PowerDNS API at %s: no answer (time-out)",
			  p->pub.server);
		r = DK_ETIMEDOUT;
		break;
	case CURLE_OUT_OF_MEMORY:
		r = DK_ENOMEM;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		dki_diagf(diag, "the PowerDNS API at %s: TLS failed: %s",
			  p->pub.server, curl_easy_strerror(cc));
		r = DK_ETLS;
		break;
	default:
		dki_diagf(diag, "the PowerDNS API at %s: %s%s", p->pub.server,
			  curl_easy_strerror(cc),
			  ret->over ? " (reply too large)" : "");
		r = DK_EPROTO;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r;
}

/* A reply status other than @want: the error it means (+ @diag). */
static int api_status(const struct dkr_plan *p, const char *method, long status,
		      long want, const struct body *b, struct dk_diag *diag)
{
	char why[256];

	if (status == want) {
		return 0;
	}
	api_error(b, why, sizeof(why));
	if (status == 401 || status == 403) {
		dki_diagf(diag,
			  "the PowerDNS API refused the key (%s %s: HTTP "
			  "%ld%s%s)",
			  method, p->pub.server, status, why[0] ? ", " : "",
			  why);
		return DK_EREFUSED;
	}
	if (status == 404) {
		dki_diagf(
			diag,
			"the PowerDNS API has no zone %s (%s %s: HTTP 404%s%s)",
			p->pub.zone, method, p->pub.server, why[0] ? ", " : "",
			why);
		return DK_EREFUSED;
	}
	if (status >= 400 && status < 500) {
		dki_diagf(diag,
			  "the PowerDNS API refused the change (%s %s: HTTP "
			  "%ld%s%s)",
			  method, p->pub.server, status, why[0] ? ", " : "",
			  why);
		return DK_EREFUSED;
	}
	dki_diagf(diag, "the PowerDNS API failed (%s %s: HTTP %ld%s%s)", method,
		  p->pub.server, status, why[0] ? ", " : "", why);
	return status >= 500 ? DK_ESERVFAIL : DK_EPROTO;
}

/*
 * GET the zone; *@ret_records gets the "records" array of the TLSA RRset
 * at the owner (a new reference, an empty array when there is none) and
 * *@ret_ttl its TTL (0 when none).
 */
static int pdns_get(const struct dkr_plan *p, double timeout,
		    json_t **ret_records, uint32_t *ret_ttl,
		    struct dk_diag *diag)
{
	struct body b = { 0 };
	json_t *zone = NULL, *rrsets, *rs, *recs = NULL;
	json_error_t je;
	long status = 0;
	size_t i;
	int r;

	r = api_request(p, "GET", NULL, timeout, &b, &status, diag);
	if (r == 0) {
		r = api_status(p, "GET", status, 200, &b, diag);
	}
	if (r < 0) {
		free(b.buf);
		return r;
	}
	zone = b.buf ? json_loadb(b.buf, b.len, 0, &je) : NULL;
	free(b.buf);
	rrsets = json_object_get(zone, "rrsets");
	if (!json_is_array(rrsets)) {
		dki_diagf(diag,
			  "the PowerDNS API at %s: the reply is not a zone "
			  "with rrsets",
			  p->pub.server);
		json_decref(zone);
		return DK_EPROTO;
	}
	*ret_ttl = 0;
	json_array_foreach(rrsets, i, rs)
	{
		const char *name =
			json_string_value(json_object_get(rs, "name"));
		const char *type =
			json_string_value(json_object_get(rs, "type"));

		if (!name || !type || strcasecmp(name, p->pub.owner) != 0 ||
		    strcmp(type, "TLSA") != 0) {
			continue;
		}
		recs = json_object_get(rs, "records");
		if (!json_is_array(recs)) {
			recs = NULL;
			continue;
		}
		json_incref(recs);
		*ret_ttl = (uint32_t)json_integer_value(
			json_object_get(rs, "ttl"));
		break;
	}
	json_decref(zone);
	*ret_records = recs ? recs : json_array();
	return *ret_records ? 0 : DK_ENOMEM;
}

/* The record of one API record object (its "content"), or NULL. */
static struct dk_tlsa *api_record(const struct dkr_plan *p, json_t *rec,
				  int *ret_disabled, struct dk_diag *diag)
{
	const char *content =
		json_string_value(json_object_get(rec, "content"));
	struct dk_tlsa *t = NULL;

	*ret_disabled = json_is_true(json_object_get(rec, "disabled"));
	if (!content || dk_tlsa_parse(content, &t, NULL, NULL) < 0) {
		dki_diagf(diag,
			  "the PowerDNS API at %s: a TLSA record at %s that "
			  "is not one: %.80s",
			  p->pub.server, p->pub.owner,
			  content ? content : "(no content)");
		return NULL;
	}
	return t;
}

int dkr_pdns_read(struct dkr_plan *p, struct dk_diag *diag)
{
	json_t *recs = NULL, *rec;
	size_t i;
	int r, disabled;

	r = pdns_get(p, p->timeout, &recs, &p->pub.before_ttl, diag);
	if (r < 0) {
		return r;
	}
	json_array_foreach(recs, i, rec)
	{
		struct dk_tlsa *t = api_record(p, rec, &disabled, diag);

		if (!t) {
			r = DK_EPROTO;
			break;
		}
		if (disabled) {
			dk_tlsa_free(t);
			continue;
		}
		if (dkr_push((void ***)&p->pub.before, &p->pub.nbefore, t) <
		    0) {
			dk_tlsa_free(t);
			r = DK_ENOMEM;
			break;
		}
	}
	json_decref(recs);
	return r;
}

static int in_set(struct dk_tlsa *const *v, size_t n, const struct dk_tlsa *t)
{
	for (size_t i = 0; i < n; i++) {
		if (dk_tlsa_cmp(v[i], t) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * The PATCH body: the records of @recs (as the API gave them) less those
 * removed (and less a disabled copy of one added), plus those added.
 * With @check, the enabled records must be the plan's "before"
 * (DK_ECONFLICT otherwise).
 */
static int pdns_body(const struct dkr_plan *p, json_t *recs, int check,
		     char **ret_body, struct dk_diag *diag)
{
	const struct dk_publish_plan *pl = &p->pub;
	json_t *out = json_array(), *rs, *doc, *rec;
	size_t i, enabled = 0;
	int r = 0, disabled;

	if (!out) {
		return DK_ENOMEM;
	}
	json_array_foreach(recs, i, rec)
	{
		struct dk_tlsa *t = api_record(p, rec, &disabled, diag);

		if (!t) {
			r = DK_EPROTO;
			break;
		}
		if (!disabled) {
			enabled++;
			if (check && !in_set(pl->before, pl->nbefore, t)) {
				r = DK_ECONFLICT;
			}
		}
		if ((!disabled && in_set(pl->remove, pl->nremove, t)) ||
		    (disabled && in_set(pl->add, pl->nadd, t))) {
			dk_tlsa_free(t);
			continue;
		}
		dk_tlsa_free(t);
		if (json_array_append(out, rec) < 0) {
			r = DK_ENOMEM;
			break;
		}
	}
	if (r == 0 && check && enabled != pl->nbefore) {
		r = DK_ECONFLICT;
	}
	if (r == DK_ECONFLICT) {
		dki_diagf(diag,
			  "the TLSA RRset at %s changed since it was read "
			  "(PowerDNS API %s); nothing written",
			  pl->owner, pl->server);
	}
	for (i = 0; r == 0 && i < pl->nadd; i++) {
		char *rd = dkr_rdata(pl->add[i]);

		rec = rd ? json_pack("{s:s, s:b}", "content", rd, "disabled", 0)
			 : NULL;
		free(rd);
		if (!rec || json_array_append_new(out, rec) < 0) {
			r = DK_ENOMEM;
		}
	}
	if (r < 0) {
		json_decref(out);
		return r;
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		rs = json_pack("{s:s, s:s, s:s}", "name", pl->owner, "type",
			       "TLSA", "changetype", "DELETE");
	} else {
		rs = json_pack("{s:s, s:s, s:I, s:s, s:o}", "name", pl->owner,
			       "type", "TLSA", "ttl", (json_int_t)pl->ttl,
			       "changetype", "REPLACE", "records", out);
	}
	doc = rs ? json_pack("{s:[o]}", "rrsets", rs) : NULL;
	*ret_body = doc ? json_dumps(doc, JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	return *ret_body ? 0 : DK_ENOMEM;
}

char *dkr_pdns_script(const struct dkr_plan *p)
{
	json_t *recs = json_array();
	char *body = NULL, *out = NULL;

	/* the enabled records read: disabled ones are kept as they are */
	for (size_t i = 0; recs && i < p->pub.nbefore; i++) {
		char *rd = dkr_rdata(p->pub.before[i]);

		if (!rd || json_array_append_new(
				   recs, json_pack("{s:s, s:b}", "content", rd,
						   "disabled", 0)) < 0) {
			free(rd);
			json_decref(recs);
			return NULL;
		}
		free(rd);
	}
	if (recs && pdns_body(p, recs, 0, &body, NULL) == 0 &&
	    asprintf(&out,
		     "; PowerDNS API (the key is not printed; disabled "
		     "records are kept)\nPATCH %s\n%s\n",
		     p->pub.server, body) < 0) {
		out = NULL;
	}
	free(body);
	json_decref(recs);
	return out;
}

int dkr_pdns_send(const struct dkr_plan *p, double timeout,
		  struct dk_diag *diag)
{
	struct body b = { 0 };
	json_t *recs = NULL;
	uint32_t ttl = 0;
	char *body = NULL;
	long status = 0;
	int r;

	if (!p->api_key || !p->pub.server) {
		return DK_EINVAL;
	}
	if (timeout <= 0) {
		timeout = 10;
	}
	/* what was there: still what the plan read? */
	r = pdns_get(p, timeout, &recs, &ttl, diag);
	if (r == 0) {
		r = pdns_body(p, recs, 1, &body, diag);
	}
	json_decref(recs);
	if (r < 0) {
		return r;
	}
	r = api_request(p, "PATCH", body, timeout, &b, &status, diag);
	free(body);
	if (r == 0) {
		r = api_status(p, "PATCH", status, 204, &b, diag);
	}
	free(b.buf);
	return r;
}

/* ---- exec ------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The last non-empty line of @buf (@len bytes), into @out. */
static void last_line(const char *buf, size_t len, char *out, size_t size)
{
	size_t end = len, start, k = 0;

	while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r' ||
			   buf[end - 1] == ' ')) {
		end--;
	}
	start = end;
	while (start > 0 && buf[start - 1] != '\n') {
		start--;
	}
	for (size_t i = start; i < end && k + 1 < size; i++) {
		out[k++] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : ' ';
	}
	out[k] = '\0';
}

/* Append @n bytes of @buf to @tail (@size > @n), keeping the last ones. */
static void keep_tail(char *tail, size_t size, size_t *len, const char *buf,
		      size_t n)
{
	if (*len + n > size) {
		size_t drop = *len + n - size;

		memmove(tail, tail + drop, *len - drop);
		*len -= drop;
	}
	memcpy(tail + *len, buf, n);
	*len += n;
}

static void child(char *const *argv, int in, int out)
{
	sigset_t all;
	long maxfd = sysconf(_SC_OPEN_MAX);

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
		_exit(127);
	}
	if (close_range(3, ~0U, 0) < 0) {
		for (long fd = 3;
		     fd < (maxfd > 0 && maxfd < 65536 ? maxfd : 65536); fd++) {
			close((int)fd);
		}
	}
	execvp(argv[0], argv);
	{
		char msg[512];
		int n = snprintf(msg, sizeof(msg), "%s: %s\n", argv[0],
				 strerror(errno));

		if (n > 0 && write(2, msg, (size_t)n) < 0) {
			_exit(127);
		}
	}
	_exit(127);
}

/* Kill the command's process group: TERM, 1 s, KILL; reap it. */
static int stop_child(pid_t pid)
{
	int st = 0;

	/* the group, else (not yet a group leader) the process itself */
	if (kill(-pid, SIGTERM) < 0) {
		kill(pid, SIGTERM);
	}
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			kill(-pid, SIGKILL);
			return st;
		}
		usleep(10000);
	}
	if (kill(-pid, SIGKILL) < 0) {
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	return st;
}

int dkr_exec_send(const struct dkr_plan *p, double timeout,
		  struct dk_diag *diag)
{
	char *doc, tail[4096], line[256];
	const char *name;
	size_t dlen, off = 0, tlen = 0;
	int sv[2] = { -1, -1 }, po[2] = { -1, -1 }, st = 0, done = 0;
	int r = 0;
	double deadline;
	pid_t pid;

	if (!p->argv || !p->argv[0]) {
		return DK_EINVAL;
	}
	/* its name in messages: the command line given to a shell */
	name = p->argv[0];
	if (p->argv[1] && strcmp(p->argv[1], "-c") == 0 && p->argv[2]) {
		name = p->argv[2];
	}
	doc = dkr_plan_json(&p->pub);
	if (!doc) {
		return DK_ENOMEM;
	}
	dlen = strlen(doc);
	/* stdin through a socket: send(MSG_NOSIGNAL) never raises SIGPIPE
	 * in the caller when the command does not read it all */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(po, O_CLOEXEC) < 0) {
		dki_diagf(diag, "cannot run '%.60s': %s", name,
			  strerror(errno));
		r = DK_EIO;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		dki_diagf(diag, "cannot run '%.60s': %s", name,
			  strerror(errno));
		r = DK_EIO;
		goto out;
	}
	if (pid == 0) {
		child(p->argv, sv[1], po[1]);
	}
	/* its own process group (also set by the child: no race) */
	setpgid(pid, pid);
	close(sv[1]);
	close(po[1]);
	sv[1] = po[1] = -1;
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	fcntl(po[0], F_SETFL, fcntl(po[0], F_GETFL) | O_NONBLOCK);
	deadline = now_s() + (timeout > 0 ? timeout : 10) * 6;
	for (;;) {
		struct pollfd fds[2];
		nfds_t nf = 0;
		int wait_ms, w;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			done = 1;
		}
		if (po[0] >= 0) {
			fds[nf].fd = po[0];
			fds[nf++].events = POLLIN;
		}
		if (sv[0] >= 0) {
			fds[nf].fd = sv[0];
			fds[nf++].events = POLLOUT;
		}
		if (done && (po[0] < 0 || nf == 0)) {
			break;
		}
		if (now_s() >= deadline) {
			st = stop_child(pid);
			dki_diagf(diag,
				  "the command '%.60s' did not finish within "
				  "%.0f s; killed",
				  name, (timeout > 0 ? timeout : 10) * 6);
			r = DK_ETIMEDOUT;
			goto out;
		}
		wait_ms = done ? 0 : 50;
		w = poll(fds, nf, wait_ms);
		if (w < 0 && errno != EINTR) {
			break;
		}
		for (nfds_t i = 0; w > 0 && i < nf; i++) {
			if (fds[i].fd == sv[0] && fds[i].revents) {
				ssize_t n = send(sv[0], doc + off, dlen - off,
						 MSG_NOSIGNAL);

				if (n > 0) {
					off += (size_t)n;
				}
				if ((n < 0 && errno != EAGAIN &&
				     errno != EINTR) ||
				    off == dlen) {
					close(sv[0]);
					sv[0] = -1;
				}
			} else if (fds[i].fd == po[0] && fds[i].revents) {
				char buf[1024];
				ssize_t n = read(po[0], buf, sizeof(buf));

				if (n > 0) {
					keep_tail(tail, sizeof(tail), &tlen,
						  buf, (size_t)n);
				} else if (n == 0 || (errno != EAGAIN &&
						      errno != EINTR)) {
					close(po[0]);
					po[0] = -1;
				}
			}
		}
		if (done && w == 0) {
			/* exited, and nothing more to read now: a process
			 * it left behind may hold the pipe open */
			break;
		}
	}
	last_line(tail, tlen, line, sizeof(line));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		r = 0;
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 75) {
		dki_diagf(diag,
			  "the command '%.60s' exited 75 (try again later)%s%s",
			  name, line[0] ? ": " : "", line);
		r = DK_ECONFLICT;
	} else if (WIFEXITED(st)) {
		dki_diagf(diag, "the command '%.60s' exited %d%s%s", name,
			  WEXITSTATUS(st), line[0] ? ": " : "", line);
		r = DK_EREFUSED;
	} else {
		dki_diagf(diag,
			  "the command '%.60s' was killed by signal %d%s%s",
			  name, WIFSIGNALED(st) ? WTERMSIG(st) : 0,
			  line[0] ? ": " : "", line);
		r = DK_EREFUSED;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0) {
			close(sv[i]);
		}
		if (po[i] >= 0) {
			close(po[i]);
		}
	}
	free(doc);
	return r;
}
