/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The doctor: is this resolver set-up fit for DANE? It reports the trust
 * anchors and their sources, the self-test, the clock against the RRSIG
 * windows, the DNSSEC algorithms this libunbound validates (tested
 * offline on embedded zones), SHA-1-only links, NSEC3 iterations and
 * whether answers come over UDP and TCP.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <unbound.h>

#include "dnssec/doctor_algs.h"
#include "dnssec/internal.h"

#define NALGS (sizeof(dki_alg_zones) / sizeof(dki_alg_zones[0]))
#define STATE_FILE_OLD_DAYS 30 /* RFC 5011 add hold-down time */
#define MAX_CHECKS 10

/* The offline algorithm test */

static pthread_mutex_t alg_lock = PTHREAD_MUTEX_INITIALIZER;
static int alg_tested;	      /* 1 once the test has run */
static int alg_result[NALGS]; /* 1, 0, or a DK_E* code */
static char alg_why[NALGS][200];

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f) {
		return DK_EIO;
	}
	ok = fputs(text, f) >= 0;
	ok = (fclose(f) == 0) && ok;
	return ok ? 0 : DK_EIO;
}

struct alg_query {
	int done;
	int result;
	char why[200];
};

static void alg_cb(void *arg, int err, struct ub_result *res)
{
	struct alg_query *q = arg;

	q->done = 1;
	if (err != 0 || !res) {
		q->result = DK_ERESOLVER;
		snprintf(q->why, sizeof(q->why), "libunbound: %s",
			 ub_strerror(err));
	} else if (res->secure) {
		q->result = 1;
	} else if (res->bogus) {
		q->result = DK_ERESOLVER;
		snprintf(q->why, sizeof(q->why), "bogus: %s",
			 res->why_bogus ? res->why_bogus : "no reason");
	} else {
		q->result = 0;
	}
	ub_resolve_free(res);
}

/*
 * Validate each embedded zone's DNSKEY RRset in a throwaway context that
 * serves the zones itself (auth-zone, no network) at a pinned time.
 */
static int run_alg_test(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct alg_query q[NALGS];
	struct ub_ctx *ctx = NULL;
	FILE *devnull = NULL, *conf = NULL;
	int r = 0, ids[NALGS];
	double deadline;

	memset(q, 0, sizeof(q));
	snprintf(dir, sizeof(dir), "%s/danekit-algs.XXXXXX",
		 tmp && *tmp == '/' ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/danekit-algs.XXXXXX");
		if (!mkdtemp(dir)) {
			return DK_EIO;
		}
	}
	snprintf(path, sizeof(path), "%s/unbound.conf", dir);
	conf = fopen(path, "we");
	if (!conf) {
		r = DK_EIO;
		goto out;
	}
	fprintf(conf, "server:\n"
		      "  verbosity: 0\n"
		      "  chroot: \"\"\n"
		      "  username: \"\"\n"
		      "  module-config: \"validator iterator\"\n"
		      "  val-override-date: \"" DKI_ALG_DATE "\"\n"
		      "  trust-anchor-signaling: no\n"
		      "  root-key-sentinel: no\n"
		      "  do-ip6: no\n");
	for (size_t i = 0; i < NALGS; i++) {
		fprintf(conf, "  trust-anchor: \"%s\"\n",
			dki_alg_zones[i].anchor);
	}
	for (size_t i = 0; i < NALGS && r == 0; i++) {
		char zf[PATH_MAX + 32];

		snprintf(zf, sizeof(zf), "%s/alg%u.zone", dir,
			 (unsigned)dki_alg_zones[i].algorithm);
		r = write_file(zf, dki_alg_zones[i].text);
		fprintf(conf,
			"auth-zone:\n  name: \"%s\"\n  zonefile: \"%s\"\n"
			"  for-upstream: yes\n  for-downstream: no\n"
			"  fallback-enabled: no\n",
			dki_alg_zones[i].zone, zf);
	}
	if (fclose(conf) != 0 && r == 0) {
		r = DK_EIO;
	}
	conf = NULL;
	if (r < 0) {
		goto out;
	}
	ctx = ub_ctx_create();
	devnull = fopen("/dev/null", "we");
	if (!ctx || !devnull) {
		r = ctx ? DK_EIO : DK_ERESOLVER;
		goto out;
	}
	ub_ctx_debugout(ctx, devnull);
	ub_ctx_async(ctx, 1);
	if (ub_ctx_config(ctx, path) != 0) {
		r = DK_ERESOLVER;
		goto out;
	}
	for (size_t i = 0; i < NALGS; i++) {
		q[i].result = DK_ETIMEDOUT;
		if (ub_resolve_async(ctx, dki_alg_zones[i].zone,
				     LDNS_RR_TYPE_DNSKEY, LDNS_RR_CLASS_IN,
				     &q[i], alg_cb, &ids[i]) != 0) {
			q[i].done = 1;
			q[i].result = DK_ERESOLVER;
			snprintf(q[i].why, sizeof(q[i].why),
				 "libunbound cannot start the query");
		}
	}
	/* All answers are local; 5 s is a generous bound, never a hang. */
	deadline = dki_now() + 5.0;
	for (;;) {
		size_t left = 0;
		struct pollfd pfd;

		for (size_t i = 0; i < NALGS; i++) {
			left += !q[i].done;
		}
		if (left == 0 || dki_now() >= deadline) {
			break;
		}
		pfd.fd = ub_fd(ctx);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR) {
			break;
		}
		if (ub_poll(ctx) && ub_process(ctx) != 0) {
			break;
		}
	}
	for (size_t i = 0; i < NALGS; i++) {
		if (!q[i].done) {
			ub_cancel(ctx, ids[i]);
			snprintf(q[i].why, sizeof(q[i].why),
				 "no answer from the local zone within 5 s");
		}
		alg_result[i] = q[i].result;
		snprintf(alg_why[i], sizeof(alg_why[i]), "%s", q[i].why);
	}
out:
	if (conf) {
		fclose(conf);
	}
	ub_ctx_delete(ctx);
	if (devnull) {
		fclose(devnull);
	}
	for (size_t i = 0; i < NALGS; i++) {
		char zf[PATH_MAX + 32];

		snprintf(zf, sizeof(zf), "%s/alg%u.zone", dir,
			 (unsigned)dki_alg_zones[i].algorithm);
		unlink(zf);
	}
	unlink(path);
	rmdir(dir);
	return r;
}

int dk_dnssec_algorithm_validates(uint8_t algorithm, struct dk_diag *diag)
{
	size_t i;
	int r = 0;

	for (i = 0; i < NALGS; i++) {
		if (dki_alg_zones[i].algorithm == algorithm) {
			break;
		}
	}
	if (i == NALGS) {
		dki_diagf(diag,
			  "algorithm %u is not one danekit can test (5, 7, 8, "
			  "10, 13, 14, 15, 16)",
			  (unsigned)algorithm);
		return DK_ERANGE;
	}
	pthread_mutex_lock(&alg_lock);
	if (!alg_tested) {
		r = run_alg_test();
		if (r == 0) {
			alg_tested = 1;
		}
	}
	if (r == 0) {
		r = alg_result[i];
		if (r < 0) {
			dki_diagf(diag, "algorithm %u: %s", (unsigned)algorithm,
				  alg_why[i][0] ? alg_why[i] : dk_strerror(r));
		}
	} else {
		dki_diagf(diag,
			  "the algorithm test could not run: %s (is $TMPDIR "
			  "or /tmp writable?)",
			  dk_strerror(r));
	}
	pthread_mutex_unlock(&alg_lock);
	return r;
}

/* The report */

struct check {
	const char *id;
	enum dk_doctor_status status;
	char *why;
	char **details;
	size_t ndetails;
};

struct dk_doctor {
	struct check checks[MAX_CHECKS];
	size_t nchecks;
	time_t now;
	char *name;
	struct dki_setup setup;
	int selftest_run; /* the self-test got answers */
	uint8_t algs[NALGS];
	int alg_valid[NALGS];
	size_t nalgs;
	int clock_known;
	int64_t clock_skew;
	int udp, tcp;
	char *via;
	int nsec3_iter, nsec3_limit;
	int oom;
};

const char *dk_doctor_status_name(enum dk_doctor_status status)
{
	switch (status) {
	case DK_DOCTOR_UNKNOWN:
		return "unknown";
	case DK_DOCTOR_FAIL:
		return "fail";
	case DK_DOCTOR_WARNING:
		return "warning";
	case DK_DOCTOR_OK:
		return "ok";
	default:
		return "?";
	}
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0) {
		return NULL;
	}
	return s;
}

static struct check *add_check(struct dk_doctor *d, const char *id)
{
	struct check *c = &d->checks[d->nchecks++];

	c->id = id;
	c->status = DK_DOCTOR_UNKNOWN;
	return c;
}

static void set(struct dk_doctor *d, struct check *c, enum dk_doctor_status st,
		const char *fmt, ...) DK_PRINTF(4, 5);

/* Set @c's status and why. */
static void set(struct dk_doctor *d, struct check *c, enum dk_doctor_status st,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(c->why);
	c->why = vfmt(fmt, ap);
	va_end(ap);
	c->status = st;
	if (!c->why) {
		d->oom = 1;
	}
}

static void detail(struct dk_doctor *d, struct check *c, const char *fmt, ...)
	DK_PRINTF(3, 4);

/* Add a line of detail to @c. */
static void detail(struct dk_doctor *d, struct check *c, const char *fmt, ...)
{
	va_list ap;
	char **n, *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	n = s ? realloc(c->details, (c->ndetails + 1) * sizeof(*n)) : NULL;
	if (!n) {
		free(s);
		d->oom = 1;
		return;
	}
	c->details = n;
	n[c->ndetails++] = s;
}

/* A status no better than @st. */
static void lower(struct check *c, enum dk_doctor_status st)
{
	if (c->status == DK_DOCTOR_OK || c->status == DK_DOCTOR_UNKNOWN ||
	    (st != DK_DOCTOR_UNKNOWN && st < c->status)) {
		c->status = st;
	}
}

void dk_doctor_free(struct dk_doctor *d)
{
	if (!d) {
		return;
	}
	for (size_t i = 0; i < d->nchecks; i++) {
		free(d->checks[i].why);
		for (size_t j = 0; j < d->checks[i].ndetails; j++) {
			free(d->checks[i].details[j]);
		}
		free(d->checks[i].details);
	}
	dki_setup_clear(&d->setup);
	free(d->name);
	free(d->via);
	free(d);
}

static void utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm) == 0) {
		snprintf(buf, len, "@%lld", (long long)t);
	}
}

/* "3 days", "5 hours", "12 minutes", "40 seconds". */
static void span(int64_t s, char *buf, size_t len)
{
	if (s < 0) {
		s = -s;
	}
	if (s >= 2 * 86400) {
		snprintf(buf, len, "%" PRId64 " days", s / 86400);
	} else if (s >= 2 * 3600) {
		snprintf(buf, len, "%" PRId64 " hours", s / 3600);
	} else if (s >= 120) {
		snprintf(buf, len, "%" PRId64 " minutes", s / 60);
	} else {
		snprintf(buf, len, "%" PRId64 " seconds", s);
	}
}

static const char *alg_name(uint8_t alg)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_algorithms, alg);

	return lt ? lt->name : "?";
}

/* The "algorithms" check. */
static void check_algorithms(struct dk_doctor *d)
{
	struct check *c = add_check(d, "algorithms");
	char yes[128] = "", no[256] = "", err[256] = "";
	int bad_must = 0, bad = 0, untested = 0;

	for (size_t i = 0; i < NALGS; i++) {
		struct dk_diag dg = { "" };
		uint8_t a = dki_alg_zones[i].algorithm;
		int v = dk_dnssec_algorithm_validates(a, &dg);
		char *buf = v == 1 ? yes : v == 0 ? no : err;
		size_t cap = v == 1   ? sizeof(yes)
			     : v == 0 ? sizeof(no)
				      : sizeof(err);
		size_t n = strlen(buf);

		d->algs[d->nalgs] = a;
		d->alg_valid[d->nalgs++] = v;
		snprintf(buf + n, cap - n, "%s%u%s%s%s", n ? ", " : "",
			 (unsigned)a, v == 1 ? "" : " (",
			 v == 1 ? "" : alg_name(a), v == 1 ? "" : ")");
		detail(d, c, "%u %s: %s", (unsigned)a, alg_name(a),
		       v == 1	? "validates"
		       : v == 0 ? "does not validate: signed zones come out "
				  "insecure"
				: dg.why);
		if (v != 1) {
			/* RFC 8624 section 3.1: validators MUST do 8, 13. */
			if (a == 8 || a == 13) {
				bad_must = 1;
			}
			if (v == 0) {
				bad = 1;
			} else {
				untested = 1;
			}
		}
	}
	if (bad_must) {
		set(d, c, DK_DOCTOR_FAIL,
		    "this libunbound cannot validate %s, which RFC 8624 "
		    "section 3.1 requires of every validator",
		    no[0] ? no : err);
	} else if (bad) {
		set(d, c, DK_DOCTOR_WARNING,
		    "this libunbound validates %s, but not %s: zones signed "
		    "only with %s come out insecure (DANE off), not bogus",
		    yes, no, strchr(no, ',') ? "those" : "it");
	} else if (untested) {
		set(d, c, DK_DOCTOR_UNKNOWN, "validates %s; could not test %s",
		    yes[0] ? yes : "none", err);
	} else {
		set(d, c, DK_DOCTOR_OK, "this libunbound validates %s", yes);
	}
}

/* The "anchor" check: where each anchor comes from, and state files. */
static void check_anchor(struct dk_doctor *d, struct check *c,
			 const struct dk_resolver *r)
{
	struct dki_setup *s = &d->setup;
	const char *warn = dki_resolver_anchor_warning(r);
	char first[PATH_MAX + 128] = "";

	set(d, c, DK_DOCTOR_OK, "-");
	for (size_t i = 0; i < s->nanchors; i++) {
		struct dki_anchor *a = &s->anchors[i];
		char src[PATH_MAX + 96], when[40], age[40];

		if (a->origin == DKI_ANCHOR_AUTO) {
			/* libunbound may have probed it just now. */
			dki_anchor_refresh(a);
		}
		if (a->file && a->conf) {
			snprintf(src, sizeof(src), "%s (%s: in %s)", a->file,
				 dki_anchor_origin_name(a->origin), a->conf);
		} else if (a->file) {
			snprintf(src, sizeof(src), "%s (%s)", a->file,
				 dki_anchor_origin_name(a->origin));
		} else {
			snprintf(src, sizeof(src),
				 "trust-anchor: in %s, line %u",
				 a->conf ? a->conf : "?", a->line);
		}
		if (i == 0) {
			snprintf(first, sizeof(first), "%s from %s", a->zone,
				 src);
		}
		detail(d, c, "%s: %u DS, %u DNSKEY from %s%s", a->zone,
		       a->ds_count, a->key_count, src,
		       a->rfc5011 ? ", an RFC 5011 state file" : "");
		if (!a->rfc5011) {
			continue;
		}
		/* unbound-anchor / unbound's autotrust keep these current. */
		if (a->last_success) {
			int64_t old = (int64_t)(d->now - a->last_success);

			utc(a->last_success, when, sizeof(when));
			span(old, age, sizeof(age));
			if (old > (int64_t)STATE_FILE_OLD_DAYS * 86400) {
				lower(c, DK_DOCTOR_WARNING);
				detail(d, c,
				       "%s: last successful RFC 5011 probe %s, "
				       "%s ago: the file is stale; run "
				       "unbound-anchor",
				       a->file, when, age);
			} else if (old < -86400) {
				lower(c, DK_DOCTOR_WARNING);
				detail(d, c,
				       "%s: last successful RFC 5011 probe %s, "
				       "%s in the future: is the clock right?",
				       a->file, when, age);
			} else {
				detail(d, c,
				       "%s: last successful RFC 5011 probe %s "
				       "(%s ago)",
				       a->file, when, age);
			}
		} else if (a->mtime) {
			int64_t old = (int64_t)(d->now - a->mtime);

			utc(a->mtime, when, sizeof(when));
			span(old, age, sizeof(age));
			detail(d, c,
			       "%s: no ;;last_success: line; the file was "
			       "last changed %s (%s ago)",
			       a->file, when, age);
			if (old > (int64_t)STATE_FILE_OLD_DAYS * 86400) {
				lower(c, DK_DOCTOR_WARNING);
			}
		}
	}
	if (warn) {
		set(d, c, DK_DOCTOR_FAIL,
		    "libunbound ignores a trust anchor: %.*s",
		    (int)strcspn(warn, "\n"), warn);
		return;
	}
	if (c->status == DK_DOCTOR_WARNING) {
		set(d, c, DK_DOCTOR_WARNING,
		    "%s; an RFC 5011 state file is stale or dated ahead (see "
		    "details)",
		    first);
		return;
	}
	if (s->nanchors > 1) {
		set(d, c, DK_DOCTOR_OK, "%s, and %zu more", first,
		    s->nanchors - 1);
	} else {
		set(d, c, DK_DOCTOR_OK, "%s", first);
	}
}

/* Serial arithmetic of an RRSIG time (RFC 4034 section 3.1.5) near @now. */
static time_t sig_time(const ldns_rdf *f, time_t now)
{
	uint32_t t;

	if (!f || ldns_rdf_size(f) != 4) {
		return 0;
	}
	t = ldns_rdf2native_int32(f);
	return now + (time_t)(int32_t)(t - (uint32_t)now);
}

struct sigwin {
	time_t latest_inception, earliest_expiration;
	const char *inception_zone, *expiration_zone;
	size_t count;
	int sha1_only; /* every RRSIG seen over the set is 5/7 */
	int any;
	size_t min_bits; /* smallest DNSKEY size, for the NSEC3 limit */
};

/* RRSIGs over the DNSKEY RRset of @zone in @a's packet. */
static void scan_dnskey_answer(const struct dk_answer *a, const char *zone,
			       time_t now, struct sigwin *w)
{
	const ldns_pkt *p = dki_answer_get0_packet(a);
	const ldns_rr_list *keys = dki_answer_get0_rrset(a);
	ldns_rr_list *ans = p ? ldns_pkt_answer(p) : NULL;
	int sha1 = 1, any = 0;

	w->min_bits = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		size_t bits = ldns_rr_dnskey_key_size(ldns_rr_list_rr(keys, i));

		if (bits && (w->min_bits == 0 || bits < w->min_bits)) {
			w->min_bits = bits;
		}
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		time_t inc, exp;
		uint8_t alg;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    ldns_rr_rd_count(rr) < 9 ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) !=
			    LDNS_RR_TYPE_DNSKEY) {
			continue;
		}
		alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(rr));
		inc = sig_time(ldns_rr_rrsig_inception(rr), now);
		exp = sig_time(ldns_rr_rrsig_expiration(rr), now);
		if (w->count == 0 || inc > w->latest_inception) {
			w->latest_inception = inc;
			w->inception_zone = zone;
		}
		if (w->count == 0 || exp < w->earliest_expiration) {
			w->earliest_expiration = exp;
			w->expiration_zone = zone;
		}
		w->count++;
		any = 1;
		if (alg != LDNS_RSASHA1 && alg != LDNS_RSASHA1_NSEC3) {
			sha1 = 0;
		}
	}
	w->any = any;
	w->sha1_only = any && sha1;
}

/* The "clock" check, from the windows gathered in @w. */
static void check_clock(struct dk_doctor *d, const struct sigwin *w)
{
	struct check *c = add_check(d, "clock");
	char now[40], inc[40], exp[40], sp[40];

	utc(d->now, now, sizeof(now));
	if (w->count == 0) {
		set(d, c, DK_DOCTOR_UNKNOWN,
		    "no RRSIG over an anchor zone's DNSKEY RRset was seen: the "
		    "clock (%s) could not be checked",
		    now);
		return;
	}
	utc(w->latest_inception, inc, sizeof(inc));
	utc(w->earliest_expiration, exp, sizeof(exp));
	d->clock_known = 1;
	if (d->now < w->latest_inception) {
		d->clock_skew = (int64_t)(d->now - w->latest_inception);
		span(d->clock_skew, sp, sizeof(sp));
		set(d, c, DK_DOCTOR_FAIL,
		    "the clock (%s) is at least %s behind: the RRSIG over the "
		    "DNSKEY RRset of %s is valid only from %s",
		    now, sp, w->inception_zone, inc);
	} else if (d->now > w->earliest_expiration) {
		d->clock_skew = (int64_t)(d->now - w->earliest_expiration);
		span(d->clock_skew, sp, sizeof(sp));
		set(d, c, DK_DOCTOR_FAIL,
		    "the clock (%s) is at least %s ahead, or the zone's "
		    "signatures have expired: the RRSIG over the DNSKEY RRset "
		    "of %s expired on %s",
		    now, sp, w->expiration_zone, exp);
	} else {
		d->clock_skew = 0;
		set(d, c, DK_DOCTOR_OK,
		    "the clock (%s) is inside the validity of the %zu RRSIG%s "
		    "seen over the anchor zones' DNSKEY RRsets (from %s to %s)",
		    now, w->count, w->count == 1 ? "" : "s", inc, exp);
	}
}

/* val-nsec3-keysize-iterations ("1024 150 2048 150 4096 150"): the
 * limit for keys of @bits (0: the smallest limit). */
static int nsec3_limit(struct dk_resolver *r, size_t bits)
{
	char *v = NULL;
	int limit = -1, last = -1;

	if (ub_ctx_get_option(dk_resolver_get0_ub(r),
			      "val-nsec3-keysize-iterations", &v) != 0 ||
	    !v) {
		free(v);
		return -1;
	}
	for (char *p = v, *end;;) {
		long size = strtol(p, &end, 10), iter;

		if (end == p) {
			break;
		}
		p = end;
		iter = strtol(p, &end, 10);
		if (end == p) {
			break;
		}
		p = end;
		last = (int)iter;
		if (bits == 0) {
			if (limit < 0 || iter < limit) {
				limit = (int)iter;
			}
		} else if (limit < 0 && (long)bits <= size) {
			limit = (int)iter; /* unbound's get_max_iter() */
		}
	}
	free(v);
	return limit >= 0 ? limit : last;
}

struct nsec3_zone {
	char *zone;
	size_t bits;
	int iterations; /* -1: none seen */
	int err;
	int done;
};

static void nsec3param_cb(void *arg, int err, struct dk_answer *a)
{
	struct nsec3_zone *z = arg;
	const ldns_rr_list *l = dki_answer_get0_rrset(a);

	z->done = 1;
	z->err = err;
	for (size_t i = 0; err == 0 && i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_rd_count(rr) >= 3) {
			int it = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));

			if (it > z->iterations) {
				z->iterations = it;
			}
		}
	}
	dk_answer_free(a);
}

/* Iterations of the NSEC3 records of a proof, given as text. */
static int proof_iterations(const char *const *records, size_t n)
{
	int max = -1;

	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = NULL;

		if (ldns_rr_new_frm_str(&rr, records[i], 0, NULL, NULL) ==
			    LDNS_STATUS_OK &&
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3) {
			int it = ldns_nsec3_iterations(rr);

			if (it > max) {
				max = it;
			}
		}
		ldns_rr_free(rr);
	}
	return max;
}

static int add_zone(struct nsec3_zone **zs, size_t *n, const char *zone,
		    size_t bits)
{
	struct nsec3_zone *z;

	for (size_t i = 0; i < *n; i++) {
		if (strcasecmp((*zs)[i].zone, zone) == 0) {
			if (bits && (!(*zs)[i].bits || bits < (*zs)[i].bits)) {
				(*zs)[i].bits = bits;
			}
			return 0;
		}
	}
	if (*n >= 64) {
		return 0;
	}
	z = realloc(*zs, (*n + 1) * sizeof(*z));
	if (!z) {
		return DK_ENOMEM;
	}
	*zs = z;
	z = &z[*n];
	memset(z, 0, sizeof(*z));
	z->zone = strdup(zone);
	z->bits = bits;
	z->iterations = -1;
	if (!z->zone) {
		return DK_ENOMEM;
	}
	(*n)++;
	return 0;
}

/*
 * The "nsec3" check: NSEC3PARAM of each anchor zone and of each zone on
 * @ch's path, and the NSEC3 records of @ch's proofs.
 */
static void check_nsec3(struct dk_doctor *d, struct dk_resolver *r,
			const struct dk_chain *ch, const size_t *anchor_bits)
{
	struct check *c = add_check(d, "nsec3");
	struct nsec3_zone *zs = NULL;
	size_t n = 0, over = 0, some = 0, asked = 0, failed = 0;
	int worst = -1, worst_limit = -1;
	const char *worst_zone = NULL;

	for (size_t i = 0; i < d->setup.nzones; i++) {
		if (add_zone(&zs, &n, d->setup.zones[i], anchor_bits[i]) < 0) {
			d->oom = 1;
		}
	}
	for (size_t i = 0; ch && i < dk_chain_link_count(ch); i++) {
		const struct dk_chain_link *l = dk_chain_link(ch, i);
		size_t bits = 0;

		if (l->type != DK_CHAIN_ZONE) {
			continue;
		}
		for (size_t k = 0; k < l->key_count; k++) {
			if (l->keys[k].bits &&
			    (!bits || l->keys[k].bits < bits)) {
				bits = l->keys[k].bits;
			}
		}
		if (add_zone(&zs, &n, l->name, bits) < 0) {
			d->oom = 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (dk_lookup_async(r, zs[i].zone, LDNS_RR_TYPE_NSEC3PARAM,
				    nsec3param_cb, &zs[i]) < 0) {
			zs[i].done = 1;
			zs[i].err = DK_ERESOLVER;
		}
	}
	if (dk_resolver_wait(r) < 0) {
		for (size_t i = 0; i < n; i++) {
			if (!zs[i].done) {
				zs[i].err = DK_ERESOLVER;
			}
		}
	}
	/* Proofs on the name's path (insecure delegations, denials). */
	for (size_t i = 0; ch && i < dk_chain_link_count(ch); i++) {
		const struct dk_chain_link *l = dk_chain_link(ch, i);
		int it;

		if (l->proof != DK_CHAIN_PROOF_NSEC3 &&
		    l->proof != DK_CHAIN_PROOF_NSEC3_OPTOUT) {
			continue;
		}
		it = proof_iterations(l->proof_records, l->proof_record_count);
		for (size_t k = 0; it >= 0 && k < n; k++) {
			const char *zone = l->zone ? l->zone : l->name;

			if (zone && strcasecmp(zs[k].zone, zone) == 0 &&
			    it > zs[k].iterations) {
				zs[k].iterations = it;
			}
		}
	}
	d->nsec3_iter = -1;
	d->nsec3_limit = nsec3_limit(r, 0);
	for (size_t i = 0; i < n; i++) {
		struct nsec3_zone *z = &zs[i];
		int limit = nsec3_limit(r, z->bits);

		asked++;
		if (z->err < 0 && z->iterations < 0) {
			failed++;
			detail(d, c, "%s: NSEC3PARAM could not be asked (%s)",
			       z->zone, dk_strerror(z->err));
			continue;
		}
		if (z->iterations < 0) {
			detail(d, c,
			       "%s: no NSEC3PARAM (NSEC, or no NSEC3 "
			       "chain published)",
			       z->zone);
			continue;
		}
		if (z->iterations > d->nsec3_iter) {
			d->nsec3_iter = z->iterations;
		}
		detail(d, c, "%s: NSEC3 with %d iteration%s (limit %d)",
		       z->zone, z->iterations, z->iterations == 1 ? "" : "s",
		       limit);
		if (limit >= 0 && z->iterations > limit) {
			over++;
		} else if (z->iterations > 0) {
			some++;
		} else {
			continue;
		}
		if (z->iterations > worst) {
			worst = z->iterations;
			worst_limit = limit;
			worst_zone = z->zone;
		}
	}
	if (over) {
		d->nsec3_limit = worst_limit;
		set(d, c, DK_DOCTOR_FAIL,
		    "%s uses NSEC3 with %d iterations, over this validator's "
		    "limit of %d (val-nsec3-keysize-iterations): its denials "
		    "come out insecure (RFC 9276 section 3.2), so DANE is off "
		    "there",
		    worst_zone, worst, worst_limit);
	} else if (some) {
		set(d, c, DK_DOCTOR_WARNING,
		    "%s uses NSEC3 with %d iterations: RFC 9276 section 3.1 "
		    "asks for 0, and validators may treat more as insecure "
		    "(this one above %d)",
		    worst_zone, worst, worst_limit);
	} else if (failed == asked && asked > 0) {
		set(d, c, DK_DOCTOR_UNKNOWN,
		    "the NSEC3 parameters could not be asked");
	} else {
		set(d, c, DK_DOCTOR_OK,
		    "%zu zone%s examined: NSEC, or NSEC3 with 0 iterations "
		    "(RFC 9276)%s",
		    asked, asked == 1 ? "" : "s",
		    ch ? "" : "; give a NAME to examine the zones on its path");
	}
	for (size_t i = 0; i < n; i++) {
		free(zs[i].zone);
	}
	free(zs);
}

static int sha1_alg(uint8_t a)
{
	return a == LDNS_RSASHA1 || a == LDNS_RSASHA1_NSEC3;
}

/* 1 when every signature in @sigs is by an RSASHA1 algorithm. */
static int sigs_sha1_only(const struct dk_chain_sig *sigs, size_t n)
{
	if (n == 0) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!sha1_alg(sigs[i].algorithm)) {
			return 0;
		}
	}
	return 1;
}

/* The "sha1" check. */
static void check_sha1(struct dk_doctor *d, const int *zone_sha1_only,
		       const struct dk_chain *ch)
{
	struct check *c = add_check(d, "sha1");
	char first[600] = "";
	size_t found = 0;

	set(d, c, DK_DOCTOR_OK, "-");
	for (size_t z = 0; z < d->setup.nzones; z++) {
		const char *zone = d->setup.zones[z];
		unsigned int mask = 0, keys = 0, ds = 0;

		for (size_t i = 0; i < d->setup.nanchors; i++) {
			const struct dki_anchor *a = &d->setup.anchors[i];

			if (strcmp(a->zone, zone) == 0) {
				mask |= a->digest_mask;
				keys += a->key_count;
				ds += a->ds_count;
			}
		}
		if (ds > 0 && keys == 0 && mask == (1u << 1)) {
			detail(d, c,
			       "the trust anchor for %s has only SHA-1 DS "
			       "records (digest type 1)",
			       zone);
			if (!found++) {
				snprintf(first, sizeof(first),
					 "the trust anchor for %s has only "
					 "SHA-1 DS records (digest type 1)",
					 zone);
			}
		}
		if (zone_sha1_only[z]) {
			detail(d, c,
			       "the DNSKEY RRset of %s is signed only with "
			       "RSASHA1 (algorithm 5 or 7)",
			       zone);
			if (!found++) {
				snprintf(first, sizeof(first),
					 "%s is signed only with RSASHA1 "
					 "(algorithm 5 or 7)",
					 zone);
			}
		}
	}
	for (size_t i = 0; ch && i < dk_chain_link_count(ch); i++) {
		const struct dk_chain_link *l = dk_chain_link(ch, i);
		const char *what = NULL;

		if (l->status != DK_DNSSEC_SECURE) {
			continue;
		}
		if (l->type == DK_CHAIN_ZONE && !l->anchor && l->ds_count > 0) {
			int only = 1;

			for (size_t k = 0; k < l->ds_count; k++) {
				if (l->ds[k].digest_type != 1) {
					only = 0;
				}
			}
			if (only) {
				what = "its DS at the parent uses only SHA-1 "
				       "(digest type 1)";
			}
		}
		if (!what && l->type == DK_CHAIN_ZONE && !l->anchor &&
		    sigs_sha1_only(l->key_sigs, l->key_sig_count)) {
			what = "its DNSKEY RRset is signed only with RSASHA1 "
			       "(algorithm 5 or 7)";
		}
		if (!what &&
		    (l->type == DK_CHAIN_ANSWER || l->type == DK_CHAIN_CNAME) &&
		    sigs_sha1_only(l->sigs, l->sig_count)) {
			what = "it is signed only with RSASHA1 (algorithm 5 "
			       "or 7)";
		}
		if (what) {
			detail(d, c, "%s: %s", l->name, what);
			if (!found++) {
				snprintf(first, sizeof(first), "%s: %s",
					 l->name, what);
			}
		}
	}
	if (found) {
		set(d, c, DK_DOCTOR_WARNING,
		    "%s%s: secure only through SHA-1, which RFC 9904 and RFC "
		    "9905 deprecate; validators are dropping it",
		    first, found > 1 ? " (and more: see details)" : "");
	} else {
		set(d, c, DK_DOCTOR_OK,
		    "no link relies on SHA-1 alone (the anchors and their "
		    "zones%s)",
		    ch ? ", and the name's path" : "");
	}
}

/* The "transport" check, through --resolver: ask it over each. */
static int ask_ldns(const char *fwd, const char *zone, int tcp, double timeout,
		    char *why, size_t wlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(fwd, '@');
	size_t n = at ? (size_t)(at - fwd) : strlen(fwd);
	ldns_resolver *res = NULL;
	ldns_rdf *ns = NULL, *qname = NULL;
	ldns_pkt *pkt = NULL;
	ldns_status st;
	struct timeval tv;
	int ok = -1;

	if (n >= sizeof(addr)) {
		snprintf(why, wlen, "cannot use the address");
		return -1;
	}
	memcpy(addr, fwd, n);
	addr[n] = '\0';
	ns = ldns_rdf_new_frm_str(
		strchr(addr, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, addr);
	res = ldns_resolver_new();
	if (ldns_str2rdf_dname(&qname, zone) != LDNS_STATUS_OK || !ns || !res) {
		snprintf(why, wlen, "cannot use the address");
		goto out;
	}
	if (ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
		snprintf(why, wlen, "cannot use the address");
		goto out;
	}
	ldns_resolver_set_port(res, at ? (uint16_t)atoi(at + 1) : 53);
	ldns_resolver_set_usevc(res, tcp);
	ldns_resolver_set_fallback(res, false);
	ldns_resolver_set_recursive(res, true);
	ldns_resolver_set_dnssec(res, true);
	ldns_resolver_set_retry(res, 1);
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retrans(res,
				  (uint8_t)(timeout < 255 ? timeout : 255));
	st = ldns_resolver_query_status(&pkt, res, qname, LDNS_RR_TYPE_DNSKEY,
					LDNS_RR_CLASS_IN, LDNS_RD);
	if (st != LDNS_STATUS_OK || !pkt) {
		snprintf(why, wlen, "%s", ldns_get_errorstr_by_id(st));
		ok = 0;
	} else {
		ldns_lookup_table *lt =
			ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(pkt));

		snprintf(why, wlen, "%s", lt ? lt->name : "answered");
		ok = 1;
	}
out:
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(qname);
	ldns_resolver_deep_free(res);
	ldns_rdf_deep_free(ns); /* the resolver has its own copy */
	return ok;
}

struct tq {
	int done;
	int err;
};

static void tq_cb(void *arg, int err, struct dk_answer *a)
{
	struct tq *q = arg;

	q->done = 1;
	q->err = err;
	dk_answer_free(a);
}

/*
 * Without --resolver: two fresh contexts with the same set-up, one that
 * never uses TCP (do-tcp: no), one that uses only TCP (tcp-upstream:
 * yes), ask the first anchor zone's DNSKEY RRset at once.
 */
static void ask_unbound(struct dk_doctor *d, const struct dk_resolver_opts *o,
			const char *zone, char *why_udp, char *why_tcp,
			size_t wlen)
{
	static const char *const udp_only[] = { "do-tcp:", "no", NULL };
	static const char *const tcp_only[] = { "tcp-upstream:", "yes", NULL };
	struct dk_resolver_opts ro = *o;
	struct dk_resolver *ru = NULL, *rt = NULL;
	struct dk_diag du = { "" }, dt = { "" };
	struct tq qu = { 0, 0 }, qt = { 0, 0 };

	ro.no_selftest = 1;
	d->udp = d->tcp = -1;
	if (dki_resolver_new(&ro, udp_only, &ru, &du) < 0 ||
	    dki_resolver_new(&ro, tcp_only, &rt, &dt) < 0) {
		snprintf(why_udp, wlen, "%s", du.why[0] ? du.why : dt.why);
		snprintf(why_tcp, wlen, "%s", du.why[0] ? du.why : dt.why);
		dk_resolver_free(ru);
		dk_resolver_free(rt);
		return;
	}
	if (dk_lookup_async(ru, zone, LDNS_RR_TYPE_DNSKEY, tq_cb, &qu) < 0) {
		qu.done = 1;
		qu.err = DK_ERESOLVER;
	}
	if (dk_lookup_async(rt, zone, LDNS_RR_TYPE_DNSKEY, tq_cb, &qt) < 0) {
		qt.done = 1;
		qt.err = DK_ERESOLVER;
	}
	while (!qu.done || !qt.done) {
		struct pollfd p[2];

		if (dk_resolver_process(ru) < 0 ||
		    dk_resolver_process(rt) < 0) {
			break;
		}
		if (qu.done && qt.done) {
			break;
		}
		p[0].fd = dk_resolver_fd(ru);
		p[1].fd = dk_resolver_fd(rt);
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, 100) < 0 && errno != EINTR) {
			break;
		}
	}
	d->udp = qu.done ? qu.err == 0 : 0;
	d->tcp = qt.done ? qt.err == 0 : 0;
	snprintf(why_udp, wlen, "%s",
		 qu.done && qu.err == 0 ? "answered"
		 : qu.done		? dk_strerror(qu.err)
					: "no answer");
	snprintf(why_tcp, wlen, "%s",
		 qt.done && qt.err == 0 ? "answered"
		 : qt.done		? dk_strerror(qt.err)
					: "no answer");
	dk_resolver_free(ru);
	dk_resolver_free(rt);
}

static void check_transport(struct dk_doctor *d,
			    const struct dk_resolver_opts *o, double timeout,
			    enum dk_doctor_status selftest)
{
	struct check *c = add_check(d, "transport");
	char wu[300] = "", wt[300] = "";
	const char *zone = d->setup.nzones ? d->setup.zones[0] : NULL;
	int r;

	d->udp = d->tcp = -1;
	if (!zone) {
		set(d, c, DK_DOCTOR_UNKNOWN, "no anchor zone to ask");
		return;
	}
	if (o->forwarder) {
		r = asprintf(&d->via, "the resolver %s (--resolver)",
			     o->forwarder);
		d->udp = ask_ldns(o->forwarder, zone, 0, timeout, wu,
				  sizeof(wu));
		d->tcp = ask_ldns(o->forwarder, zone, 1, timeout, wt,
				  sizeof(wt));
	} else {
		r = asprintf(&d->via,
			     "the name servers libunbound asks for %s (the "
			     "unbound.conf's forward or stub zones, else the "
			     "root servers)",
			     zone);
		ask_unbound(d, o, zone, wu, wt, sizeof(wu));
	}
	if (r < 0) {
		d->via = NULL;
		d->oom = 1;
	}
	detail(d, c, "UDP: %s", wu);
	detail(d, c, "TCP: %s", wt);
	if (d->udp == 1 && d->tcp == 1) {
		set(d, c, DK_DOCTOR_OK,
		    "the DNSKEY query for %s was answered over UDP and over "
		    "TCP by %s",
		    zone, d->via ? d->via : "?");
	} else if (d->udp == 1 || d->tcp == 1) {
		set(d, c, DK_DOCTOR_FAIL,
		    "the DNSKEY query for %s was answered over %s but not over "
		    "%s (%s) by %s: large answers (DNSSEC, TLSA) need both",
		    zone, d->udp == 1 ? "UDP" : "TCP",
		    d->udp == 1 ? "TCP" : "UDP", d->udp == 1 ? wt : wu,
		    d->via ? d->via : "?");
	} else if (selftest == DK_DOCTOR_UNKNOWN || d->udp < 0) {
		set(d, c, DK_DOCTOR_UNKNOWN,
		    "no answer over UDP (%s) nor over TCP (%s) from %s", wu, wt,
		    d->via ? d->via : "?");
	} else {
		set(d, c, DK_DOCTOR_FAIL,
		    "no answer over UDP (%s) nor over TCP (%s) from %s", wu, wt,
		    d->via ? d->via : "?");
	}
}

/* The "name" check: the chain of trust of the name asked. */
static const struct dk_chain *check_name(struct dk_doctor *d,
					 struct dk_resolver *r, uint16_t type,
					 struct dk_chain **ret)
{
	struct check *c = add_check(d, "name");
	struct dk_diag dg = { "" };
	struct dk_chain *ch = NULL;
	int e;

	*ret = NULL;
	e = dk_chain_build(r, d->name, type, 0, &ch, &dg);
	if (e < 0) {
		set(d, c, DK_DOCTOR_UNKNOWN, "%s could not be examined: %s",
		    d->name, dg.why[0] ? dg.why : dk_strerror(e));
		return NULL;
	}
	switch (dk_chain_status(ch)) {
	case DK_DNSSEC_SECURE:
		set(d, c, DK_DOCTOR_OK, "secure: %s", dk_chain_diagnosis(ch));
		break;
	case DK_DNSSEC_INSECURE:
		set(d, c, DK_DOCTOR_WARNING,
		    "insecure (DANE does not apply there): %s",
		    dk_chain_diagnosis(ch));
		break;
	case DK_DNSSEC_BOGUS:
		set(d, c, DK_DOCTOR_WARNING, "bogus: %s",
		    dk_chain_diagnosis(ch));
		break;
	default:
		set(d, c, DK_DOCTOR_UNKNOWN, "indeterminate: %s",
		    dk_chain_diagnosis(ch));
		break;
	}
	*ret = ch;
	return ch;
}

/* A set-up the resolver refuses: report it, with what can still run. */
static void refused(struct dk_doctor *d, int e, const char *why)
{
	static const char *const later[] = { "sha1", "nsec3", "transport" };
	struct check *setup = add_check(d, "setup");
	struct check *anchor = add_check(d, "anchor");

	if (e == DK_ENOANCHOR) {
		set(d, setup, DK_DOCTOR_OK,
		    "the files handed to libunbound are regular and readable");
		set(d, anchor, DK_DOCTOR_FAIL, "%s", why);
	} else {
		set(d, setup, DK_DOCTOR_FAIL, "%s", why);
		set(d, anchor, DK_DOCTOR_UNKNOWN,
		    "not examined: the set-up was refused");
	}
	set(d, add_check(d, "selftest"), DK_DOCTOR_UNKNOWN,
	    "not run: the set-up was refused");
	set(d, add_check(d, "clock"), DK_DOCTOR_UNKNOWN,
	    "not run: the set-up was refused");
	check_algorithms(d);
	if (d->name) {
		set(d, add_check(d, "name"), DK_DOCTOR_UNKNOWN,
		    "not examined: the set-up was refused");
	}
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		set(d, add_check(d, later[i]), DK_DOCTOR_UNKNOWN,
		    "not run: the set-up was refused");
	}
}

int dk_doctor_run(const struct dk_resolver_opts *opts, const char *name,
		  uint16_t type, struct dk_doctor **ret_doctor,
		  struct dk_diag *diag)
{
	struct dk_resolver_opts ro;
	struct dk_resolver *r = NULL;
	struct dk_doctor *d;
	struct dk_diag rd = { "" };
	struct dki_selftest *t = NULL;
	struct dk_chain *ch = NULL;
	struct sigwin w = { 0 };
	struct check *anchor;
	enum dk_doctor_status selftest = DK_DOCTOR_UNKNOWN;
	size_t nt = 0, *bits = NULL;
	int *sha1 = NULL, e;

	if (!opts || !ret_doctor) {
		return DK_EINVAL;
	}
	if (name && (e = dki_check_name(name, diag)) < 0) {
		return e;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		return DK_ENOMEM;
	}
	d->now = opts->now > 0 ? opts->now : time(NULL);
	d->udp = d->tcp = -1;
	d->nsec3_iter = d->nsec3_limit = -1;
	if (name && !(d->name = strdup(name))) {
		free(d);
		return DK_ENOMEM;
	}
	ro = *opts;
	ro.no_selftest = 1;
	e = dk_resolver_new(&ro, &r, &rd);
	if (e == DK_EINVAL || e == DK_ENOMEM) {
		if (e == DK_EINVAL) {
			dki_diagf(diag, "%s", rd.why);
		}
		dk_doctor_free(d);
		return e;
	}
	if (e < 0) {
		refused(d, e, rd.why[0] ? rd.why : dk_strerror(e));
		goto done;
	}
	if (dki_setup_copy(dki_resolver_setup(r), &d->setup) < 0) {
		d->oom = 1;
		goto done;
	}
	set(d, add_check(d, "setup"), DK_DOCTOR_OK,
	    "%s%s%s: every file is regular and readable, libunbound takes "
	    "the configuration and validates",
	    opts->unbound_conf ? opts->unbound_conf : "",
	    opts->unbound_conf && opts->anchor_file ? " and " : "",
	    opts->anchor_file	 ? opts->anchor_file
	    : opts->unbound_conf ? ""
				 : "the default set-up");
	anchor = add_check(d, "anchor"); /* filled after the self-test */

	/* The self-test, kept for the clock, SHA-1 and NSEC3 checks. */
	{
		struct check *c = add_check(d, "selftest");
		struct dk_diag unfit = { "" }, other = { "" };
		size_t ok = 0, nunfit = 0, nother = 0;

		bits = calloc(dki_resolver_setup(r)->nzones + 1, sizeof(*bits));
		sha1 = calloc(dki_resolver_setup(r)->nzones + 1, sizeof(*sha1));
		e = bits && sha1 ? dki_selftest_run(r, &t, &nt) : DK_ENOMEM;
		if (e < 0) {
			set(d, c, DK_DOCTOR_UNKNOWN, "could not run: %s",
			    dk_strerror(e));
		}
		for (size_t i = 0; e == 0 && i < nt; i++) {
			struct dk_diag dg = { "" };
			int j = dki_selftest_judge(r, &t[i], &dg);

			if (t[i].answer) {
				scan_dnskey_answer(t[i].answer, t[i].zone,
						   d->now, &w);
				bits[i] = w.min_bits;
				sha1[i] = w.sha1_only;
			}
			if (j == 0) {
				ok++;
				detail(d, c,
				       "%s: the DNSKEY RRset (%zu keys) is "
				       "secure",
				       t[i].zone,
				       ldns_rr_list_rr_count(
					       dki_answer_get0_rrset(
						       t[i].answer)));
			} else if (j == DK_EUNFIT) {
				if (!nunfit++) {
					unfit = dg;
				}
				detail(d, c, "%s", dg.why);
			} else {
				if (!nother++) {
					other = dg;
				}
				detail(d, c, "%s", dg.why);
			}
		}
		if (e == 0 && nunfit) {
			set(d, c, DK_DOCTOR_FAIL, "%s", unfit.why);
		} else if (e == 0 && nother) {
			set(d, c, DK_DOCTOR_UNKNOWN, "%s", other.why);
		} else if (e == 0) {
			set(d, c, DK_DOCTOR_OK,
			    "the DNSKEY RRset of %s%s validates as secure from "
			    "%s trust anchor",
			    nt ? t[0].zone : "?",
			    ok > 1 ? " and the other anchor zones'" : "",
			    ok > 1 ? "their" : "its");
		}
		selftest = c->status;
		d->selftest_run = e == 0 && nunfit + ok > 0;
	}
	check_anchor(d, anchor, r);
	check_clock(d, &w);
	check_algorithms(d);
	if (d->name) {
		check_name(d, r, type ? type : LDNS_RR_TYPE_A, &ch);
	}
	check_sha1(d, sha1, ch);
	check_nsec3(d, r, ch, bits);
	check_transport(d, opts, dk_resolver_timeout(r), selftest);
done:
	dk_chain_free(ch);
	dki_selftest_free(t, nt);
	free(bits);
	free(sha1);
	dk_resolver_free(r);
	if (d->oom) {
		dk_doctor_free(d);
		return DK_ENOMEM;
	}
	*ret_doctor = d;
	return 0;
}

enum dk_doctor_status dk_doctor_verdict(const struct dk_doctor *d)
{
	enum dk_doctor_status v = DK_DOCTOR_OK;
	int selftest_unknown = 0;

	if (!d) {
		return DK_DOCTOR_UNKNOWN;
	}
	for (size_t i = 0; i < d->nchecks; i++) {
		const struct check *c = &d->checks[i];

		if (c->status == DK_DOCTOR_FAIL) {
			return DK_DOCTOR_FAIL;
		}
		if (strcmp(c->id, "selftest") == 0 &&
		    c->status == DK_DOCTOR_UNKNOWN) {
			selftest_unknown = 1;
		}
		if (c->status != DK_DOCTOR_OK) {
			v = DK_DOCTOR_WARNING;
		}
	}
	return selftest_unknown ? DK_DOCTOR_UNKNOWN : v;
}

size_t dk_doctor_check_count(const struct dk_doctor *d)
{
	return d ? d->nchecks : 0;
}

static const struct check *get_check(const struct dk_doctor *d, size_t i)
{
	return d && i < d->nchecks ? &d->checks[i] : NULL;
}

const char *dk_doctor_check_id(const struct dk_doctor *d, size_t i)
{
	const struct check *c = get_check(d, i);

	return c ? c->id : NULL;
}

enum dk_doctor_status dk_doctor_check_status(const struct dk_doctor *d,
					     size_t i)
{
	const struct check *c = get_check(d, i);

	return c ? c->status : DK_DOCTOR_UNKNOWN;
}

const char *dk_doctor_check_why(const struct dk_doctor *d, size_t i)
{
	const struct check *c = get_check(d, i);

	return c ? c->why : NULL;
}

size_t dk_doctor_check_detail_count(const struct dk_doctor *d, size_t i)
{
	const struct check *c = get_check(d, i);

	return c ? c->ndetails : 0;
}

const char *dk_doctor_check_detail(const struct dk_doctor *d, size_t i,
				   size_t j)
{
	const struct check *c = get_check(d, i);

	return c && j < c->ndetails ? c->details[j] : NULL;
}

int dk_doctor_check_find(const struct dk_doctor *d, const char *id)
{
	for (size_t i = 0; d && id && i < d->nchecks; i++) {
		if (strcmp(d->checks[i].id, id) == 0) {
			return (int)i;
		}
	}
	return -1;
}

time_t dk_doctor_time(const struct dk_doctor *d)
{
	return d ? d->now : 0;
}

const char *dk_doctor_name(const struct dk_doctor *d)
{
	return d ? d->name : NULL;
}

size_t dk_doctor_anchor_count(const struct dk_doctor *d)
{
	return d ? d->setup.nanchors : 0;
}

static const struct dki_anchor *get_anchor(const struct dk_doctor *d, size_t i)
{
	return d && i < d->setup.nanchors ? &d->setup.anchors[i] : NULL;
}

const char *dk_doctor_anchor_zone(const struct dk_doctor *d, size_t i)
{
	const struct dki_anchor *a = get_anchor(d, i);

	return a ? a->zone : NULL;
}

const char *dk_doctor_anchor_file(const struct dk_doctor *d, size_t i)
{
	const struct dki_anchor *a = get_anchor(d, i);

	return a ? a->file : NULL;
}

const char *dk_doctor_anchor_source(const struct dk_doctor *d, size_t i)
{
	const struct dki_anchor *a = get_anchor(d, i);

	return a ? dki_anchor_origin_name(a->origin) : NULL;
}

const char *dk_doctor_anchor_conf(const struct dk_doctor *d, size_t i)
{
	const struct dki_anchor *a = get_anchor(d, i);

	return a ? a->conf : NULL;
}

int dk_doctor_anchor_rfc5011(const struct dk_doctor *d, size_t i)
{
	const struct dki_anchor *a = get_anchor(d, i);

	return a ? a->rfc5011 : 0;
}

time_t dk_doctor_anchor_mtime(const struct dk_doctor *d, size_t i)
{
	const struct dki_anchor *a = get_anchor(d, i);

	return a ? a->mtime : 0;
}

time_t dk_doctor_anchor_last_queried(const struct dk_doctor *d, size_t i)
{
	const struct dki_anchor *a = get_anchor(d, i);

	return a ? a->last_queried : 0;
}

time_t dk_doctor_anchor_last_success(const struct dk_doctor *d, size_t i)
{
	const struct dki_anchor *a = get_anchor(d, i);

	return a ? a->last_success : 0;
}

size_t dk_doctor_algorithm_count(const struct dk_doctor *d)
{
	return d ? d->nalgs : 0;
}

uint8_t dk_doctor_algorithm(const struct dk_doctor *d, size_t i)
{
	return d && i < d->nalgs ? d->algs[i] : 0;
}

int dk_doctor_algorithm_validates(const struct dk_doctor *d, size_t i)
{
	return d && i < d->nalgs ? d->alg_valid[i] : DK_ERANGE;
}

int dk_doctor_clock_skew(const struct dk_doctor *d, int64_t *ret_seconds)
{
	if (!d || !d->clock_known) {
		return 0;
	}
	if (ret_seconds) {
		*ret_seconds = d->clock_skew;
	}
	return 1;
}

int dk_doctor_udp(const struct dk_doctor *d)
{
	return d ? d->udp : -1;
}

int dk_doctor_tcp(const struct dk_doctor *d)
{
	return d ? d->tcp : -1;
}

const char *dk_doctor_transport_via(const struct dk_doctor *d)
{
	return d ? d->via : NULL;
}

int dk_doctor_nsec3_iterations(const struct dk_doctor *d)
{
	return d ? d->nsec3_iter : -1;
}

int dk_doctor_nsec3_limit(const struct dk_doctor *d)
{
	return d ? d->nsec3_limit : -1;
}
