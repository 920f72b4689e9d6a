/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Library tests of the dnssec module: dk_lookup, dk_lookup_async, the
 * chain of trust, and a NULL/invalid-argument test of every public
 * function.
 */
#include <time.h>
#include <unistd.h>

#include <danekit/dnssec.h>

#include "dnssec/internal.h"

#include "lab.h"

static struct dk_resolver *lab_resolver(void)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_diag d = { "" };

	lab_init();
	o.unbound_conf = lab_conf;
	o.timeout = 10;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	return r;
}

static size_t count_type(const ldns_rr_list *l, ldns_rr_type t)
{
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		n += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t;
	}
	return n;
}

Test(dnssec_lib, lookup_secure_has_rrsigs)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_answer *a = NULL;
	struct dk_diag d = { "" };

	cr_assert_eq(dk_lookup(r, "_25._tcp.mail.secure.test",
			       LDNS_RR_TYPE_TLSA, &a, &d),
		     0, "%s", d.why);
	cr_expect_eq(dk_answer_status(a), DK_DNSSEC_SECURE);
	cr_expect_eq(ldns_rr_list_rr_count(dki_answer_get0_rrset(a)), 2);
	cr_assert_not_null(dki_answer_get0_packet(a));
	cr_expect_geq(count_type(ldns_pkt_answer(dki_answer_get0_packet(a)),
				 LDNS_RR_TYPE_RRSIG),
		      1);
	cr_expect_str_eq(dk_answer_qname(a), "_25._tcp.mail.secure.test.");
	cr_expect_null(dk_answer_why(a));
	dk_answer_free(a);
	dk_resolver_free(r);
}

Test(dnssec_lib, lookup_bogus_keeps_data)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_answer *a = NULL;

	cr_assert_eq(dk_lookup(r, "_25._tcp.mail.expired.test",
			       LDNS_RR_TYPE_TLSA, &a, NULL),
		     0);
	cr_expect_eq(dk_answer_status(a), DK_DNSSEC_BOGUS);
	cr_expect_not_null(dk_answer_why(a));
	/* libunbound hands the bogus data over with the packet. */
	cr_expect_eq(ldns_rr_list_rr_count(dki_answer_get0_rrset(a)), 2);
	cr_expect_geq(count_type(ldns_pkt_answer(dki_answer_get0_packet(a)),
				 LDNS_RR_TYPE_RRSIG),
		      1);
	dk_answer_free(a);
	cr_assert_eq(
		dk_lookup(r, "wrongds.test", LDNS_RR_TYPE_DNSKEY, &a, NULL), 0);
	cr_expect_eq(dk_answer_status(a), DK_DNSSEC_BOGUS);
	cr_expect_eq(ldns_rr_list_rr_count(dki_answer_get0_rrset(a)), 2);
	dk_answer_free(a);
	dk_resolver_free(r);
}

struct async_case {
	const char *name;
	uint16_t type;
	enum dk_dnssec_status want;
	int calls;
	int err;
	enum dk_dnssec_status got;
};

static void async_cb(void *arg, int err, struct dk_answer *answer)
{
	struct async_case *c = arg;

	c->calls++;
	c->err = err;
	c->got = dk_answer_status(answer);
	dk_answer_free(answer);
}

Test(dnssec_lib, lookup_async_many)
{
	static const struct {
		const char *name;
		uint16_t type;
		enum dk_dnssec_status want;
	} base[] = {
		{ "mail.secure.test", LDNS_RR_TYPE_A, DK_DNSSEC_SECURE },
		{ "_25._tcp.mail.nsec3.test", LDNS_RR_TYPE_TLSA,
		  DK_DNSSEC_SECURE },
		{ "mail.insecure.test", LDNS_RR_TYPE_A, DK_DNSSEC_INSECURE },
		{ "mail.expired.test", LDNS_RR_TYPE_A, DK_DNSSEC_BOGUS },
		{ "mail.wrongds.test", LDNS_RR_TYPE_AAAA, DK_DNSSEC_BOGUS },
		{ "www.alg15.test", LDNS_RR_TYPE_A, DK_DNSSEC_SECURE },
		{ "cname.secure.test", LDNS_RR_TYPE_A, DK_DNSSEC_INSECURE },
		{ "nonexistent.secure.test", LDNS_RR_TYPE_A, DK_DNSSEC_SECURE },
	};
	enum {
		N = 48
	};
	struct async_case c[N];
	struct dk_resolver *r = lab_resolver();

	for (int i = 0; i < N; i++) {
		size_t k = (size_t)i % (sizeof(base) / sizeof(base[0]));

		c[i] = (struct async_case){ base[k].name,
					    base[k].type,
					    base[k].want,
					    0,
					    0,
					    DK_DNSSEC_INDETERMINATE };
		cr_assert_eq(dk_lookup_async(r, c[i].name, c[i].type, async_cb,
					     &c[i]),
			     0);
	}
	cr_expect_eq(dk_resolver_pending(r), N);
	cr_expect_geq(dk_resolver_fd(r), 0);
	cr_assert_eq(dk_resolver_wait(r), 0);
	cr_expect_eq(dk_resolver_pending(r), 0);
	for (int i = 0; i < N; i++) {
		cr_expect_eq(c[i].calls, 1, "%s: %d callbacks", c[i].name,
			     c[i].calls);
		cr_expect_eq(c[i].err, 0, "%s: %s", c[i].name,
			     dk_strerror(c[i].err));
		cr_expect_eq(c[i].got, c[i].want, "%s: %s, want %s", c[i].name,
			     dk_dnssec_status_name(c[i].got),
			     dk_dnssec_status_name(c[i].want));
	}
	dk_resolver_free(r);
}

Test(dnssec_lib, lookup_timeout)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_answer *a = NULL;
	struct dk_chain *ch = NULL;
	struct dk_diag d = { "" };
	struct timespec t0, t1;
	int e;

	lab_init();
	o.unbound_conf = lab_conf;
	o.forwarder = "127.0.0.1@1";
	o.timeout = 1;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = dk_lookup(r, "example.com", LDNS_RR_TYPE_A, &a, &d);
	cr_expect(e == DK_ETIMEDOUT || e == DK_ESERVFAIL, "%s", dk_strerror(e));
	cr_expect_null(a);
	e = dk_chain_build(r, "example.com", LDNS_RR_TYPE_A, 7, &ch, &d);
	cr_expect(e == DK_ETIMEDOUT || e == DK_ESERVFAIL, "%s", dk_strerror(e));
	cr_expect_null(ch);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_expect_lt((double)(t1.tv_sec - t0.tv_sec), 5.0);
	dk_resolver_free(r);
}

static int chained_calls;
static struct dk_resolver *chained_r;

/* A time-out callback that starts another lookup. */
static void chained_cb(void *arg, int err, struct dk_answer *a)
{
	(void)arg;
	dk_answer_free(a);
	cr_expect(err == DK_ETIMEDOUT || err == DK_ESERVFAIL, "%s",
		  dk_strerror(err));
	if (++chained_calls == 1) {
		cr_assert_eq(dk_lookup_async(chained_r, "second.example",
					     LDNS_RR_TYPE_A, chained_cb, NULL),
			     0);
	}
}

/* A lookup started from a time-out callback is neither lost nor left
 * pending (it goes to the head of the list being reaped). */
Test(dnssec_lib, lookup_started_from_a_timeout_callback)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_diag d = { "" };

	lab_init();
	o.unbound_conf = lab_conf;
	o.forwarder = "127.0.0.1@1";
	o.timeout = 1;
	o.no_selftest = 1;
	cr_assert_eq(dk_resolver_new(&o, &chained_r, &d), 0, "%s", d.why);
	cr_assert_eq(dk_lookup_async(chained_r, "first.example", LDNS_RR_TYPE_A,
				     chained_cb, NULL),
		     0);
	cr_assert_eq(dk_resolver_wait(chained_r), 0);
	cr_assert_eq(chained_calls, 2, "%d callbacks", chained_calls);
	cr_assert_eq(dk_resolver_pending(chained_r), 0);
	dk_resolver_free(chained_r);
}

static const struct dk_chain_link *last_link(const struct dk_chain *ch)
{
	size_t n = dk_chain_link_count(ch);

	cr_assert_gt(n, 0);
	return dk_chain_link(ch, n - 1);
}

static struct dk_chain *build(struct dk_resolver *r, const char *name,
			      uint16_t type, int warn_days)
{
	struct dk_chain *ch = NULL;
	struct dk_diag d = { "" };

	cr_assert_eq(dk_chain_build(r, name, type, warn_days, &ch, &d), 0,
		     "%s: %s", name, d.why);
	cr_assert_not_null(dk_chain_diagnosis(ch));
	return ch;
}

Test(dnssec_lib, chain_secure)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain *ch =
		build(r, "_25._tcp.mail.secure.test", LDNS_RR_TYPE_TLSA, 7);
	const struct dk_chain_link *l;

	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_SECURE);
	cr_expect_eq(dk_chain_resolver_status(ch), DK_DNSSEC_SECURE);
	cr_expect_eq(dk_chain_checked_status(ch), DK_DNSSEC_SECURE);
	cr_expect_eq(dk_chain_disagrees(ch), 0);
	cr_expect_eq(dk_chain_warning_count(ch), 0);
	cr_expect_null(dk_chain_warning(ch, 0));
	cr_assert_eq(dk_chain_link_count(ch), 3);
	l = dk_chain_link(ch, 0);
	cr_expect_eq(l->type, DK_CHAIN_ZONE);
	cr_expect_str_eq(l->name, "test.");
	cr_expect_eq(l->anchor, 1);
	cr_expect_null(l->zone);
	cr_assert_geq(l->ds_count, 1);
	cr_assert_geq(l->ds[0].key, 0);
	cr_expect_eq(l->keys[l->ds[0].key].key_tag, l->ds[0].key_tag);
	cr_expect_eq(l->keys[l->ds[0].key].flags, 257);
	l = dk_chain_link(ch, 1);
	cr_expect_eq(l->type, DK_CHAIN_ZONE);
	cr_expect_str_eq(l->name, "secure.test.");
	cr_expect_str_eq(l->zone, "test.");
	cr_expect_geq(l->ds_sig_count, 1);
	cr_expect_str_eq(l->ds_sigs[0].signer, "test.");
	cr_expect_eq(l->ds_sigs[0].state, DK_CHAIN_SIG_VALID);
	cr_expect_eq(l->key_count, 2);
	cr_expect_eq(l->keys[0].bits, 256);
	cr_expect_geq(l->key_sig_count, 1);
	cr_expect_gt(l->key_sigs[0].seconds_left, 86400 * 20);
	l = dk_chain_link(ch, 2);
	cr_expect_eq(l->type, DK_CHAIN_ANSWER);
	cr_expect_eq(l->rrtype, LDNS_RR_TYPE_TLSA);
	cr_expect_eq(l->record_count, 2);
	cr_expect_eq(l->sig_count, 1);
	cr_expect_eq(l->sigs[0].state, DK_CHAIN_SIG_VALID);
	cr_expect_null(l->why);
	cr_expect_null(dk_chain_link(ch, 3));
	cr_expect_str_eq(dk_chain_qname(ch), "_25._tcp.mail.secure.test.");
	cr_expect_eq(dk_chain_qtype(ch), LDNS_RR_TYPE_TLSA);
	cr_expect_eq(dk_chain_rcode(ch), LDNS_RCODE_NOERROR);
	cr_expect_eq(dk_chain_warn_days(ch), 7);
	cr_expect_gt(dk_chain_time(ch), 0);
	cr_expect_not_null(dk_chain_get0_answer(ch));
	dk_chain_free(ch);
	dk_resolver_free(r);
}

Test(dnssec_lib, chain_bogus_cases)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain *ch;
	const struct dk_chain_link *l;

	ch = build(r, "mail.wrongds.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_BOGUS);
	cr_expect(strstr(dk_chain_diagnosis(ch), "matches no DNSKEY of "
						 "wrongds.test.") != NULL);
	l = dk_chain_link(ch, 1);
	cr_expect_eq(l->ds[0].key, -1);
	cr_expect_eq(l->status, DK_DNSSEC_BOGUS);
	dk_chain_free(ch);

	ch = build(r, "mail.expired.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_BOGUS);
	l = dk_chain_link(ch, 1);
	cr_expect_eq(l->key_sigs[0].state, DK_CHAIN_SIG_EXPIRED);
	cr_expect_lt(l->key_sigs[0].seconds_left, -86400 * 9);
	dk_chain_free(ch);

	ch = build(r, "mail.future.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_link(ch, 1)->key_sigs[0].state,
		     DK_CHAIN_SIG_NOT_YET_VALID);
	dk_chain_free(ch);

	ch = build(r, "_25._tcp.mail.tampered.test", LDNS_RR_TYPE_TLSA, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_BOGUS);
	l = last_link(ch);
	cr_expect_eq(l->sigs[0].state, DK_CHAIN_SIG_BAD);
	cr_expect_eq(dk_chain_link(ch, 1)->status, DK_DNSSEC_SECURE);
	dk_chain_free(ch);

	ch = build(r, "mail.zskonly.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_BOGUS);
	cr_expect(strstr(dk_chain_diagnosis(ch), "not signed by a key with a "
						 "DS") != NULL);
	dk_chain_free(ch);
	dk_resolver_free(r);
}

Test(dnssec_lib, chain_insecure_and_warnings)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain *ch;
	const struct dk_chain_link *l;

	ch = build(r, "mail.unsigned.optout.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_INSECURE);
	l = dk_chain_link(ch, 2);
	cr_expect_eq(l->type, DK_CHAIN_INSECURE_DELEGATION);
	cr_expect_str_eq(l->name, "unsigned.optout.test.");
	cr_expect_str_eq(l->zone, "optout.test.");
	cr_expect(l->proof == DK_CHAIN_PROOF_NSEC3 ||
		  l->proof == DK_CHAIN_PROOF_NSEC3_OPTOUT);
	cr_expect_eq(l->optout, 1);
	cr_expect_geq(l->proof_sig_count, 1);
	dk_chain_free(ch);

	ch = build(r, "cname.secure.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_INSECURE);
	cr_assert_eq(dk_chain_link_count(ch), 5);
	l = dk_chain_link(ch, 2);
	cr_expect_eq(l->type, DK_CHAIN_CNAME);
	cr_expect_eq(l->status, DK_DNSSEC_SECURE);
	cr_expect_str_eq(l->target, "www.insecure.test.");
	l = dk_chain_link(ch, 3);
	cr_expect_eq(l->type, DK_CHAIN_INSECURE_DELEGATION);
	cr_expect_eq(l->proof, DK_CHAIN_PROOF_NSEC);
	cr_expect_eq(last_link(ch)->status, DK_DNSSEC_INSECURE);
	dk_chain_free(ch);

	ch = build(r, "nonexistent.secure.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_SECURE);
	cr_expect_eq(dk_chain_rcode(ch), LDNS_RCODE_NXDOMAIN);
	cr_expect_eq(last_link(ch)->proof, DK_CHAIN_PROOF_NSEC);
	cr_expect_geq(last_link(ch)->proof_record_count, 1);
	dk_chain_free(ch);

	ch = build(r, "www.expiring.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_SECURE);
	cr_expect_geq(dk_chain_warning_count(ch), 2);
	cr_expect(strstr(dk_chain_warning(ch, 0), "expiring.test.") != NULL);
	cr_expect(strstr(dk_chain_diagnosis(ch), "is secure, but") != NULL);
	dk_chain_free(ch);
	ch = build(r, "www.expiring.test", LDNS_RR_TYPE_A, 0);
	cr_expect_eq(dk_chain_warning_count(ch), 0);
	dk_chain_free(ch);

	/* No trust anchor covers the name: insecure, as libunbound says
	 * (invalid. is one of libunbound's own local zones). */
	ch = build(r, "name.invalid", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_INSECURE);
	cr_expect_eq(dk_chain_disagrees(ch), 0);
	cr_expect(strstr(dk_chain_diagnosis(ch), "no trust anchor covers") !=
			  NULL,
		  "%s", dk_chain_diagnosis(ch));
	dk_chain_free(ch);
	dk_resolver_free(r);
}

Test(dnssec_lib, null_and_invalid_arguments)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_answer *a = NULL;
	struct dk_chain *ch = NULL;
	struct dk_diag d = { "" };

	/* resolver */
	cr_expect_str_eq(dk_dnssec_status_name((enum dk_dnssec_status)99),
			 "indeterminate");
	cr_expect_eq(dk_resolver_new(NULL, &r, &d), DK_EINVAL);
	cr_expect_eq(dk_resolver_new(&o, NULL, &d), DK_EINVAL);
	cr_expect_null(r);
	dk_resolver_free(NULL);
	cr_expect_null(dk_resolver_get0_ub(NULL));
	cr_expect_eq(dk_resolver_timeout(NULL), 0.0);
	cr_expect_eq(dk_resolver_pending(NULL), 0);
	cr_expect_eq(dk_resolver_fd(NULL), DK_EINVAL);
	cr_expect_eq(dk_resolver_process(NULL), DK_EINVAL);
	cr_expect_eq(dk_resolver_wait(NULL), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse(NULL), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse(""), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse("NOTATYPE"), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse("tlsa"), LDNS_RR_TYPE_TLSA);
	/* RFC 3597 TYPEnnn, 1-65535 only. */
	cr_expect_eq(dk_rr_type_parse("TYPE52"), LDNS_RR_TYPE_TLSA);
	cr_expect_eq(dk_rr_type_parse("type65535"), 65535);
	cr_expect_eq(dk_rr_type_parse("TYPE65536"), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse("TYPE99999"), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse("TYPE0"), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse("TYPE"), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse("TYPE1x"), DK_EINVAL);
	cr_expect_eq(dk_rr_type_parse("A65"), DK_EINVAL);

	/* answer */
	dk_answer_free(NULL);
	cr_expect_null(dk_answer_qname(NULL));
	cr_expect_eq(dk_answer_qtype(NULL), 0);
	cr_expect_eq(dk_answer_rcode(NULL), LDNS_RCODE_SERVFAIL);
	cr_expect_eq(dk_answer_status(NULL), DK_DNSSEC_INDETERMINATE);
	cr_expect_null(dk_answer_why(NULL));
	cr_expect_null(dki_answer_get0_rrset(NULL));
	cr_expect_null(dki_answer_get0_packet(NULL));
	cr_expect_null(dk_answer_canonname(NULL));
	cr_expect_eq(dk_answer_ttl(NULL), 0);
	cr_expect_eq(dk_answer_nxdomain(NULL), 0);

	/* lookups */
	r = lab_resolver();
	cr_expect_eq(dk_lookup(NULL, "a.test", 1, &a, &d), DK_EINVAL);
	cr_expect_eq(dk_lookup(r, NULL, 1, &a, &d), DK_EINVAL);
	cr_expect_eq(dk_lookup(r, "a.test", 1, NULL, &d), DK_EINVAL);
	cr_expect_eq(dk_lookup(r, "a.test", 0, &a, &d), DK_EINVAL);
	cr_expect_eq(dk_lookup(r, "", 1, &a, &d), DK_EINVAL);
	cr_expect_eq(dk_lookup(r, "a..test", 1, &a, NULL), DK_EINVAL);
	cr_expect_null(a);
	cr_expect_eq(dk_lookup_async(NULL, "a.test", 1, async_cb, NULL),
		     DK_EINVAL);
	cr_expect_eq(dk_lookup_async(r, NULL, 1, async_cb, NULL), DK_EINVAL);
	cr_expect_eq(dk_lookup_async(r, "a.test", 1, NULL, NULL), DK_EINVAL);
	cr_expect_eq(dk_lookup_async(r, "a.test", 0, async_cb, NULL),
		     DK_EINVAL);
	cr_expect_eq(dk_resolver_pending(r), 0);

	/* chain */
	cr_expect_eq(dk_chain_build(NULL, "a.test", 1, 7, &ch, &d), DK_EINVAL);
	cr_expect_eq(dk_chain_build(r, NULL, 1, 7, &ch, &d), DK_EINVAL);
	cr_expect_eq(dk_chain_build(r, "a.test", 0, 7, &ch, &d), DK_EINVAL);
	cr_expect_eq(dk_chain_build(r, "a.test", 1, -1, &ch, &d), DK_EINVAL);
	cr_expect_eq(dk_chain_build(r, "a.test", 1, 36501, &ch, NULL),
		     DK_EINVAL);
	cr_expect_eq(dk_chain_build(r, "a.test", 1, 7, NULL, &d), DK_EINVAL);
	cr_expect_eq(dk_chain_build(r, "bad name", 1, 7, &ch, &d), DK_EINVAL);
	cr_expect_null(ch);
	dk_chain_free(NULL);
	cr_expect_eq(dk_chain_status(NULL), DK_DNSSEC_INDETERMINATE);
	cr_expect_eq(dk_chain_resolver_status(NULL), DK_DNSSEC_INDETERMINATE);
	cr_expect_eq(dk_chain_checked_status(NULL), DK_DNSSEC_INDETERMINATE);
	cr_expect_eq(dk_chain_disagrees(NULL), 0);
	cr_expect_null(dk_chain_diagnosis(NULL));
	cr_expect_null(dk_chain_why_bogus(NULL));
	cr_expect_null(dk_chain_qname(NULL));
	cr_expect_eq(dk_chain_qtype(NULL), 0);
	cr_expect_eq(dk_chain_rcode(NULL), LDNS_RCODE_SERVFAIL);
	cr_expect_eq(dk_chain_time(NULL), 0);
	cr_expect_eq(dk_chain_warn_days(NULL), 0);
	cr_expect_null(dk_chain_get0_answer(NULL));
	cr_expect_eq(dk_chain_link_count(NULL), 0);
	cr_expect_null(dk_chain_link(NULL, 0));
	cr_expect_eq(dk_chain_warning_count(NULL), 0);
	cr_expect_null(dk_chain_warning(NULL, 0));
	cr_expect_str_eq(dk_chain_link_type_name((enum dk_chain_link_type)0),
			 "?");
	cr_expect_str_eq(dk_chain_link_type_name(DK_CHAIN_CNAME), "cname");
	cr_expect_str_eq(dk_chain_proof_name((enum dk_chain_proof)9), "?");
	cr_expect_str_eq(dk_chain_proof_name(DK_CHAIN_PROOF_NSEC3_OPTOUT),
			 "nsec3-optout");
	cr_expect_str_eq(dk_chain_sig_state_name((enum dk_chain_sig_state)99),
			 "?");
	cr_expect_str_eq(dk_chain_sig_state_name(DK_CHAIN_SIG_EXPIRED),
			 "expired");
	dk_resolver_free(r);
}

/*
 * The validation time comes from the resolver (val-override-date), and the
 * chain check uses the same time as libunbound: three days on, the
 * signatures of expiring.test. have expired; eleven days on, those of
 * future.test. have become valid.
 */
Test(dnssec_lib, validation_time_from_resolver)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_chain *ch;
	struct dk_diag d = { "" };

	lab_init();
	o.unbound_conf = lab_conf;
	o.now = time(NULL) + 3 * 86400;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	ch = build(r, "www.expiring.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_BOGUS);
	cr_expect_eq(dk_chain_disagrees(ch), 0);
	cr_expect(strstr(dk_chain_diagnosis(ch), "expired on") != NULL, "%s",
		  dk_chain_diagnosis(ch));
	cr_expect_eq(dk_chain_time(ch), o.now);
	dk_chain_free(ch);
	ch = build(r, "www.secure.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_SECURE);
	dk_chain_free(ch);
	dk_resolver_free(r);

	o.now = time(NULL) + 11 * 86400;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	ch = build(r, "www.future.test", LDNS_RR_TYPE_A, 7);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_SECURE, "%s",
		     dk_chain_diagnosis(ch));
	cr_expect_eq(dk_chain_disagrees(ch), 0);
	dk_chain_free(ch);
	dk_resolver_free(r);
}

/*
 * ub_ctx_config() moves into the config's "directory:"; the resolver
 * must still read the files named relative to it (as unbound would) and
 * must leave the caller's working directory as it was.
 */
Test(dnssec_lib, config_directory_and_working_directory)
{
	char tmpl[] = "/tmp/dk-dir.XXXXXX", conf[512], cmd[8192];
	char before[1024], after[1024];
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_answer *a = NULL;
	struct dk_diag d = { "" };
	char *out = NULL;

	lab_init();
	cr_assert_not_null(mkdtemp(tmpl));
	/* The lab's config, with directory: TMP and a relative anchor. */
	snprintf(
		cmd, sizeof(cmd),
		"cp '%s' '%s/anchor.key' && sed -e 's|directory: .*|directory: "
		"\"%s\"|' -e 's|trust-anchor-file: .*|trust-anchor-file: "
		"\"anchor.key\"|' '%s' > '%s/unbound.conf' && grep -c "
		"'\"anchor.key\"' '%s/unbound.conf'",
		lab_anchor, tmpl, tmpl, lab_conf, tmpl, tmpl);
	cr_assert_eq(lab_run(&out, "%s", cmd), 0, "%s", out);
	free(out);
	snprintf(conf, sizeof(conf), "%s/unbound.conf", tmpl);
	cr_assert_not_null(getcwd(before, sizeof(before)));
	o.unbound_conf = conf;
	o.timeout = 10;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	cr_assert_not_null(getcwd(after, sizeof(after)));
	cr_expect_str_eq(after, before);
	cr_assert_eq(dk_lookup(r, "mail.secure.test", LDNS_RR_TYPE_A, &a, &d),
		     0, "%s", d.why);
	/* Secure only if the relative anchor was found in "directory:". */
	cr_expect_eq(dk_answer_status(a), DK_DNSSEC_SECURE);
	cr_assert_not_null(getcwd(after, sizeof(after)));
	cr_expect_str_eq(after, before);
	dk_answer_free(a);
	dk_resolver_free(r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	cr_expect_eq(lab_run(&out, "%s", cmd), 0);
	free(out);
}

/*
 * A trust anchor file the configuration names but that does not exist
 * fails in dk_resolver_new, before libunbound reads it: a missing input
 * (66 on the command line).
 */
Test(dnssec_lib, config_errors_show_at_creation)
{
	char tmpl[] = "/tmp/dk-bad.XXXXXX", conf[512];
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_diag d = { "" };
	FILE *f;

	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(conf, sizeof(conf), "%s/unbound.conf", tmpl);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f, "server:\n  trust-anchor-file: \"%s/missing.key\"\n", tmpl);
	fclose(f);
	o.unbound_conf = conf;
	cr_expect_eq(dk_resolver_new(&o, &r, &d), DK_ENOENT);
	cr_expect_null(r);
	cr_expect(strstr(d.why, "missing.key") != NULL, "%s", d.why);
	unlink(conf);
	rmdir(tmpl);
}

/* The outcomes besides a broken link (issue 9), through the library. */

static struct dk_chain *build_opts(struct dk_resolver *r, const char *name,
				   uint16_t type, const struct dk_chain_opts *o)
{
	struct dk_chain *ch = NULL;
	struct dk_diag d = { "" };

	cr_assert_eq(dk_chain_build_opts(r, name, type, o, &ch, &d), 0,
		     "%s: %s", name, d.why);
	cr_assert_not_null(dk_chain_diagnosis(ch));
	return ch;
}

/* unbound-host's verdict (it runs libunbound as danekit does). */
static int ub_host_says(const char *type, const char *name, const char *what)
{
	char *out = NULL;
	int yes;

	lab_run(&out, "unbound-host -C '%s' -v -t %s %s 2>&1", lab_conf, type,
		name);
	yes = strstr(out, what) != NULL;
	free(out);
	return yes;
}

Test(dnssec_lib, chain_servfail)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain_opts o = { 0 };
	struct dk_chain *ch = NULL;
	struct dk_diag d = { "" };
	const struct dk_chain_server *s;
	const struct dk_chain_link *l;

	cr_assert(ub_host_says("A", "mail.lame.test", "SERVFAIL"));
	/* dk_chain_build() keeps its contract: an error, no chain. */
	cr_expect_eq(
		dk_chain_build(r, "mail.lame.test", LDNS_RR_TYPE_A, 7, &ch, &d),
		DK_ESERVFAIL);
	cr_expect_null(ch);
	cr_expect(strstr(d.why, "SERVFAIL") != NULL, "%s", d.why);

	o.warn_days = 7;
	o.auth_port = (unsigned)atoi(dkt_lab("DK_LAB_PORT"));
	ch = build_opts(r, "mail.lame.test", LDNS_RR_TYPE_A, &o);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_INDETERMINATE);
	cr_expect_eq(dk_chain_outcome(ch), DK_CHAIN_OUTCOME_SERVFAIL);
	cr_expect_str_eq(dk_chain_outcome_name(dk_chain_outcome(ch)),
			 "servfail");
	cr_expect_str_eq(dk_chain_outcome_zone(ch), "lame.test.");
	cr_expect_str_eq(dk_chain_failed_query(ch), "mail.lame.test. A");
	cr_expect_eq(dk_chain_rcode(ch), LDNS_RCODE_SERVFAIL);
	cr_expect_null(dk_chain_get0_answer(ch));
	cr_expect_eq(dk_chain_disagrees(ch), 0);
	cr_expect(strncmp(dk_chain_diagnosis(ch), "could not finish: ", 18) ==
			  0,
		  "%s", dk_chain_diagnosis(ch));
	l = last_link(ch);
	cr_expect_eq(l->type, DK_CHAIN_ANSWER);
	cr_expect_eq(l->status, DK_DNSSEC_INDETERMINATE);
	cr_expect_eq(l->rcode, LDNS_RCODE_SERVFAIL);
	cr_expect_str_eq(l->zone, "lame.test.");
	cr_assert_eq(dk_chain_server_count(ch), 2);
	s = dk_chain_server(ch, 0);
	cr_expect_str_eq(s->zone, "test.");
	cr_expect_eq(s->state, DK_CHAIN_SERVER_REFERRAL);
	cr_expect_eq(s->rcode, LDNS_RCODE_NOERROR);
	cr_expect_eq(s->port, o.auth_port);
	s = dk_chain_server(ch, 1);
	cr_expect_str_eq(s->zone, "lame.test.");
	cr_expect_str_eq(s->name, "ns.lame.test.");
	cr_expect_str_eq(s->address, "127.53.0.99");
	cr_expect_str_eq(s->query, "mail.lame.test. A");
	cr_expect_eq(s->state, DK_CHAIN_SERVER_UNREACHABLE);
	cr_expect_eq(s->rcode, -1);
	cr_expect_null(dk_chain_server(ch, 2));
	dk_chain_free(ch);

	/* Nobody asked: the deepest zone of the walk is named. */
	o.auth_port = 0;
	o.no_auth_check = 1;
	ch = build_opts(r, "mail.lame.test", LDNS_RR_TYPE_A, &o);
	cr_expect_eq(dk_chain_outcome(ch), DK_CHAIN_OUTCOME_SERVFAIL);
	cr_expect_eq(dk_chain_server_count(ch), 0);
	cr_expect_str_eq(dk_chain_outcome_zone(ch), "lame.test.");
	dk_chain_free(ch);
	dk_resolver_free(r);
}

Test(dnssec_lib, chain_unsupported_algorithm)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain *ch;
	const struct dk_chain_link *l;

	if (!ub_host_says("A", "mail.ed448.test", "(insecure)")) {
		/* This libunbound validates Ed448: nothing to explain. */
		dk_resolver_free(r);
		return;
	}
	ch = build_opts(r, "mail.ed448.test", LDNS_RR_TYPE_A, NULL);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_INSECURE);
	cr_expect_eq(dk_chain_checked_status(ch), DK_DNSSEC_INSECURE);
	cr_expect_eq(dk_chain_disagrees(ch), 0);
	cr_expect_eq(dk_chain_outcome(ch),
		     DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM);
	cr_expect_eq(dk_chain_unsupported_algorithm(ch), 16);
	cr_expect_str_eq(dk_chain_outcome_zone(ch), "ed448.test.");
	l = dk_chain_link(ch, 1);
	cr_expect_eq(l->type, DK_CHAIN_ZONE);
	cr_expect_eq(l->status, DK_DNSSEC_INSECURE);
	/* ldns (OpenSSL) verifies what libunbound cannot. */
	cr_assert_geq(l->key_sig_count, 1);
	cr_expect_eq(l->key_sigs[0].state, DK_CHAIN_SIG_VALID);
	cr_expect_eq(l->key_sigs[0].algorithm, 16);
	dk_chain_free(ch);
	dk_resolver_free(r);
}

Test(dnssec_lib, chain_nsec3_iterations)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain *ch;
	const struct dk_chain_link *l;

	ch = build_opts(r, "nonexistent.iter.test", LDNS_RR_TYPE_A, NULL);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_INSECURE);
	cr_expect_eq(dk_chain_disagrees(ch), 0);
	cr_expect_eq(dk_chain_outcome(ch), DK_CHAIN_OUTCOME_NSEC3_ITERATIONS);
	cr_expect_eq(dk_chain_nsec3_iterations(ch), 200);
	cr_expect_eq(dk_chain_nsec3_iterations_limit(ch), 150);
	cr_expect_str_eq(dk_chain_outcome_zone(ch), "iter.test.");
	l = last_link(ch);
	cr_expect_eq(l->proof, DK_CHAIN_PROOF_NSEC3);
	cr_expect_eq(l->status, DK_DNSSEC_INSECURE);
	/* The proof itself verifies. */
	cr_assert_geq(l->proof_sig_count, 1);
	cr_expect_eq(l->proof_sigs[0].state, DK_CHAIN_SIG_VALID);
	dk_chain_free(ch);

	ch = build_opts(r, "nonexistent.nsec3.test", LDNS_RR_TYPE_A, NULL);
	cr_expect_eq(dk_chain_outcome(ch), DK_CHAIN_OUTCOME_SECURE);
	cr_expect_eq(dk_chain_nsec3_iterations(ch), -1);
	cr_expect_eq(dk_chain_nsec3_iterations_limit(ch), -1);
	dk_chain_free(ch);
	dk_resolver_free(r);
}

Test(dnssec_lib, chain_ds_missing)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain *ch;
	const struct dk_chain_link *l;
	int ksk = -1;

	ch = build_opts(r, "mail.nods.test", LDNS_RR_TYPE_A, NULL);
	cr_expect_eq(dk_chain_status(ch), DK_DNSSEC_INSECURE);
	cr_expect_eq(dk_chain_outcome(ch), DK_CHAIN_OUTCOME_DS_MISSING);
	cr_expect_str_eq(dk_chain_outcome_zone(ch), "nods.test.");
	l = dk_chain_link(ch, 1);
	cr_expect_eq(l->type, DK_CHAIN_INSECURE_DELEGATION);
	cr_assert_eq(l->key_count, 2);
	for (size_t i = 0; i < l->key_count; i++) {
		if (l->keys[i].flags == 257) {
			ksk = (int)i;
		}
	}
	cr_assert_geq(ksk, 0);
	cr_assert_eq(dk_chain_missing_ds_count(ch), 1);
	{
		char want[64];

		snprintf(want, sizeof(want), " IN DS %u 13 2 ",
			 l->keys[ksk].key_tag);
		cr_expect(strstr(dk_chain_missing_ds(ch, 0), want) != NULL,
			  "%s", dk_chain_missing_ds(ch, 0));
	}
	cr_expect_null(dk_chain_missing_ds(ch, 1));
	dk_chain_free(ch);

	/* An unsigned child: no keys, no DS to add. */
	ch = build_opts(r, "mail.insecure.test", LDNS_RR_TYPE_A, NULL);
	cr_expect_eq(dk_chain_outcome(ch), DK_CHAIN_OUTCOME_UNSIGNED);
	cr_expect_eq(dk_chain_link(ch, 1)->key_count, 0);
	cr_expect_eq(dk_chain_missing_ds_count(ch), 0);
	dk_chain_free(ch);
	dk_resolver_free(r);
}

Test(dnssec_lib, chain_ttl_as_served)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain *ch;
	size_t n;

	ch = build_opts(r, "_25._tcp.mail.tampered.test", LDNS_RR_TYPE_TLSA,
			NULL);
	n = dk_chain_link_count(ch);
	cr_expect_eq(dk_chain_outcome(ch), DK_CHAIN_OUTCOME_BROKEN);
	/* zone.in: $TTL 3600; val-bogus-ttl: 60 (unbound's default). */
	cr_expect_eq(dk_chain_link_ttl(ch, n - 1), 3600);
	cr_expect_eq(dk_chain_link_resolver_ttl(ch, n - 1), 60);
	cr_expect(strstr(last_link(ch)->records[0], " 3600 IN TLSA ") != NULL,
		  "%s", last_link(ch)->records[0]);
	/* The DNSKEY RRset of the zone link. */
	cr_expect_eq(dk_chain_link_ttl(ch, 1), 3600);
	cr_expect_eq(dk_chain_link_ttl(ch, n), -1);
	dk_chain_free(ch);
	dk_resolver_free(r);
}

Test(dnssec_lib, chain_outcomes_null_and_invalid)
{
	struct dk_resolver *r = lab_resolver();
	struct dk_chain_opts o = { 0 };
	struct dk_chain *ch = NULL;
	struct dk_diag d = { "" };

	cr_expect_eq(dk_chain_build_opts(NULL, "a.test", 1, &o, &ch, &d),
		     DK_EINVAL);
	cr_expect_eq(dk_chain_build_opts(r, NULL, 1, &o, &ch, &d), DK_EINVAL);
	cr_expect_eq(dk_chain_build_opts(r, "a.test", 0, &o, &ch, &d),
		     DK_EINVAL);
	cr_expect_eq(dk_chain_build_opts(r, "a.test", 1, &o, NULL, &d),
		     DK_EINVAL);
	o.warn_days = -1;
	cr_expect_eq(dk_chain_build_opts(r, "a.test", 1, &o, &ch, &d),
		     DK_EINVAL);
	o.warn_days = 0;
	o.auth_port = 65536;
	cr_expect_eq(dk_chain_build_opts(r, "a.test", 1, &o, &ch, NULL),
		     DK_EINVAL);
	cr_expect_null(ch);
	cr_expect_eq(dk_chain_outcome(NULL), DK_CHAIN_OUTCOME_UNKNOWN);
	cr_expect_null(dk_chain_outcome_zone(NULL));
	cr_expect_null(dk_chain_failed_query(NULL));
	cr_expect_eq(dk_chain_server_count(NULL), 0);
	cr_expect_null(dk_chain_server(NULL, 0));
	cr_expect_eq(dk_chain_unsupported_algorithm(NULL), 0);
	cr_expect_eq(dk_chain_nsec3_iterations(NULL), -1);
	cr_expect_eq(dk_chain_nsec3_iterations_limit(NULL), -1);
	cr_expect_eq(dk_chain_missing_ds_count(NULL), 0);
	cr_expect_null(dk_chain_missing_ds(NULL, 0));
	cr_expect_eq(dk_chain_link_ttl(NULL, 0), -1);
	cr_expect_eq(dk_chain_link_resolver_ttl(NULL, 0), -1);
	cr_expect_str_eq(dk_chain_outcome_name((enum dk_chain_outcome)99), "?");
	cr_expect_str_eq(dk_chain_outcome_name(DK_CHAIN_OUTCOME_DS_MISSING),
			 "ds-missing");
	cr_expect_str_eq(
		dk_chain_server_state_name((enum dk_chain_server_state)99),
		"?");
	cr_expect_str_eq(dk_chain_server_state_name(DK_CHAIN_SERVER_TIMEOUT),
			 "timeout");
	/* NULL options: all zero. */
	ch = build_opts(r, "mail.secure.test", LDNS_RR_TYPE_A, NULL);
	cr_expect_eq(dk_chain_outcome(ch), DK_CHAIN_OUTCOME_SECURE);
	cr_expect_null(dk_chain_failed_query(ch));
	cr_expect_eq(dk_chain_warn_days(ch), 0);
	dk_chain_free(ch);
	dk_resolver_free(r);
}

/*
 * The resolver set-up fails closed, in the library: files are checked
 * before libunbound sees them (libunbound would exit() on a folder given
 * as its unbound.conf, which would end this test process), and the
 * self-test refuses an anchor that does not validate its own zone.
 */
Test(dnssec_lib, setup_fails_closed)
{
	char tmpl[] = "/tmp/dk-fc.XXXXXX", p[512], conf[512], *out = NULL;
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_answer *a = NULL;
	struct dk_diag d = { "" };

	lab_init();
	cr_assert_not_null(mkdtemp(tmpl));
	o.unbound_conf = tmpl;
	cr_expect_eq(dk_resolver_new(&o, &r, &d), DK_EISDIR, "%s", d.why);
	cr_expect_null(r);
	o.unbound_conf = "/dev/null";
	cr_expect_eq(dk_resolver_new(&o, &r, &d), DK_EIO, "%s", d.why);
	o.unbound_conf = lab_conf;
	o.anchor_file = tmpl;
	cr_expect_eq(dk_resolver_new(&o, &r, &d), DK_EISDIR, "%s", d.why);
	snprintf(p, sizeof(p), "%s/empty.key", tmpl);
	cr_assert_eq(lab_run(NULL, ": > '%s'", p), 0);
	o.anchor_file = p;
	cr_expect_eq(dk_resolver_new(&o, &r, &d), DK_EDATA, "%s", d.why);

	/* A conf without anchor: DK_ENOANCHOR, not "insecure". */
	snprintf(conf, sizeof(conf), "%s/noanchor.conf", tmpl);
	cr_assert_eq(lab_run(NULL, "grep -v trust-anchor '%s' > '%s'", lab_conf,
			     conf),
		     0);
	o.unbound_conf = conf;
	o.anchor_file = NULL;
	cr_expect_eq(dk_resolver_new(&o, &r, &d), DK_ENOANCHOR, "%s", d.why);

	/* A DS that matches no key: DK_EUNFIT, unless skipped on purpose. */
	snprintf(p, sizeof(p), "%s/wrong.key", tmpl);
	cr_assert_eq(
		lab_run(&out,
			"sed 's/ 2 [0-9a-f]/ 2 0/' '%s' > '%s' && ! cmp -s "
			"'%s' '%s' || sed 's/ 2 0/ 2 1/' '%s' > '%s'",
			lab_anchor, p, lab_anchor, p, lab_anchor, p),
		0);
	free(out);
	o.anchor_file = p;
	o.timeout = 10;
	cr_expect_eq(dk_resolver_new(&o, &r, &d), DK_EUNFIT, "%s", d.why);
	cr_expect(strstr(d.why, "bogus") != NULL, "%s", d.why);
	cr_expect_null(r);
	o.no_selftest = 1;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	cr_assert_eq(dk_lookup(r, "mail.secure.test", LDNS_RR_TYPE_A, &a, &d),
		     0, "%s", d.why);
	cr_expect_eq(dk_answer_status(a), DK_DNSSEC_BOGUS);
	dk_answer_free(a);
	cr_expect_eq(dk_resolver_selftest(r, &d), DK_EUNFIT);
	dk_resolver_free(r);
	lab_run(NULL, "rm -rf '%s'", tmpl);
}

Test(dnssec_lib, forwarder_syntax)
{
	static const char *const bad[] = {
		"",	      "127.0.0.1@0",   "127.0.0.1@65536",
		"127.0.0.1@", "127.0.0.1@+53", "name.test",
		"[::1]:53",   "1.2.3.4@53@53"
	};
	static const char *const good[] = { "127.0.0.1", "127.0.0.1@65535",
					    "::1@1", "::1" };
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_diag d = { "" };

	lab_init();
	o.unbound_conf = lab_conf;
	o.no_selftest = 1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.forwarder = bad[i];
		d.why[0] = '\0';
		cr_expect_eq(dk_resolver_new(&o, &r, &d), DK_EINVAL, "'%s'",
			     bad[i]);
		cr_expect(strstr(d.why, "--resolver") != NULL, "%s", d.why);
		cr_expect_null(r);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		o.forwarder = good[i];
		cr_expect_eq(dk_resolver_new(&o, &r, &d), 0, "'%s': %s",
			     good[i], d.why);
		dk_resolver_free(r);
		r = NULL;
	}
}

static void pending_cb(void *arg, int err, struct dk_answer *answer)
{
	*(int *)arg = err == 0 ? 1 : err;
	dk_answer_free(answer);
}

/* The self-test waits for its own lookups only. */
Test(dnssec_lib, selftest_leaves_other_lookups)
{
	char tmpl[] = "/tmp/dk-st.XXXXXX", conf[512];
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_diag d = { "" };
	int other = 0;

	lab_init();
	cr_assert_not_null(mkdtemp(tmpl));
	/* dead.test. goes to a port nobody answers. */
	snprintf(conf, sizeof(conf), "%s/unbound.conf", tmpl);
	cr_assert_eq(lab_run(NULL,
			     "{ cat '%s'; printf 'forward-zone:\\n  name: "
			     "dead.test.\\n  forward-addr: 127.0.0.1@9\\n'; } "
			     "> '%s'",
			     lab_conf, conf),
		     0);
	o.unbound_conf = conf;
	o.timeout = 3;
	o.no_selftest = 1;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	cr_assert_eq(dk_lookup_async(r, "x.dead.test", LDNS_RR_TYPE_A,
				     pending_cb, &other),
		     0);
	cr_expect_eq(dk_resolver_selftest(r, &d), 0, "%s", d.why);
	cr_expect_eq(other, 0);
	cr_expect_eq(dk_resolver_pending(r), 1);
	cr_expect_eq(dk_resolver_wait(r), 0);
	cr_expect_neq(other, 0);
	dk_resolver_free(r);
	lab_run(NULL, "rm -rf '%s'", tmpl);
}

Test(dnssec_lib, doctor_api)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_doctor *doc = NULL;
	struct dk_diag d = { "" };
	int64_t skew = 1;
	int i;

	/* NULL and invalid arguments. */
	cr_expect_eq(dk_resolver_selftest(NULL, &d), DK_EINVAL);
	cr_expect_eq(dk_doctor_run(NULL, NULL, 0, &doc, &d), DK_EINVAL);
	cr_expect_eq(dk_doctor_run(&o, NULL, 0, NULL, &d), DK_EINVAL);
	cr_expect_eq(dk_doctor_run(&o, "bad name", 0, &doc, &d), DK_EINVAL);
	o.forwarder = "127.0.0.1@0";
	cr_expect_eq(dk_doctor_run(&o, NULL, 0, &doc, &d), DK_EINVAL);
	cr_expect_null(doc);
	dk_doctor_free(NULL);
	cr_expect_eq(dk_doctor_verdict(NULL), DK_DOCTOR_UNKNOWN);
	cr_expect_eq(dk_doctor_check_count(NULL), 0);
	cr_expect_null(dk_doctor_check_id(NULL, 0));
	cr_expect_eq(dk_doctor_check_status(NULL, 0), DK_DOCTOR_UNKNOWN);
	cr_expect_null(dk_doctor_check_why(NULL, 0));
	cr_expect_eq(dk_doctor_check_detail_count(NULL, 0), 0);
	cr_expect_null(dk_doctor_check_detail(NULL, 0, 0));
	cr_expect_eq(dk_doctor_check_find(NULL, "anchor"), -1);
	cr_expect_eq(dk_doctor_time(NULL), 0);
	cr_expect_null(dk_doctor_name(NULL));
	cr_expect_eq(dk_doctor_anchor_count(NULL), 0);
	cr_expect_null(dk_doctor_anchor_zone(NULL, 0));
	cr_expect_null(dk_doctor_anchor_file(NULL, 0));
	cr_expect_null(dk_doctor_anchor_source(NULL, 0));
	cr_expect_null(dk_doctor_anchor_conf(NULL, 0));
	cr_expect_eq(dk_doctor_anchor_rfc5011(NULL, 0), 0);
	cr_expect_eq(dk_doctor_anchor_mtime(NULL, 0), 0);
	cr_expect_eq(dk_doctor_anchor_last_queried(NULL, 0), 0);
	cr_expect_eq(dk_doctor_anchor_last_success(NULL, 0), 0);
	cr_expect_eq(dk_doctor_algorithm_count(NULL), 0);
	cr_expect_eq(dk_doctor_algorithm(NULL, 0), 0);
	cr_expect_eq(dk_doctor_algorithm_validates(NULL, 0), DK_ERANGE);
	cr_expect_eq(dk_doctor_clock_skew(NULL, &skew), 0);
	cr_expect_eq(dk_doctor_udp(NULL), -1);
	cr_expect_eq(dk_doctor_tcp(NULL), -1);
	cr_expect_null(dk_doctor_transport_via(NULL));
	cr_expect_eq(dk_doctor_nsec3_iterations(NULL), -1);
	cr_expect_eq(dk_doctor_nsec3_limit(NULL), -1);
	cr_expect_str_eq(dk_doctor_status_name(DK_DOCTOR_WARNING), "warning");
	cr_expect_str_eq(dk_doctor_status_name((enum dk_doctor_status)9), "?");
	/* RFC 8624 section 3.1: every validator does 8 and 13. */
	cr_expect_eq(dk_dnssec_algorithm_validates(99, &d), DK_ERANGE);
	cr_expect_eq(dk_dnssec_algorithm_validates(8, &d), 1, "%s", d.why);
	cr_expect_eq(dk_dnssec_algorithm_validates(13, &d), 1, "%s", d.why);

	/* The lab is fit; its anchor is read back. */
	lab_init();
	o.forwarder = NULL;
	o.unbound_conf = lab_conf;
	cr_assert_eq(dk_doctor_run(&o, "mail.secure.test", 0, &doc, &d), 0,
		     "%s", d.why);
	cr_expect_neq(dk_doctor_verdict(doc), DK_DOCTOR_FAIL);
	cr_expect_neq(dk_doctor_verdict(doc), DK_DOCTOR_UNKNOWN);
	i = dk_doctor_check_find(doc, "selftest");
	cr_assert_geq(i, 0);
	cr_expect_eq(dk_doctor_check_status(doc, (size_t)i), DK_DOCTOR_OK, "%s",
		     dk_doctor_check_why(doc, (size_t)i));
	cr_expect_geq(dk_doctor_check_find(doc, "name"), 0);
	cr_expect_str_eq(dk_doctor_name(doc), "mail.secure.test");
	cr_assert_eq(dk_doctor_anchor_count(doc), 1);
	cr_expect_str_eq(dk_doctor_anchor_zone(doc, 0), "test.");
	cr_expect_str_eq(dk_doctor_anchor_file(doc, 0), lab_anchor);
	cr_expect_str_eq(dk_doctor_anchor_source(doc, 0), "trust-anchor-file");
	cr_expect_eq(dk_doctor_clock_skew(doc, &skew), 1);
	cr_expect_eq(skew, 0);
	cr_expect_eq(dk_doctor_udp(doc), 1);
	cr_expect_eq(dk_doctor_tcp(doc), 1);
	cr_expect_eq(dk_doctor_algorithm_count(doc), 8);
	cr_expect_null(dk_doctor_check_id(doc, 99));
	dk_doctor_free(doc);
}

/* The public, ldns-free view of an answer, against unbound-host's. */
Test(dnssec_lib, answer_records_without_ldns)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_answer *a = NULL;
	struct dk_diag d = { "" };
	char buf[16], cmd[2048], *text, line[512], want[512];
	uint8_t *rd = NULL;
	size_t len = 0;
	FILE *p;

	lab_init();
	o.unbound_conf = lab_conf;
	o.timeout = 10;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	cr_assert_eq(dk_lookup(r, "_25._tcp.mail.secure.test", DK_RR_TYPE_TLSA,
			       &a, &d),
		     0, "%s", d.why);
	cr_assert_gt(dk_answer_count(a), 0);
	/* the first record as unbound-host prints it */
	snprintf(cmd, sizeof(cmd),
		 "unbound-host -C %s -t TLSA _25._tcp.mail.secure.test | "
		 "sed -n 's/.* has TLSA record //p' | tr A-F a-f",
		 lab_conf);
	p = popen(cmd, "r");
	cr_assert(p);
	text = dk_answer_record_text(a, 0);
	cr_assert(text && strstr(text, " IN TLSA "), "%s", text);
	{
		int found = 0;
		char *rdata = strstr(text, " IN TLSA ") + 9;

		for (char *c = rdata; *c; c++) {
			if (*c >= 'A' && *c <= 'F') {
				*c = (char)(*c - 'A' + 'a');
			}
		}
		while (fgets(line, sizeof(line), p)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(want, sizeof(want), "%s", line);
			found |= strcmp(want, rdata) == 0;
		}
		cr_assert(found, "%s not listed by unbound-host", rdata);
	}
	pclose(p);
	/* the wire RDATA is the same record: its usage byte */
	cr_assert_eq(dk_answer_record_rdata(a, 0, &rd, &len), 0);
	cr_assert_geq(len, 3);
	cr_assert_eq(rd[0], atoi(strstr(text, " IN TLSA ") + 9), "usage %u: %s",
		     rd[0], text);
	free(rd);
	free(text);
	cr_assert_eq(dk_answer_record_rdata(a, 99, &rd, &len), DK_EINVAL);
	cr_assert_null(dk_answer_record_text(a, 99));
	cr_assert_eq(dk_answer_cname_count(a), 0);
	dk_answer_free(a);
	/* a CNAME on the way (secure.test: alias CNAMEs, testzones/lab) */
	cr_assert_eq(dk_lookup(r, "cname.secure.test", DK_RR_TYPE_A, &a, &d), 0,
		     "%s", d.why);
	cr_assert_gt(dk_answer_cname_count(a), 0);
	text = dk_answer_cname_text(a, 0);
	cr_assert(text && strstr(text, " IN CNAME "), "%s", text);
	free(text);
	dk_answer_free(a);
	dk_resolver_free(r);
	/* names by RFC: TLSA is 52 (RFC 6698), unknown types per RFC 3597 */
	cr_assert_str_eq(dk_rr_type_name(52, buf, sizeof(buf)), "TLSA");
	cr_assert_str_eq(dk_rr_type_name(65000, buf, sizeof(buf)), "TYPE65000");
	cr_assert_str_eq(dk_rcode_name(DK_RCODE_NXDOMAIN), "NXDOMAIN");
	cr_assert_str_eq(dk_dnssec_algorithm_name(13), "ECDSAP256SHA256");
	cr_assert_null(dk_dnssec_algorithm_name(255));
	cr_assert_eq(dk_answer_count(NULL), 0);
}
