/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing TLSA records by DNS UPDATE (RFC 2136) signed with TSIG
 * (RFC 8945), through ldns. The RRset is read from the primary first and
 * the update carries it as a prerequisite (RFC 2136 section 2.4.2, "RRset
 * exists (value dependent)", or 2.4.3 "RRset does not exist" when empty),
 * so a change made meanwhile by someone else is never overwritten: the
 * server answers NXRRSET and nothing changes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dane/renew/internal.h"

/* ---- TSIG key file ---------------------------------------------------- */

void dk_tsig_key_free(struct dk_tsig_key *key)
{
	if (!key) {
		return;
	}
	if (key->secret) {
		OPENSSL_cleanse(key->secret, strlen(key->secret));
	}
	free(key->name);
	free(key->algorithm);
	free(key->secret);
	free(key);
}

static const char *const tsig_algs[] = {
	"hmac-md5",    "hmac-sha1",   "hmac-sha224",
	"hmac-sha256", "hmac-sha384", "hmac-sha512",
};

int dk_tsig_key_read(const char *path, struct dk_tsig_key **ret_key,
		     struct dk_diag *diag)
{
	FILE *f;
	char *text = NULL, tok[1024], name[512] = "", alg[64] = "",
	     sec[1024] = "";
	size_t len = 0, cap = 0;
	const char *p;
	struct dk_tsig_key *k;
	int t, ok = 0;

	if (!path || !ret_key) {
		return DK_EINVAL;
	}
	f = fopen(path, "re");
	if (!f) {
		int e = errno;

		dki_diagf(diag, "%s", strerror(e));
		return e == ENOENT   ? DK_ENOENT
		       : e == EACCES ? DK_EACCES
				     : DK_EIO;
	}
	for (;;) {
		char chunk[4096];
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n == 0) {
			break;
		}
		if (len + n + 1 > cap) {
			char *b;

			cap = (len + n + 1) * 2;
			if (cap > 1024 * 1024 || !(b = realloc(text, cap))) {
				free(text);
				fclose(f);
				dki_diagf(diag, "the key file is too large");
				return DK_EDATA;
			}
			text = b;
		}
		memcpy(text + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!text) {
		dki_diagf(diag, "the key file is empty");
		return DK_EDATA;
	}
	text[len] = '\0';
	p = text;
	/* key "name" { algorithm ALG; secret "SECRET"; }; */
	while (dki_bind_token(&p, tok, sizeof(tok)) > 0) {
		if (strcmp(tok, "key") != 0) {
			continue;
		}
		if (dki_bind_token(&p, name, sizeof(name)) <= 0 ||
		    dki_bind_token(&p, tok, sizeof(tok)) <= 0 ||
		    strcmp(tok, "{") != 0) {
			break;
		}
		while ((t = dki_bind_token(&p, tok, sizeof(tok))) > 0 &&
		       strcmp(tok, "}") != 0) {
			if (strcmp(tok, "algorithm") == 0) {
				t = dki_bind_token(&p, alg, sizeof(alg));
			} else if (strcmp(tok, "secret") == 0) {
				t = dki_bind_token(&p, sec, sizeof(sec));
			}
			if (t <= 0) {
				break;
			}
		}
		ok = t > 0;
		break;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	if (!ok || !name[0] || !alg[0] || !sec[0]) {
		OPENSSL_cleanse(sec, sizeof(sec));
		dki_diagf(diag, "no complete 'key \"NAME\" { algorithm ALG; "
				"secret \"BASE64\"; };' in the key file");
		return DK_EDATA;
	}
	{
		size_t al = strlen(alg);
		int known = 0;

		if (al && alg[al - 1] == '.') {
			alg[--al] = '\0';
		}
		for (size_t i = 0; i < sizeof(tsig_algs) / sizeof(tsig_algs[0]);
		     i++) {
			known |= strcasecmp(alg, tsig_algs[i]) == 0;
		}
		if (!known) {
			OPENSSL_cleanse(sec, sizeof(sec));
			dki_diagf(diag,
				  "TSIG algorithm '%s' is not one of hmac-md5, "
				  "hmac-sha1, hmac-sha224, hmac-sha256, "
				  "hmac-sha384, hmac-sha512",
				  alg);
			return DK_EDATA;
		}
		for (char *c = alg; *c; c++) {
			*c = (char)tolower((unsigned char)*c);
		}
	}
	{
		/* the secret must be base64 */
		uint8_t raw[1024];
		size_t sl = strlen(sec);

		if (sl == 0 || sl % 4 != 0 || sl > 1024 ||
		    strspn(sec, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
				"uvwxyz"
				"0123456789+/=") != sl ||
		    EVP_DecodeBlock(raw, (const unsigned char *)sec, (int)sl) <=
			    0) {
			OPENSSL_cleanse(sec, sizeof(sec));
			dki_diagf(diag, "the secret of key '%s' is not base64",
				  name);
			return DK_EDATA;
		}
		OPENSSL_cleanse(raw, sizeof(raw));
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		OPENSSL_cleanse(sec, sizeof(sec));
		return DK_ENOMEM;
	}
	k->name = dkr_absolute(name);
	if (asprintf(&k->algorithm, "%s.", alg) < 0) {
		k->algorithm = NULL;
	}
	k->secret = strdup(sec);
	OPENSSL_cleanse(sec, sizeof(sec));
	if (!k->name || !k->algorithm || !k->secret) {
		dk_tsig_key_free(k);
		return DK_ENOMEM;
	}
	*ret_key = k;
	return 0;
}

/* ---- plan -------------------------------------------------------------- */

void dk_publish_plan_free(struct dk_publish_plan *plan)
{
	struct dkr_plan *p = DKR_PLAN(plan);

	if (!plan) {
		return;
	}
	if (p->api_key) {
		OPENSSL_cleanse(p->api_key, strlen(p->api_key));
		free(p->api_key);
	}
	for (size_t i = 0; p->argv && p->argv[i]; i++) {
		free(p->argv[i]);
	}
	free(p->argv);
	free(plan->owner);
	free(plan->zone);
	free(plan->server);
	dkr_tlsa_array_free(plan->before, plan->nbefore);
	dkr_tlsa_array_free(plan->add, plan->nadd);
	dkr_tlsa_array_free(plan->remove, plan->nremove);
	free(plan->script);
	free(plan);
}

static int in_list(struct dk_tlsa *const *arr, size_t n,
		   const struct dk_tlsa *t)
{
	for (size_t i = 0; i < n; i++) {
		if (dk_tlsa_cmp(arr[i], t) == 0) {
			return 1;
		}
	}
	return 0;
}

static int push_dup(struct dk_tlsa ***arr, size_t *n, const struct dk_tlsa *t)
{
	struct dk_tlsa *d = dk_tlsa_dup(t);

	if (!d || dkr_push((void ***)arr, n, d) < 0) {
		dk_tlsa_free(d);
		return DK_ENOMEM;
	}
	return 0;
}

/* "ADDR" or "ADDR@PORT" into @plan. */
static int parse_server(struct dk_publish_plan *plan, const char *s,
			struct dk_diag *diag)
{
	const char *at = strchr(s, '@');
	char addr[128];
	size_t n = at ? (size_t)(at - s) : strlen(s);
	unsigned long port = 53;
	uint8_t buf[16];

	if (n == 0 || n >= sizeof(addr)) {
		dki_diagf(diag, "'%s' is not ADDR[@PORT]", s);
		return DK_EINVAL;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (at) {
		char *end = NULL;

		errno = 0;
		port = strtoul(at + 1, &end, 10);
		if (errno || !end || *end || port == 0 || port > 65535) {
			dki_diagf(diag, "'%s': the port is not 1-65535", s);
			return DK_EINVAL;
		}
	}
	if (inet_pton(AF_INET, addr, buf) != 1 &&
	    inet_pton(AF_INET6, addr, buf) != 1) {
		dki_diagf(diag, "'%s' is not a numeric IPv4 or IPv6 address",
			  addr);
		return DK_EINVAL;
	}
	plan->server = strdup(addr);
	plan->port = (unsigned)port;
	return plan->server ? 0 : DK_ENOMEM;
}

/* The primary from the SOA MNAME of the zone, port 53. */
static int find_primary(struct dk_resolver *res, struct dk_publish_plan *plan,
			struct dk_diag *diag)
{
	static const uint16_t types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	struct dk_answer *a = NULL;
	char *mname;
	int r;

	r = dk_lookup(res, plan->zone, LDNS_RR_TYPE_SOA, &a, diag);
	if (r < 0) {
		return r;
	}
	if (ldns_rr_list_rr_count(dki_answer_get0_rrset(a)) == 0) {
		dk_answer_free(a);
		dki_diagf(diag, "%s has no SOA record", plan->zone);
		return DK_ERESOLVER;
	}
	mname = ldns_rdf2str(
		ldns_rr_rdf(ldns_rr_list_rr(dki_answer_get0_rrset(a), 0), 0));
	dk_answer_free(a);
	if (!mname) {
		return DK_ENOMEM;
	}
	for (size_t t = 0; t < 2 && !plan->server; t++) {
		const ldns_rr_list *l;

		a = NULL;
		if (dk_lookup(res, mname, types[t], &a, NULL) < 0) {
			continue;
		}
		l = dki_answer_get0_rrset(a);
		if (ldns_rr_list_rr_count(l) > 0) {
			plan->server = ldns_rdf2str(
				ldns_rr_rdf(ldns_rr_list_rr(l, 0), 0));
		}
		dk_answer_free(a);
	}
	if (!plan->server) {
		dki_diagf(diag,
			  "the primary %s (SOA MNAME of %s) has no address; "
			  "give --server",
			  mname, plan->zone);
		free(mname);
		return DK_ERESOLVER;
	}
	free(mname);
	plan->port = 53;
	return 0;
}

static int make_script(struct dk_publish_plan *plan)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (plan->via == DK_PUBLISH_VIA_PDNS_API) {
		plan->script = dkr_pdns_script(DKR_PLAN(plan));
		return plan->script ? 0 : DK_ENOMEM;
	}
	if (plan->via == DK_PUBLISH_VIA_EXEC) {
		plan->script = dkr_plan_json(plan);
		return plan->script ? 0 : DK_ENOMEM;
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		return DK_ENOMEM;
	}
	fprintf(out, "; nsupdate -k KEYFILE <<'EOF'   (the TSIG secret is not "
		     "printed)\n");
	if (strchr(plan->server, ':')) {
		fprintf(out, "server %s %u\n", plan->server, plan->port);
	} else {
		fprintf(out, "server %s %u\n", plan->server, plan->port);
	}
	fprintf(out, "zone %s\n", plan->zone);
	if (plan->nbefore == 0) {
		fprintf(out, "prereq nxrrset %s IN TLSA\n", plan->owner);
	}
	for (size_t i = 0; i < plan->nbefore; i++) {
		char *rd = dkr_rdata(plan->before[i]);

		fprintf(out, "prereq yxrrset %s IN TLSA %s\n", plan->owner,
			rd ? rd : "?");
		free(rd);
	}
	for (size_t i = 0; i < plan->nremove; i++) {
		char *rd = dkr_rdata(plan->remove[i]);

		fprintf(out, "update delete %s IN TLSA %s\n", plan->owner,
			rd ? rd : "?");
		free(rd);
	}
	for (size_t i = 0; i < plan->nadd; i++) {
		char *rd = dkr_rdata(plan->add[i]);

		fprintf(out, "update add %s %u IN TLSA %s\n", plan->owner,
			plan->ttl, rd ? rd : "?");
		free(rd);
	}
	fprintf(out, "send\n");
	if (fclose(out) != 0) {
		free(buf);
		return DK_ENOMEM;
	}
	plan->script = buf;
	return 0;
}

int dk_publish_plan(struct dk_resolver *resolver, const char *owner,
		    struct dk_tlsa *const *add, size_t nadd,
		    struct dk_tlsa *const *remove, size_t nremove,
		    const struct dk_publish_opts *opts,
		    struct dk_publish_plan **ret_plan, struct dk_diag *diag)
{
	struct dk_publish_plan *plan;
	struct dkr_plan *p;
	ldns_pkt *pkt = NULL;
	double timeout;
	int r, api;

	if (!owner || !opts || !ret_plan || (nadd && !add) ||
	    (nremove && !remove)) {
		return DK_EINVAL;
	}
	api = opts->via == DK_PUBLISH_VIA_PDNS_API;
	if (!resolver && (!opts->zone || (!api && !opts->server))) {
		return DK_EINVAL;
	}
	switch (opts->via) {
	case DK_PUBLISH_VIA_UPDATE:
		break;
	case DK_PUBLISH_VIA_PDNS_API:
		if (!opts->api_url || !opts->api_key || !opts->api_key[0]) {
			dki_diagf(diag,
				  "the PowerDNS API needs a URL and a key");
			return DK_EINVAL;
		}
		/* it goes into an HTTP header: printable, no blank */
		for (const char *c = opts->api_key; *c; c++) {
			if (*c < 0x21 || *c > 0x7e) {
				dki_diagf(diag, "the API key has a character "
						"that is not printable ASCII");
				return DK_EINVAL;
			}
		}
		break;
	case DK_PUBLISH_VIA_EXEC:
		if (!opts->exec_argv || !opts->exec_argv[0] ||
		    !opts->exec_argv[0][0]) {
			dki_diagf(diag, "no command to run");
			return DK_EINVAL;
		}
		break;
	default:
		return DK_EINVAL;
	}
	if (dk_tlsa_check_host(owner, diag) < 0) {
		return DK_EINVAL;
	}
	/* records that can never be right are refused before any query */
	for (size_t i = 0; i < nadd; i++) {
		struct dk_diag d = { "" };
		char *rd;

		if (!add[i]) {
			return DK_EINVAL;
		}
		if (dk_tlsa_check_record(add[i], &d) < 0) {
			rd = dkr_rdata(add[i]);
			dki_diagf(diag, "the record to add %s: %s",
				  rd ? rd : "?", d.why);
			free(rd);
			return DK_EDATA;
		}
		for (size_t k = 0; k < nremove; k++) {
			if (remove[k] && dk_tlsa_cmp(add[i], remove[k]) == 0) {
				rd = dkr_rdata(add[i]);
				dki_diagf(diag,
					  "the same record is added and "
					  "removed: %s",
					  rd ? rd : "?");
				free(rd);
				return DK_EINVAL;
			}
		}
	}
	timeout = opts->timeout > 0 ? opts->timeout : 10;
	p = calloc(1, sizeof(*p));
	if (!p) {
		return DK_ENOMEM;
	}
	plan = &p->pub;
	plan->via = opts->via;
	p->timeout = timeout;
	if (api) {
		p->api_key = strdup(opts->api_key);
		if (!p->api_key) {
			r = DK_ENOMEM;
			goto fail;
		}
	} else if (opts->via == DK_PUBLISH_VIA_EXEC) {
		size_t n = 0;

		while (opts->exec_argv[n]) {
			n++;
		}
		p->argv = calloc(n + 1, sizeof(*p->argv));
		for (size_t i = 0; p->argv && i < n; i++) {
			p->argv[i] = strdup(opts->exec_argv[i]);
			if (!p->argv[i]) {
				r = DK_ENOMEM;
				goto fail;
			}
		}
		if (!p->argv) {
			r = DK_ENOMEM;
			goto fail;
		}
	}
	plan->owner = dkr_absolute(owner);
	if (!plan->owner) {
		r = DK_ENOMEM;
		goto fail;
	}
	if (opts->zone) {
		if (dk_tlsa_check_host(opts->zone, diag) < 0) {
			r = DK_EINVAL;
			goto fail;
		}
		plan->zone = dkr_absolute(opts->zone);
		r = plan->zone ? 0 : DK_ENOMEM;
	} else {
		r = dkr_find_zone(resolver, plan->owner, &plan->zone, diag);
	}
	if (r < 0) {
		goto fail;
	}
	{
		/* the owner must be in the zone */
		ldns_rdf *o = ldns_dname_new_frm_str(plan->owner);
		ldns_rdf *z = ldns_dname_new_frm_str(plan->zone);
		int sub = o && z && ldns_dname_is_subdomain(o, z);

		ldns_rdf_deep_free(o);
		ldns_rdf_deep_free(z);
		if (!sub) {
			dki_diagf(diag, "%s is not in the zone %s", plan->owner,
				  plan->zone);
			r = DK_EINVAL;
			goto fail;
		}
	}
	if (api) {
		r = dkr_pdns_url(p, opts->api_url, diag);
		if (r == 0) {
			r = dkr_pdns_read(p, diag);
		}
		if (r < 0) {
			goto fail;
		}
		goto compare;
	}
	r = opts->server ? parse_server(plan, opts->server, diag)
			 : find_primary(resolver, plan, diag);
	if (r < 0) {
		goto fail;
	}
	r = dkr_query(plan->server, plan->port, plan->owner, LDNS_RR_TYPE_TLSA,
		      timeout, &pkt, diag);
	if (r < 0) {
		dki_diagf(diag, "the primary %s port %u is unreachable: %s",
			  plan->server, plan->port,
			  r == DK_ETIMEDOUT
				  ? "no answer (time-out)"
				  : "connection refused or network error");
		goto fail;
	}
	if ((ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR &&
	     ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NXDOMAIN) ||
	    !ldns_pkt_aa(pkt)) {
		ldns_lookup_table *lt =
			ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(pkt));

		dki_diagf(diag,
			  "%s port %u is not authoritative for %s (rcode %s%s)",
			  plan->server, plan->port, plan->zone,
			  lt ? lt->name : "?",
			  ldns_pkt_aa(pkt) ? "" : ", no AA flag");
		ldns_pkt_free(pkt);
		r = DK_EPROTO;
		goto fail;
	}
	r = dkr_tlsa_from_pkt(pkt, plan->owner, &plan->before, &plan->nbefore,
			      &plan->before_ttl);
	ldns_pkt_free(pkt);
	if (r < 0) {
		goto fail;
	}
compare:
	for (size_t i = 0; i < nadd; i++) {
		if (!add[i]) {
			r = DK_EINVAL;
			goto fail;
		}
		if (!in_list(plan->before, plan->nbefore, add[i]) &&
		    !in_list(plan->add, plan->nadd, add[i]) &&
		    !in_list(remove, nremove, add[i]) &&
		    (r = push_dup(&plan->add, &plan->nadd, add[i])) < 0) {
			goto fail;
		}
	}
	for (size_t i = 0; i < nremove; i++) {
		if (!remove[i]) {
			r = DK_EINVAL;
			goto fail;
		}
		if (in_list(plan->before, plan->nbefore, remove[i]) &&
		    !in_list(plan->remove, plan->nremove, remove[i]) &&
		    (r = push_dup(&plan->remove, &plan->nremove, remove[i])) <
			    0) {
			goto fail;
		}
	}
	plan->ttl = opts->ttl	       ? opts->ttl
		    : plan->before_ttl ? plan->before_ttl
				       : 3600;
	r = make_script(plan);
	if (r < 0) {
		goto fail;
	}
	*ret_plan = plan;
	return 0;
fail:
	dk_publish_plan_free(plan);
	return r;
}

/* ---- send -------------------------------------------------------------- */

/* An RR of the update: @cls IN/NONE, @ttl, with rdata of @t (or none). */
static ldns_rr *update_rr(const char *owner, const struct dk_tlsa *t,
			  ldns_rr_class cls, uint32_t ttl)
{
	ldns_rr *rr = NULL;

	if (t) {
		char *line = NULL;

		if (dk_tlsa_format(t, DK_TLSA_FMT_ZONE, owner, 0, &line) < 0) {
			return NULL;
		}
		if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) !=
		    LDNS_STATUS_OK) {
			rr = NULL;
		}
		free(line);
	} else {
		ldns_rdf *o = ldns_dname_new_frm_str(owner);

		rr = ldns_rr_new();
		if (!rr || !o) {
			ldns_rr_free(rr);
			ldns_rdf_deep_free(o);
			return NULL;
		}
		ldns_rr_set_owner(rr, o);
		ldns_rr_set_type(rr, LDNS_RR_TYPE_TLSA);
	}
	if (rr) {
		ldns_rr_set_class(rr, cls);
		ldns_rr_set_ttl(rr, ttl);
	}
	return rr;
}

static int push_rr(ldns_rr_list *l, ldns_rr *rr)
{
	if (!rr || !ldns_rr_list_push_rr(l, rr)) {
		ldns_rr_free(rr);
		return DK_ENOMEM;
	}
	return 0;
}

int dk_publish_send(const struct dk_publish_plan *plan,
		    const struct dk_tsig_key *key, double timeout,
		    struct dk_diag *diag)
{
	ldns_rr_list *pr = NULL, *up = NULL;
	ldns_resolver *res = NULL;
	ldns_rdf *ns = NULL, *zone = NULL;
	ldns_pkt *pkt = NULL, *ans = NULL;
	ldns_status st;
	struct timeval tv;
	int r = 0;

	if (!plan || !plan->server || !plan->zone || !plan->owner) {
		return DK_EINVAL;
	}
	if (plan->nadd == 0 && plan->nremove == 0) {
		return 0;
	}
	if (plan->via == DK_PUBLISH_VIA_PDNS_API) {
		return dkr_pdns_send(DKR_PLAN(plan), timeout, diag);
	}
	if (plan->via == DK_PUBLISH_VIA_EXEC) {
		return dkr_exec_send(DKR_PLAN(plan), timeout, diag);
	}
	pr = ldns_rr_list_new();
	up = ldns_rr_list_new();
	if (!pr || !up) {
		r = DK_ENOMEM;
		goto out;
	}
	/* RFC 2136 2.4.2 (class IN, TTL 0, rdata) or 2.4.3 (class NONE) */
	if (plan->nbefore == 0) {
		r = push_rr(pr, update_rr(plan->owner, NULL, LDNS_RR_CLASS_NONE,
					  0));
	}
	for (size_t i = 0; r == 0 && i < plan->nbefore; i++) {
		r = push_rr(pr, update_rr(plan->owner, plan->before[i],
					  LDNS_RR_CLASS_IN, 0));
	}
	/* RFC 2136 2.5.4 delete an RR (class NONE, TTL 0), 2.5.1 add */
	for (size_t i = 0; r == 0 && i < plan->nremove; i++) {
		r = push_rr(up, update_rr(plan->owner, plan->remove[i],
					  LDNS_RR_CLASS_NONE, 0));
	}
	for (size_t i = 0; r == 0 && i < plan->nadd; i++) {
		r = push_rr(up, update_rr(plan->owner, plan->add[i],
					  LDNS_RR_CLASS_IN, plan->ttl));
	}
	if (r < 0) {
		goto out;
	}
	zone = ldns_dname_new_frm_str(plan->zone);
	if (!zone) {
		r = DK_ENOMEM;
		goto out;
	}
	pkt = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, pr, up, NULL);
	if (!pkt) {
		ldns_rdf_deep_free(zone);
		r = DK_ENOMEM;
		goto out;
	}
	ldns_pkt_set_rd(pkt, false);
	ldns_pkt_set_random_id(pkt);
	ns = ldns_rdf_new_frm_str(strchr(plan->server, ':') ? LDNS_RDF_TYPE_AAAA
							    : LDNS_RDF_TYPE_A,
				  plan->server);
	res = ldns_resolver_new();
	if (!ns || !res) {
		r = DK_ENOMEM;
		goto out;
	}
	if (timeout <= 0) {
		timeout = 10;
	}
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	ldns_resolver_push_nameserver(res, ns);
	ldns_resolver_set_port(res, (uint16_t)plan->port);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_fallback(res, true);
	if (key) {
		ldns_resolver_set_tsig_keyname(res, key->name);
		ldns_resolver_set_tsig_algorithm(res, key->algorithm);
		ldns_resolver_set_tsig_keydata(res, key->secret);
		st = ldns_update_pkt_tsig_add(pkt, res);
		if (st != LDNS_STATUS_OK) {
			dki_diagf(diag,
				  "cannot sign the update with key %s: %s",
				  key->name, ldns_get_errorstr_by_id(st));
			r = DK_EINVAL;
			goto out;
		}
	}
	st = ldns_resolver_send_pkt(&ans, res, pkt);
	if (!ans && (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS ||
		     st == LDNS_STATUS_CRYPTO_TSIG_ERR)) {
		/* The server answered, unsigned or badly signed: it did not
		 * accept our key (BADKEY/BADSIG); nothing was changed. */
		dki_diagf(diag,
			  "%s port %u refused the update: the reply is not "
			  "signed with key %s (the server rejected the key: "
			  "wrong name, algorithm or secret)",
			  plan->server, plan->port, key ? key->name : "?");
		r = DK_EREFUSED;
		goto out;
	}
	if (!ans) {
		dki_diagf(diag, "the primary %s port %u is unreachable: %s",
			  plan->server, plan->port,
			  ldns_get_errorstr_by_id(st));
		r = st == LDNS_STATUS_MEM_ERR ? DK_ENOMEM : DK_ECONNREFUSED;
		goto out;
	}
	switch (ldns_pkt_get_rcode(ans)) {
	case LDNS_RCODE_NOERROR:
		if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS ||
		    st == LDNS_STATUS_CRYPTO_TSIG_ERR) {
			dki_diagf(diag,
				  "the reply of %s port %u is not signed "
				  "with key %s: the update may or may not "
				  "have been made",
				  plan->server, plan->port,
				  key ? key->name : "?");
			r = DK_EPROTO;
		}
		break;
	case LDNS_RCODE_NXRRSET:
	case LDNS_RCODE_YXRRSET:
	case LDNS_RCODE_NXDOMAIN:
	case LDNS_RCODE_YXDOMAIN:
		dki_diagf(
			diag,
			"the TLSA RRset at %s changed since it was read "
			"(prerequisite failed: %s); nothing was changed, "
			"run again",
			plan->owner,
			ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(ans))
				? ldns_lookup_by_id(ldns_rcodes,
						    ldns_pkt_get_rcode(ans))
					  ->name
				: "?");
		r = DK_ECONFLICT;
		break;
	case LDNS_RCODE_NOTAUTH:
		dki_diagf(diag, "%s port %u refused the update: NOTAUTH (%s)",
			  plan->server, plan->port,
			  key ? "bad TSIG key or signature, or not the primary"
			      : "not authoritative, or a TSIG key is needed");
		r = DK_EREFUSED;
		break;
	default: {
		ldns_lookup_table *lt =
			ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(ans));

		dki_diagf(diag, "%s port %u refused the update: %s%s",
			  plan->server, plan->port, lt ? lt->name : "error",
			  key ? "" : " (a TSIG key may be needed: --tsig-key)");
		r = DK_EREFUSED;
	}
	}
out:
	ldns_pkt_free(ans);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(ns);
	if (res) {
		ldns_resolver_deep_free(res);
	}
	ldns_rr_list_deep_free(pr);
	ldns_rr_list_deep_free(up);
	return r;
}
