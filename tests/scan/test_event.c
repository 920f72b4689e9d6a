/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event resolver (dk_resolver_new_event(): libunbound's
 * ub_resolve_event() on a libevent loop) against the lab: its answers are
 * those of unbound-host and of the threaded resolver, field by field;
 * callbacks run from the loop; time-outs; a synchronous lookup from
 * within the loop is refused; and a restartable step (the memo of
 * dnssec/internal.h) runs the chain walk of dk_tlsa_lookup() inside the
 * loop to the same RRset as a plain dk_tlsa_lookup().
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include <danekit/dane.h>
#include <danekit/dnssec.h>
#include <danekit/tlsa.h>

#include "dnssec/internal.h"

#include <criterion/criterion.h>

#include "dkt.h"

static char conf[1024];

static void lab(void)
{
	const char *v;

	if (conf[0]) {
		return;
	}
	v = dkt_lab("DK_LAB_CONF");
	cr_assert_not_null(v, "no DK_LAB_CONF in lab env");
	snprintf(conf, sizeof(conf), "%s", v);
}

static struct dk_resolver *resolver(int event, struct event_base *base)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_diag d = { "" };

	lab();
	o.unbound_conf = conf;
	o.timeout = 10;
	if (event) {
		cr_assert_eq(dk_resolver_new_event(&o, base, &r, &d), 0, "%s",
			     d.why);
		cr_assert_not_null(dk_resolver_get0_event_base(r));
	} else {
		cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
		cr_assert_null(dk_resolver_get0_event_base(r));
	}
	return r;
}

static const struct {
	const char *name;
	uint16_t type;
} names[] = {
	{ "_25._tcp.mail.secure.test", DK_RR_TYPE_TLSA },
	{ "mail.secure.test", DK_RR_TYPE_A },
	{ "mail.secure.test", DK_RR_TYPE_AAAA },
	{ "secure.test", DK_RR_TYPE_MX },
	{ "nsec3.test", DK_RR_TYPE_MX },
	{ "_25._tcp.mail.tampered.test", DK_RR_TYPE_TLSA },
	{ "mail.tampered.test", DK_RR_TYPE_A },
	{ "mail.expired.test", DK_RR_TYPE_A },
	{ "mail.insecure.test", DK_RR_TYPE_A },
	{ "_25._tcp.mail.insecure.test", DK_RR_TYPE_TLSA },
	{ "nonexistent.secure.test", DK_RR_TYPE_MX },
	{ "nonexistent.optout.test", DK_RR_TYPE_A },
	{ "cname.secure.test", DK_RR_TYPE_A },
	{ "alias.secure.test", DK_RR_TYPE_A },
	{ "mail.mx-cname.test", DK_RR_TYPE_A },
	{ "_25._tcp.mail.mx-cname.test", DK_RR_TYPE_TLSA },
	{ "mail.lame.test", DK_RR_TYPE_A },
	{ "mx-bogus.test", DK_RR_TYPE_MX },
	{ "nullmx.test", DK_RR_TYPE_MX },
	{ "wrongds.test", DK_RR_TYPE_DNSKEY },
	{ "dane-ok.test", DK_RR_TYPE_DS },
	{ "two-mx.test", DK_RR_TYPE_MX },
};

static char *records(const struct dk_answer *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < dk_answer_count(a); i++) {
		char *t = dk_answer_record_text(a, i);

		/* the TTL counts down in the cache: compared without it */
		fprintf(f, "%s|", t ? strchr(t, ' ') : "?");
		free(t);
	}
	for (size_t i = 0; i < dk_answer_cname_count(a); i++) {
		char *t = dk_answer_cname_text(a, i);

		fprintf(f, "cname %s|", t ? strchr(t, ' ') : "?");
		free(t);
	}
	fclose(f);
	return buf;
}

/* Field by field, the same as the threaded resolver (twice: the second
 * time the event resolver answers from its cache). */
Test(scan_event, same_answers_as_threaded)
{
	struct dk_resolver *t = resolver(0, NULL), *e = resolver(1, NULL);

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			struct dk_answer *a = NULL, *b = NULL;
			struct dk_diag d1 = { "" }, d2 = { "" };
			int r1 = dk_lookup(t, names[i].name, names[i].type, &a,
					   &d1);
			int r2 = dk_lookup(e, names[i].name, names[i].type, &b,
					   &d2);
			char *ra, *rb;

			cr_assert_eq(r2, r1, "%s: %d (%s) vs %d (%s)",
				     names[i].name, r2, d2.why, r1, d1.why);
			if (r1 < 0) {
				continue;
			}
			cr_expect_str_eq(dk_answer_qname(b),
					 dk_answer_qname(a));
			cr_expect_eq(dk_answer_qtype(b), dk_answer_qtype(a));
			cr_expect_eq(dk_answer_rcode(b), dk_answer_rcode(a),
				     "%s", names[i].name);
			cr_expect_eq(dk_answer_status(b), dk_answer_status(a),
				     "%s", names[i].name);
			cr_expect_eq(dk_answer_nxdomain(b),
				     dk_answer_nxdomain(a));
			cr_expect_str_eq(dk_answer_canonname(b),
					 dk_answer_canonname(a), "%s",
					 names[i].name);
			cr_expect_eq(!dk_answer_why(b), !dk_answer_why(a), "%s",
				     names[i].name);
			if (dk_answer_why(a) && dk_answer_why(b)) {
				cr_expect_str_eq(dk_answer_why(b),
						 dk_answer_why(a));
			}
			cr_expect_eq(dk_answer_count(b), dk_answer_count(a),
				     "%s", names[i].name);
			ra = records(a);
			rb = records(b);
			cr_expect_str_eq(rb, ra, "%s", names[i].name);
			free(ra);
			free(rb);
			dk_answer_free(a);
			dk_answer_free(b);
		}
	}
	dk_resolver_free(t);
	dk_resolver_free(e);
}

/* The status unbound-host gives, on its own. */
static const char *unbound_host_status(const char *name, const char *type)
{
	char *out = NULL;
	static char st[32];

	dkt_run(&out, "unbound-host -C '%s' -v -t %s %s 2>&1", conf, type,
		name);
	cr_assert_not_null(out);
	snprintf(st, sizeof(st), "%s",
		 strstr(out, "(BOGUS")	     ? "bogus"
		 : strstr(out, "(secure)")   ? "secure"
		 : strstr(out, "(insecure)") ? "insecure"
					     : "?");
	free(out);
	return st;
}

Test(scan_event, status_as_unbound_host)
{
	struct dk_resolver *e = resolver(1, NULL);
	static const struct {
		const char *name, *type;
		uint16_t t;
	} c[] = {
		{ "_25._tcp.mail.secure.test", "TLSA", DK_RR_TYPE_TLSA },
		{ "_25._tcp.mail.tampered.test", "TLSA", DK_RR_TYPE_TLSA },
		{ "mail.tampered.test", "A", DK_RR_TYPE_A },
		{ "mail.insecure.test", "A", DK_RR_TYPE_A },
		{ "mail.expired.test", "A", DK_RR_TYPE_A },
		{ "cname.secure.test", "A", DK_RR_TYPE_A },
		{ "nonexistent.nsec3.test", "A", DK_RR_TYPE_A },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct dk_answer *a = NULL;
		struct dk_diag d = { "" };

		cr_assert_eq(dk_lookup(e, c[i].name, c[i].t, &a, &d), 0, "%s",
			     d.why);
		cr_expect_str_eq(dk_dnssec_status_name(dk_answer_status(a)),
				 unbound_host_status(c[i].name, c[i].type),
				 "%s", c[i].name);
		dk_answer_free(a);
	}
	dk_resolver_free(e);
}

struct got {
	int n;
	int err;
	int in_call;
	struct dk_answer *a;
};

static void got_cb(void *arg, int err, struct dk_answer *a)
{
	struct got *g = arg;

	cr_expect_eq(g->in_call, 0, "callback run from within the call");
	g->n++;
	g->err = err;
	dk_answer_free(g->a);
	g->a = a;
}

Test(scan_event, async_callbacks_from_the_loop)
{
	struct dk_resolver *e = resolver(1, NULL);
	struct got g = { 0 };

	for (int pass = 0; pass < 2; pass++) {
		/* the second time the answer is in the cache */
		g.in_call = 1;
		cr_assert_eq(dk_lookup_async(e, "mail.secure.test",
					     DK_RR_TYPE_A, got_cb, &g),
			     0);
		g.in_call = 0;
		cr_expect_eq(g.n, pass);
		cr_expect_eq(dk_resolver_pending(e), 1);
		cr_assert_eq(dk_resolver_wait(e), 0);
		cr_expect_eq(g.n, pass + 1);
		cr_expect_eq(g.err, 0);
		cr_expect_eq(dk_answer_status(g.a), DK_DNSSEC_SECURE);
		cr_expect_eq(dk_resolver_pending(e), 0);
	}
	cr_expect_eq(dk_resolver_fd(e), DK_EINVAL);
	dk_answer_free(g.a);
	dk_resolver_free(e);
}

/* A forwarder where nothing answers: each lookup times out. */
Test(scan_event, timeout)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *e = NULL;
	struct dk_answer *a = NULL;
	struct dk_diag d = { "" };
	struct got g = { 0 };
	double t0;

	lab();
	o.unbound_conf = conf;
	o.forwarder = "127.53.0.250@9";
	o.timeout = 0.5;
	o.no_selftest = 1;
	cr_assert_eq(dk_resolver_new_event(&o, NULL, &e, &d), 0, "%s", d.why);
	t0 = dki_now();
	cr_expect_eq(dk_lookup(e, "www.example.org", DK_RR_TYPE_A, &a, &d),
		     DK_ETIMEDOUT);
	cr_expect_lt(dki_now() - t0, 2.0);
	cr_expect_null(a);
	cr_assert_eq(
		dk_lookup_async(e, "www.example.net", DK_RR_TYPE_A, got_cb, &g),
		0);
	cr_assert_eq(dk_resolver_wait(e), 0);
	cr_expect_eq(g.n, 1);
	cr_expect_eq(g.err, DK_ETIMEDOUT);
	dk_resolver_free(e);
}

struct inloop {
	struct dk_resolver *e;
	int n, rc_cached, rc_new;
};

/* From within a callback the resolver runs from its loop. */
static void inloop_cb(void *arg, int err, struct dk_answer *answer)
{
	struct inloop *s = arg;
	struct dk_answer *a = NULL;

	cr_expect_eq(err, 0);
	dk_answer_free(answer);
	s->n++;
	s->rc_cached =
		dk_lookup(s->e, "mail.secure.test", DK_RR_TYPE_A, &a, NULL);
	dk_answer_free(a);
	a = NULL;
	if (s->n == 1) {
		/* (the second time, libunbound may have the answer cached:
		 * ub_cancel() only drops the callback) */
		s->rc_new = dk_lookup(s->e, "www.nsec3.test", DK_RR_TYPE_AAAA,
				      &a, NULL);
		dk_answer_free(a);
		cr_expect_eq(dk_lookup_async(s->e, "www.alg8.test",
					     DK_RR_TYPE_A, inloop_cb, s),
			     0);
		cr_expect_eq(dk_resolver_wait(s->e), DK_EINVAL);
	}
	cr_expect_eq(dk_resolver_process(s->e), DK_EINVAL);
}

Test(scan_event, sync_lookup_inside_the_loop)
{
	struct event_base *base = event_base_new();
	struct dk_resolver *e = resolver(1, base);
	struct dk_answer *a = NULL;
	struct inloop s = { e, 0, 1, 1 };

	cr_assert_eq(dk_resolver_get0_event_base(e), base);
	cr_assert_eq(dk_lookup(e, "mail.secure.test", DK_RR_TYPE_A, &a, NULL),
		     0);
	dk_answer_free(a);
	cr_assert_eq(
		dk_lookup_async(e, "secure.test", DK_RR_TYPE_MX, inloop_cb, &s),
		0);
	while (s.n < 2) {
		cr_assert_geq(event_base_loop(base, EVLOOP_ONCE), 0);
	}
	cr_expect_eq(s.rc_cached, 0, "a cached answer is given at once");
	cr_expect_eq(s.rc_new, DK_EINVAL, "waiting inside the loop");
	dk_resolver_free(e);
	event_base_free(base);
}

/* dk_tlsa_lookup() (the chain walk, synchronous) as a restartable step. */
struct step {
	struct dk_resolver *e;
	struct dki_memo *m;
	const char *owner;
	int rounds, done, err;
	struct dk_tlsa_rrset *set;
};

static void step_run(void *arg)
{
	struct step *s = arg;
	struct dk_tlsa_rrset *set = NULL;
	int err;

	s->rounds++;
	dki_memo_begin(s->m);
	err = dk_tlsa_lookup(s->e, s->owner, &set, NULL);
	if (dki_memo_end(s->m) > 0) {
		dk_tlsa_rrset_free(set); /* thrown away: run again */
		return;
	}
	s->err = err;
	s->set = set;
	s->done = 1;
}

static void step_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	step_run(arg);
}

Test(scan_event, restartable_step)
{
	static const char *owners[] = {
		"_25._tcp.mail.dane-ok.test.",	"_25._tcp.mail.tampered.test.",
		"_25._tcp.mail.insecure.test.", "_25._tcp.mail.nsec3.test.",
		"_25._tcp.mail.mx-cname.test.",
	};
	struct dk_resolver *t = resolver(0, NULL);
	struct event_base *base = event_base_new();
	struct dk_resolver *e = resolver(1, base);

	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		struct step s = { e, NULL, owners[i], 0, 0, 0, NULL };
		struct dk_tlsa_rrset *ref = NULL;

		cr_assert_eq(dki_memo_new(e, step_run, &s, &s.m), 0);
		event_base_once(base, -1, EV_TIMEOUT, step_kick, &s, NULL);
		while (!s.done) {
			cr_assert_geq(event_base_loop(base, EVLOOP_ONCE), 0);
		}
		cr_expect_gt(s.rounds, 1, "%s: nothing was looked up?",
			     owners[i]);
		cr_assert_eq(s.err, 0);
		cr_assert_eq(dk_tlsa_lookup(t, owners[i], &ref, NULL), 0);
		cr_expect_eq(dk_tlsa_rrset_status(s.set),
			     dk_tlsa_rrset_status(ref), "%s", owners[i]);
		cr_expect_eq(dk_tlsa_rrset_resolver_status(s.set),
			     dk_tlsa_rrset_resolver_status(ref));
		cr_expect_eq(dk_tlsa_rrset_chain_status(s.set),
			     dk_tlsa_rrset_chain_status(ref));
		cr_expect_eq(dk_tlsa_rrset_count(s.set),
			     dk_tlsa_rrset_count(ref));
		cr_expect_str_eq(dk_tlsa_rrset_target(s.set),
				 dk_tlsa_rrset_target(ref));
		cr_expect_eq(!dk_tlsa_rrset_why(s.set),
			     !dk_tlsa_rrset_why(ref));
		dk_tlsa_rrset_free(ref);
		dk_tlsa_rrset_free(s.set);
		dki_memo_free(s.m);
	}
	dk_resolver_free(e);
	event_base_free(base);
	dk_resolver_free(t);
}

/*
 * Two steps ask the same name while it is in flight: the second joins the
 * first's lookup. The first goes (its domain ended, or timed out) before
 * the answer: the second still gets the answer, not a time-out.
 */
static void follower_ready(void *arg)
{
	*(int *)arg = 1;
}

Test(scan_event, follower_outlives_its_leader)
{
	struct dk_resolver_opts o = { 0 };
	struct event_base *base = event_base_new();
	struct dk_resolver *e = NULL;
	struct dk_diag d = { "" };
	struct dki_memo *m1 = NULL, *m2 = NULL;
	struct dk_answer *a = NULL;
	int ready1 = 0, ready2 = 0;
	struct timeval t0, t1;

	lab();
	o.unbound_conf = conf;
	o.timeout = 4;
	cr_assert_eq(dk_resolver_new_event(&o, base, &e, &d), 0, "%s", d.why);
	cr_assert_eq(dki_memo_new(e, follower_ready, &ready1, &m1), 0);
	cr_assert_eq(dki_memo_new(e, follower_ready, &ready2, &m2), 0);
	dki_memo_begin(m1);
	cr_assert_eq(dk_lookup(e, "two-mx.test", DK_RR_TYPE_MX, &a, NULL),
		     DKI_EAGAIN, "not in the cache of a new resolver");
	cr_assert_eq(dki_memo_end(m1), 1);
	dki_memo_begin(m2);
	cr_assert_eq(dk_lookup(e, "two-mx.test", DK_RR_TYPE_MX, &a, NULL),
		     DKI_EAGAIN, "joins the lookup in flight");
	cr_assert_eq(dki_memo_end(m2), 1);
	dki_memo_free(m1); /* the leader's owner goes */
	gettimeofday(&t0, NULL);
	while (!ready2) {
		cr_assert_geq(event_base_loop(base, EVLOOP_ONCE), 0);
	}
	gettimeofday(&t1, NULL);
	dki_memo_begin(m2);
	cr_assert_eq(dk_lookup(e, "two-mx.test", DK_RR_TYPE_MX, &a, NULL), 0,
		     "the follower has the answer, not a time-out (after "
		     "%ld s)",
		     (long)(t1.tv_sec - t0.tv_sec));
	cr_assert_eq(dki_memo_end(m2), 0);
	cr_expect_eq(dk_answer_status(a), DK_DNSSEC_SECURE);
	cr_expect_eq(dk_answer_count(a), 2, "two-mx.test has two MX records");
	cr_expect_eq(ready1, 0, "the memo that went is never called");
	dk_answer_free(a);
	dki_memo_free(m2);
	dk_resolver_free(e);
	event_base_free(base);
}

/*
 * The caches of restartable steps (answers, chains) never outlive the
 * TTL: a record changed on the name server (PowerDNS, through its API) is
 * seen by a step that starts once the old record's TTL (1 s) has passed,
 * though the caches would keep it for 5 and 30 s.
 */
static void pdns_txt(const char *name, const char *text)
{
	/* text NULL: the RRset is deleted */
	char cmd[2048], url[256], key[512], zone[256];
	const char *v;

	/* (dkt_lab() answers in one buffer) */
	cr_assert_not_null(v = dkt_lab("DK_PDNS_API_URL"), "no PowerDNS");
	snprintf(url, sizeof(url), "%s", v);
	cr_assert_not_null(v = dkt_lab("DK_PDNS_API_KEY"));
	snprintf(key, sizeof(key), "%s", v);
	cr_assert_not_null(v = dkt_lab("DK_PDNS_ZONE"));
	snprintf(zone, sizeof(zone), "%s", v);
	snprintf(cmd, sizeof(cmd),
		 "curl -sf -X PATCH -H \"X-API-Key: $(cat '%s')\" "
		 "-H 'Content-Type: application/json' "
		 "'%s/api/v1/servers/localhost/zones/%s' -d "
		 "'{\"rrsets\":[{\"name\":\"%s\",\"type\":\"TXT\","
		 "\"ttl\":1,\"changetype\":\"%s\",\"records\":"
		 "[{\"content\":\"\\\"%s\\\"\",\"disabled\":false}]}]}'",
		 key, url, zone, name, text ? "REPLACE" : "DELETE",
		 text ? text : "");
	cr_assert_eq(system(cmd), 0, "PowerDNS API: %s", cmd);
}

/* One step: the TXT record of @name (its text) and its chain's status. */
static void txt_step(struct dk_resolver *e, struct event_base *base,
		     const char *name, char *text, size_t size,
		     enum dk_dnssec_status *chain)
{
	struct dki_memo *m = NULL;
	int ready = 0;

	cr_assert_eq(dki_memo_new(e, follower_ready, &ready, &m), 0);
	for (;;) {
		struct dk_answer *a = NULL;
		struct dk_chain *ch = NULL;
		int r1, r2;

		ready = 0;
		dki_memo_begin(m);
		r1 = dk_lookup(e, name, DK_RR_TYPE_TXT, &a, NULL);
		r2 = dk_chain_build(e, name, DK_RR_TYPE_TXT, 0, &ch, NULL);
		if (dki_memo_end(m) == 0) {
			char *t;

			cr_assert_eq(r1, 0);
			cr_assert_eq(r2, 0);
			cr_assert_eq(dk_answer_count(a), 1);
			t = dk_answer_record_text(a, 0);
			snprintf(text, size, "%s", t ? t : "");
			free(t);
			*chain = dk_chain_status(ch);
			cr_assert_eq(dk_answer_count(dk_chain_get0_answer(ch)),
				     1);
			t = dk_answer_record_text(dk_chain_get0_answer(ch), 0);
			cr_expect_str_eq(t, text, "the chain is of the answer");
			free(t);
			dk_answer_free(a);
			dk_chain_free(ch);
			break;
		}
		dk_answer_free(a);
		dk_chain_free(ch);
		while (!ready) {
			cr_assert_geq(event_base_loop(base, EVLOOP_ONCE), 0);
		}
	}
	dki_memo_free(m);
}

Test(scan_event, caches_end_with_the_ttl)
{
	struct event_base *base = event_base_new();
	struct dk_resolver *e = resolver(1, base);
	const char *zone = dkt_lab("DK_PDNS_ZONE");
	enum dk_dnssec_status st;
	char name[256], text[256];

	cr_assert_not_null(zone);
	snprintf(name, sizeof(name), "ttl-%ld.%s", (long)getpid(), zone);
	zone = NULL;
	pdns_txt(name, "v1");
	txt_step(e, base, name, text, sizeof(text), &st);
	cr_expect(strstr(text, "v1"), "first: %s", text);
	cr_expect_eq(st, DK_DNSSEC_SECURE);
	pdns_txt(name, "v2");
	/* within the TTL: the old record, as libunbound's cache gives it */
	usleep(2500 * 1000);
	txt_step(e, base, name, text, sizeof(text), &st);
	cr_expect(strstr(text, "v2"), "after the TTL: %s", text);
	cr_expect_eq(st, DK_DNSSEC_SECURE);
	pdns_txt(name, NULL);
	dk_resolver_free(e);
	event_base_free(base);
}

Test(scan_event, bad_arguments)
{
	struct dk_resolver *r = NULL;

	cr_expect_eq(dk_resolver_new_event(NULL, NULL, &r, NULL), DK_EINVAL);
	cr_expect_null(dk_resolver_get0_event_base(NULL));
}

static void scan_cb(void *arg, const char *domain, int err,
		    struct dk_dane_report *report, const struct dk_diag *diag)
{
	(void)arg;
	(void)domain;
	(void)err;
	(void)diag;
	dk_dane_report_free(report);
}

/* dk_scan_*() and dk_resolver_set_qps(): NULL and unfit arguments. */
Test(scan_event, scan_bad_arguments)
{
	struct dk_resolver *t = resolver(0, NULL), *e = resolver(1, NULL);
	struct dk_scan *s = NULL;
	struct dk_scan_stats st = { 0 };
	struct dk_diag d = { "" };

	cr_expect_eq(dk_scan_new(NULL, NULL, scan_cb, NULL, &s), DK_EINVAL);
	cr_expect_eq(dk_scan_new(e, NULL, NULL, NULL, &s), DK_EINVAL);
	cr_expect_eq(dk_scan_new(e, NULL, scan_cb, NULL, NULL), DK_EINVAL);
	/* a threaded resolver has no loop for a scan */
	cr_expect_eq(dk_scan_new(t, NULL, scan_cb, NULL, &s), DK_EINVAL);
	cr_expect_null(s);
	cr_expect_eq(dk_scan_add(NULL, "secure.test", NULL), DK_EINVAL);
	cr_expect_eq(dk_scan_active(NULL), 0);
	cr_expect_eq(dk_scan_concurrency(NULL), 0);
	cr_expect_eq(dk_scan_run(NULL, 0), DK_EINVAL);
	dk_scan_get_stats(NULL, &st);
	dk_scan_free(NULL);
	cr_assert_eq(dk_scan_new(e, NULL, scan_cb, NULL, &s), 0);
	cr_expect_eq(dk_scan_concurrency(s), DK_SCAN_CONCURRENCY);
	cr_expect_eq(dk_scan_add(s, NULL, NULL), DK_EINVAL);
	cr_expect_eq(dk_scan_add(s, "bad..name", &d), DK_EINVAL);
	cr_expect_neq(d.why[0], '\0');
	cr_expect_eq(dk_scan_active(s), 0);
	cr_expect_eq(dk_scan_run(s, 0), 0);
	dk_scan_free(s);
	cr_expect_eq(dk_resolver_set_qps(NULL, 10), DK_EINVAL);
	cr_expect_eq(dk_resolver_set_qps(t, 10), DK_EINVAL);
	cr_expect_eq(dk_resolver_set_qps(e, -1), DK_EINVAL);
	cr_expect_eq(dk_resolver_set_qps(e, 0), 0);
	dk_resolver_free(e);
	dk_resolver_free(t);
}

struct qps_count {
	int n;
};

static void qps_cb(void *arg, int err, struct dk_answer *answer)
{
	struct qps_count *c = arg;

	cr_expect_eq(err, 0);
	dk_answer_free(answer);
	c->n++;
}

/*
 * The token bucket: 40 lookups of names no cache has (in an NSEC3 zone,
 * so that no denial is synthesised from the cache), at 20 a second
 * (a burst of 2), cannot all be sent before about 1.9 s have passed. A
 * lower bound only: a busy machine makes it slower, never faster.
 */
Test(scan_event, qps_token_bucket)
{
	struct dk_resolver *e = resolver(1, NULL);
	struct qps_count c = { 0 };
	struct timeval t0, t1;
	double dt;

	cr_assert_eq(dk_resolver_set_qps(e, 20), 0);
	gettimeofday(&t0, NULL);
	for (int i = 0; i < 40; i++) {
		char name[64];

		snprintf(name, sizeof(name), "qps%d-%ld.nsec3.test", i,
			 (long)t0.tv_usec);
		cr_assert_eq(dk_lookup_async(e, name, DK_RR_TYPE_A, qps_cb, &c),
			     0);
	}
	cr_assert_eq(dk_resolver_wait(e), 0);
	gettimeofday(&t1, NULL);
	dt = (double)(t1.tv_sec - t0.tv_sec) +
	     (double)(t1.tv_usec - t0.tv_usec) / 1e6;
	cr_expect_eq(c.n, 40);
	cr_expect_geq(dki_resolver_network(e), 38);
	cr_expect_geq(dt, 1.5, "40 lookups at 20/s took %.2f s", dt);
	dk_resolver_free(e);
}
