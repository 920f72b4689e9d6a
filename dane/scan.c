/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scans: check smtp over many domains on one libevent loop.
 *
 * Each domain is a job that runs check_smtp_round() (the code of
 * dk_dane_check_smtp()) as a restartable step: its lookups go through the
 * memo of the event resolver (dnssec/internal.h), its probes through the
 * cache of the scan. A lookup or a probe that is not at hand is started on
 * the loop and the round is void; once everything the round missed is in,
 * the round runs again with those answers at hand. A round that missed
 * nothing is the domain's report.
 *
 * The probe cache: each MX host x address x key type (and the records
 * handed to OpenSSL, see probe_key()) is probed once per run while its
 * outcome is in the cache; the cache keeps the newest @cache_entries
 * outcomes (least recently used out). A probe in flight is shared by
 * every domain that asks for it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <event2/event.h>

#include "dane/internal.h"
#include "dnssec/internal.h"
#include "dane/check.h"

/* After this many rounds a domain gets no new lookups or probes (what
 * is missing then counts as timed out): a round never loops forever. */
#define MAX_ROUNDS 40
#define NBUCKETS 4096

struct waiter {
	struct waiter *next;
	struct dki_scan_job *job;
};

/* A probe outcome kept, or a probe in flight (@p set). */
struct entry {
	struct entry *hnext;	     /* hash chain */
	struct entry *older, *newer; /* LRU list of finished entries */
	struct dk_scan *s;
	char *key;
	size_t hash;
	struct dki_probe *p;
	struct waiter *waiters;
	struct probe_out out;
};

struct dki_scan_job {
	struct dki_scan_job *prev, *next;
	struct dk_scan *s;
	char *domain;
	struct dki_memo *m;
	struct event *kick;
	size_t waiting; /* probes in flight this job waits for */
	size_t missed;	/* probes missed in this round */
	int rounds;
	int offline;
};

/* A TLSA RRset kept (scan_tlsa_lookup()). */
struct tlsa_entry {
	struct tlsa_entry *hnext, *fnext;
	size_t hash;
	char *owner;
	struct dk_tlsa_rrset *set;
	time_t until; /* kept so long: TLSA_SECONDS, never past the TTL */
};

#define TLSA_KEPT 8192
#define TLSA_SECONDS 300

struct dk_scan {
	struct dk_resolver *r;
	struct event_base *base;
	struct dk_scan_opts o;
	SSL_CTX *ctx;
	dk_scan_cb cb;
	void *arg;
	struct entry *buckets[NBUCKETS];
	struct entry *oldest, *newest;
	size_t nkept;
	struct dki_scan_job *jobs;
	size_t nactive;
	struct dk_scan_stats st;
	/* TLSA RRsets by owner; oldest first for the bound */
	struct tlsa_entry *tlsa[NBUCKETS];
	struct tlsa_entry *tlsa_oldest, *tlsa_newest;
	size_t ntlsa;
};

static size_t hash_key(const char *k)
{
	size_t h = 1469598103934665603ULL;

	for (; *k; k++) {
		h = (h ^ (unsigned char)*k) * 1099511628211ULL;
	}
	return h;
}

static struct entry *find(struct dk_scan *s, const char *key, size_t h)
{
	for (struct entry *e = s->buckets[h % NBUCKETS]; e; e = e->hnext) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			return e;
		}
	}
	return NULL;
}

static void lru_unlink(struct dk_scan *s, struct entry *e)
{
	if (e->older) {
		e->older->newer = e->newer;
	} else if (s->oldest == e) {
		s->oldest = e->newer;
	}
	if (e->newer) {
		e->newer->older = e->older;
	} else if (s->newest == e) {
		s->newest = e->older;
	}
	e->older = e->newer = NULL;
}

static void lru_push(struct dk_scan *s, struct entry *e)
{
	e->older = s->newest;
	e->newer = NULL;
	if (s->newest) {
		s->newest->newer = e;
	} else {
		s->oldest = e;
	}
	s->newest = e;
}

static void entry_free(struct entry *e)
{
	struct waiter *w, *next;

	if (!e) {
		return;
	}
	for (w = e->waiters; w; w = next) {
		next = w->next;
		free(w);
	}
	probe_sm_free(e->p);
	sk_X509_pop_free(e->out.chain, X509_free);
	free(e->out.md);
	free(e->key);
	free(e);
}

static void entry_remove(struct dk_scan *s, struct entry *e)
{
	struct entry **pp = &s->buckets[e->hash % NBUCKETS];

	while (*pp && *pp != e) {
		pp = &(*pp)->hnext;
	}
	if (*pp) {
		*pp = e->hnext;
	}
	if (!e->p) {
		lru_unlink(s, e);
		s->nkept--;
	}
	entry_free(e);
}

/* Wake @job when nothing it waits for is in flight any more. */
static void job_wake(struct dki_scan_job *job)
{
	if (job->waiting == 0 && dki_memo_inflight(job->m) == 0) {
		event_active(job->kick, EV_TIMEOUT, 1);
	}
}

static void probe_done(struct dki_probe *p, void *arg)
{
	struct entry *e = arg;
	struct dk_scan *s = e->s;
	struct waiter *w, *next;

	probe_sm_take(p, &e->out);
	probe_sm_free(p);
	e->p = NULL;
	s->st.probes++;
	lru_push(s, e);
	s->nkept++;
	for (w = e->waiters; w; w = next) {
		next = w->next;
		w->job->waiting--;
		job_wake(w->job);
		free(w);
	}
	e->waiters = NULL;
	while (s->nkept > s->o.cache_entries && s->oldest && s->oldest != e) {
		entry_remove(s, s->oldest);
	}
}

static int copy_out(const struct probe_out *from, struct probe_out *to)
{
	*to = *from;
	to->chain = NULL;
	to->md = NULL;
	if (from->chain && !(to->chain = X509_chain_up_ref(from->chain))) {
		return -1;
	}
	if (from->md) {
		to->md = malloc(from->mdl ? from->mdl : 1);
		if (!to->md) {
			return -1;
		}
		memcpy(to->md, from->md, from->mdl);
	}
	return 0;
}

void scan_probe(struct ck *k, const char *key, SSL *ssl, const char *address,
		unsigned port, enum dk_starttls proto, int dane,
		const char *ehlo, struct probe_out *out)
{
	struct dki_scan_job *job = k->job;
	struct dk_scan *s = job->s;
	size_t h = hash_key(key);
	struct entry *e = find(s, key, h);
	struct waiter *w;

	if (e && !e->p) {
		SSL_free(ssl);
		s->st.cache_hits++;
		lru_unlink(s, e);
		lru_push(s, e);
		if (copy_out(&e->out, out) < 0) {
			out->nomem = 1;
		}
		return;
	}
	out->missed = 1;
	out->status = DK_ADDR_TIMEOUT;
	snprintf(out->why, sizeof(out->why), "the probe is awaited");
	job->missed++;
	if (job->offline) {
		SSL_free(ssl);
		snprintf(out->why, sizeof(out->why),
			 "no answer within the time-out");
		job->missed--;
		out->missed = 0;
		return;
	}
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->key = strdup(key))) {
			free(e);
			SSL_free(ssl);
			out->nomem = 1;
			return;
		}
		e->s = s;
		e->hash = h;
		if (probe_sm_start(s->base, ssl, address, port, proto, dane,
				   ehlo, k->timeout, probe_done, e,
				   &e->p) < 0) {
			free(e->key);
			free(e);
			out->nomem = 1;
			return;
		}
		e->hnext = s->buckets[h % NBUCKETS];
		s->buckets[h % NBUCKETS] = e;
	} else {
		SSL_free(ssl); /* joins the probe another domain started */
	}
	for (w = e->waiters; w; w = w->next) {
		if (w->job == job) {
			return;
		}
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		out->nomem = 1;
		return;
	}
	w->job = job;
	w->next = e->waiters;
	e->waiters = w;
	job->waiting++;
}

static void tlsa_drop_oldest(struct dk_scan *s)
{
	struct tlsa_entry *e = s->tlsa_oldest, **pp;

	if (!e) {
		return;
	}
	s->tlsa_oldest = e->fnext;
	if (!s->tlsa_oldest) {
		s->tlsa_newest = NULL;
	}
	pp = &s->tlsa[e->hash % NBUCKETS];
	while (*pp && *pp != e) {
		pp = &(*pp)->hnext;
	}
	if (*pp) {
		*pp = e->hnext;
	}
	dk_tlsa_rrset_free(e->set);
	free(e->owner);
	free(e);
	s->ntlsa--;
}

int scan_tlsa_lookup(struct ck *k, const char *owner,
		     struct dk_tlsa_rrset **ret, struct dk_diag *diag)
{
	struct dk_scan *s = k->job->s;
	size_t h = hash_key(owner), before;
	struct tlsa_entry *e;
	uint32_t ttl;
	int err;

	for (e = s->tlsa[h % NBUCKETS]; e; e = e->hnext) {
		if (e->hash == h && strcasecmp(e->owner, owner) == 0 &&
		    time(NULL) < e->until) {
			s->st.tlsa_hits++;
			*ret = dki_tlsa_rrset_ref(e->set);
			return 0;
		}
	}
	before = dki_memo_missed(k->job->m);
	err = dk_tlsa_lookup(k->res, owner, ret, diag);
	if (err < 0 || dki_memo_missed(k->job->m) != before ||
	    k->job->offline) {
		return err; /* not final: not kept */
	}
	ttl = dki_answer_keep_ttl(
		dk_chain_get0_answer(dk_tlsa_rrset_get0_chain(*ret)));
	if (ttl == 0) {
		return 0; /* not to be kept */
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->owner = strdup(owner))) {
		free(e);
		return 0;
	}
	e->hash = h;
	e->until =
		time(NULL) + (ttl < TLSA_SECONDS ? (time_t)ttl : TLSA_SECONDS);
	e->set = dki_tlsa_rrset_ref(*ret);
	e->hnext = s->tlsa[h % NBUCKETS];
	s->tlsa[h % NBUCKETS] = e;
	if (s->tlsa_newest) {
		s->tlsa_newest->fnext = e;
	} else {
		s->tlsa_oldest = e;
	}
	s->tlsa_newest = e;
	if (++s->ntlsa > TLSA_KEPT) {
		tlsa_drop_oldest(s);
	}
	return 0;
}

static void job_free(struct dki_scan_job *job)
{
	struct dk_scan *s = job->s;

	if (job->prev) {
		job->prev->next = job->next;
	} else if (s->jobs == job) {
		s->jobs = job->next;
	}
	if (job->next) {
		job->next->prev = job->prev;
	}
	s->nactive--;
	dki_memo_free(job->m);
	if (job->kick) {
		event_free(job->kick);
	}
	free(job->domain);
	free(job);
}

/* One round of @job; the last one hands the report over. */
static void job_run(struct dki_scan_job *job)
{
	struct dk_scan *s = job->s;
	struct dk_dane_report *rep = NULL;
	struct dk_diag diag = { "" };
	size_t missed;
	int e;

	job->rounds++;
	s->st.rounds++;
	if (job->rounds > MAX_ROUNDS && !job->offline) {
		job->offline = 1;
		dki_memo_offline(job->m);
	}
	job->missed = 0;
	dki_memo_begin(job->m);
	e = check_smtp_round(s->r, job->domain, &s->o.dane, NULL, s->ctx, job,
			     &rep, &diag);
	missed = dki_memo_end(job->m) + job->missed;
	if (missed > 0 && e != DK_ENOMEM) {
		dk_dane_report_free(rep);
		job_wake(job); /* (already in: another round at once) */
		return;
	}
	s->st.done++;
	{
		dk_scan_cb cb = s->cb;
		void *arg = s->arg;
		char *domain = job->domain;

		job->domain = NULL;
		job_free(job);
		cb(arg, domain, e, e < 0 ? NULL : rep, &diag);
		free(domain);
	}
}

static void job_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	job_run(arg);
}

static void memo_ready(void *arg)
{
	struct dki_scan_job *job = arg;

	if (job->waiting == 0) {
		job_run(job);
	}
}

int dk_scan_new(struct dk_resolver *resolver, const struct dk_scan_opts *opts,
		dk_scan_cb cb, void *arg, struct dk_scan **ret_scan)
{
	struct dk_scan *s;

	if (!resolver || !cb || !ret_scan ||
	    !dk_resolver_get0_event_base(resolver)) {
		return DK_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		return DK_ENOMEM;
	}
	if (opts) {
		s->o = *opts;
	}
	if (s->o.concurrency == 0) {
		s->o.concurrency = DK_SCAN_CONCURRENCY;
	}
	if (s->o.cache_entries == 0) {
		s->o.cache_entries = DK_SCAN_CACHE_ENTRIES;
	}
	s->r = resolver;
	s->base = dk_resolver_get0_event_base(resolver);
	s->cb = cb;
	s->arg = arg;
	s->ctx = check_ssl_ctx();
	if (!s->ctx) {
		ERR_clear_error();
		free(s);
		return DK_ECRYPTO;
	}
	*ret_scan = s;
	return 0;
}

int dk_scan_add(struct dk_scan *s, const char *domain, struct dk_diag *diag)
{
	struct dki_scan_job *job;
	int e;

	if (!s || !domain) {
		return DK_EINVAL;
	}
	e = dki_check_name(domain, diag);
	if (e < 0) {
		return e;
	}
	job = calloc(1, sizeof(*job));
	if (!job) {
		return DK_ENOMEM;
	}
	job->s = s;
	job->domain = strdup(domain);
	job->kick = event_new(s->base, -1, 0, job_kick, job);
	if (!job->domain || !job->kick ||
	    dki_memo_new(s->r, memo_ready, job, &job->m) < 0) {
		if (job->kick) {
			event_free(job->kick);
		}
		free(job->domain);
		free(job);
		return DK_ENOMEM;
	}
	job->next = s->jobs;
	if (s->jobs) {
		s->jobs->prev = job;
	}
	s->jobs = job;
	s->nactive++;
	s->st.added++;
	/* the first round runs from the loop */
	event_active(job->kick, EV_TIMEOUT, 1);
	return 0;
}

size_t dk_scan_active(const struct dk_scan *s)
{
	return s ? s->nactive : 0;
}

size_t dk_scan_concurrency(const struct dk_scan *s)
{
	return s ? s->o.concurrency : 0;
}

int dk_scan_run(struct dk_scan *s, int once)
{
	if (!s) {
		return DK_EINVAL;
	}
	while (s->nactive > 0) {
		if (event_base_loop(s->base, EVLOOP_ONCE) < 0) {
			return DK_EINVAL;
		}
		if (once) {
			break;
		}
	}
	return 0;
}

void dk_scan_get_stats(const struct dk_scan *s, struct dk_scan_stats *ret)
{
	if (s && ret) {
		*ret = s->st;
		ret->cached = s->nkept;
	}
}

void dk_scan_free(struct dk_scan *s)
{
	if (!s) {
		return;
	}
	while (s->jobs) {
		job_free(s->jobs);
	}
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct entry *e = s->buckets[i], *next;

		for (; e; e = next) {
			next = e->hnext;
			entry_free(e);
		}
	}
	while (s->tlsa_oldest) {
		tlsa_drop_oldest(s);
	}
	SSL_CTX_free(s->ctx);
	free(s);
}
