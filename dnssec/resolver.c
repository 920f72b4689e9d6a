/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Validated lookups through libunbound: the resolver context, synchronous
 * and asynchronous queries with a time limit, and the answer object.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <unbound-event.h>
#include <unbound.h>

#include "dnssec/internal.h"

struct pending {
	struct pending *next;
	struct dk_resolver *resolver;
	int async_id;
	double deadline;
	char *name;
	uint16_t type;
	dk_lookup_cb cb;
	void *arg;
	int done; /* set by the libunbound callback */
	/* Event resolvers: the list of lookups in flight, the timer of the
	 * time-out (also used to deliver an answer from the loop), the
	 * outcome until it is delivered, and the memo entry it fills. */
	struct pending *prev;
	struct event *ev;
	int starting; /* inside ub_resolve_event() */
	int err;
	struct dk_answer *answer;
	struct memo_entry *memo;
	int deferred; /* held back by the token bucket (--qps), not sent */
	/*
	 * The same name and type asked again while a lookup is in flight
	 * joins it (libunbound's event interface may leave the callback of
	 * a duplicate query unanswered): the first is the leader, sent;
	 * followers get a copy of its outcome. @lnext chains the leaders in
	 * flight in the resolver's table.
	 */
	struct pending *leader, *followers, *fnext, *fprev, *lnext;
	int follower;
	int in_table;
	/* ev_orphan(): its owner went; it stays in flight for its
	 * followers, and frees itself once done */
	int orphan;
};

struct dk_resolver {
	struct ub_ctx *ctx;
	FILE *log; /* libunbound's log: /dev/null once set up */
	double timeout;
	struct pending *pending;
	size_t npending;
	struct dki_setup setup; /* the anchors and where they come from */
	char *anchor_warning;	/* libunbound's warnings about anchors */
	/* Event resolvers (dk_resolver_new_event()): the loop, whether it
	 * is ours, the lookups in flight on it, the restartable step whose
	 * answers are at hand (dki_resolver_set_memo()), how many lookups
	 * were not answered from the cache, and callbacks run by the last
	 * dk_resolver_process(). */
	struct event_base *base;
	int own_base;
	struct pending *evq;
	struct dki_memo *memo;
	uint64_t nnetwork;
	int nrun;
	int cb_depth; /* inside a callback run from the loop */
	/* the token bucket of dk_resolver_set_qps(): lookups sent per
	 * second, the tokens, when they were counted, the timer that sends
	 * the lookups held back */
	double qps, tokens, tokens_at;
	struct event *qps_ev;
	/* event lookups in flight at libunbound, by name and type */
	struct pending *leaders[1024];
	/* dki_sigmemo_*(): signature checks already made */
	struct sigmemo *sigmemo;
	/* dki_chainmemo_*(): chains built during restartable steps */
	struct chainmemo *chainmemo;
	/* acache_*(): answers at hand for restartable steps */
	struct acache *acache;
};

#define ACACHE_SLOTS 4096
#define ACACHE_SECONDS 5.0
struct acache {
	struct dk_answer *answer; /* NULL: free slot */
	double until;
};

#define CHAINMEMO_SLOTS 1024
struct chainmemo {
	char *name; /* absolute, as asked; NULL: free slot */
	uint16_t type;
	int warn_days;
	time_t until;
	struct dk_chain *chain;
};

#define SIGMEMO_SLOTS 4096
struct sigmemo {
	unsigned char digest[32];
	int used;
	ldns_status st;
};

struct dk_answer {
	int refs; /* holders: answer_ref(), dk_answer_free() */
	char *qname;
	uint16_t qtype;
	int rcode;
	enum dk_dnssec_status status;
	char *why;
	char *canonname;
	uint32_t ttl;
	int nxdomain;
	ldns_rr_list *rrset;
	ldns_pkt *pkt;
};

static int ev_lookup(struct dk_resolver *r, const char *name, uint16_t type,
		     struct dk_answer **ret, struct dk_diag *diag);
static int ev_lookup_async(struct dk_resolver *r, const char *name,
			   uint16_t type, dk_lookup_cb cb, void *arg);
static int in_loop(struct dk_resolver *r);
static void ev_cancel_arg(struct dk_resolver *r, void *arg);
static void ev_unlink(struct dk_resolver *r, struct pending *p);
static void ev_free(struct pending *p);

/* Cancel a lookup libunbound has (not one held back by the bucket). */
static void cancel_ub(struct dk_resolver *r, struct pending *p)
{
	if (!p->deferred && !p->follower) {
		ub_cancel(r->ctx, p->async_id);
	}
}

const char *dk_dnssec_status_name(enum dk_dnssec_status status)
{
	switch (status) {
	case DK_DNSSEC_SECURE:
		return "secure";
	case DK_DNSSEC_INSECURE:
		return "insecure";
	case DK_DNSSEC_BOGUS:
		return "bogus";
	case DK_DNSSEC_INDETERMINATE:
	default:
		return "indeterminate";
	}
}

double dki_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A forwarder is "ADDR" or "ADDR@PORT": a numeric IPv4 or IPv6 address
 * (libunbound does not resolve names here) and a port from 1 to 65535.
 */
static int check_forwarder(const char *fwd, struct dk_diag *diag)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	const char *at = strchr(fwd, '@');
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	size_t n = at ? (size_t)(at - fwd) : strlen(fwd);

	if (at) {
		const char *p = at + 1;
		unsigned long port = 0;

		if (!*p) {
			dki_diagf(diag, "--resolver '%s': no port after '@'",
				  fwd);
			return DK_EINVAL;
		}
		for (; *p; p++) {
			if (!isdigit((unsigned char)*p) || port > 65535) {
				break;
			}
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (*p || port < 1 || port > 65535) {
			dki_diagf(diag,
				  "--resolver '%s': the port must be a number "
				  "from 1 to 65535",
				  fwd);
			return DK_EINVAL;
		}
	}
	if (n == 0 || n >= sizeof(addr)) {
		dki_diagf(diag,
			  "--resolver '%s' is not ADDR[@PORT] with a numeric "
			  "address (e.g. 127.0.0.1@53 or ::1@5353)",
			  fwd);
		return DK_EINVAL;
	}
	memcpy(addr, fwd, n);
	addr[n] = '\0';
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_family = AF_UNSPEC;
	if (getaddrinfo(addr, NULL, &hints, &ai) != 0) {
		dki_diagf(diag,
			  "--resolver '%s': '%s' is not a numeric IP address "
			  "(give ADDR[@PORT], e.g. 127.0.0.1@53 or ::1@5353)",
			  fwd, addr);
		return DK_EINVAL;
	}
	freeaddrinfo(ai);
	return 0;
}

/*
 * The first "error: ..." message libunbound logged into the memstream
 * @log (its text without the prefix), else @fallback. Static storage.
 */
static const char *last_log_error(FILE *log, char **buf, const char *fallback)
{
	static __thread char line[256];
	const char *p, *last = NULL;

	if (!log || fflush(log) != 0 || !*buf) {
		return fallback;
	}
	/* The first error is the cause; the later ones its consequences. */
	p = strstr(*buf, "error: ");
	if (p) {
		last = p + 7;
	}
	if (!last) {
		return fallback;
	}
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(last, "\n"), last);
	return line;
}

/*
 * The warnings of the set-up log @buf that libunbound ignores a trust
 * anchor ("trust anchor X. has no supported algorithms, the anchor is
 * ignored ..."), one a line, without their prefix; NULL when none.
 */
static char *anchor_warnings(const char *buf)
{
	static const char key[] = "has no supported algorithms";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *p = buf;

	if (!f) {
		return NULL;
	}
	while (p && *p) {
		size_t n = strcspn(p, "\n");
		const char *w = memmem(p, n, "warning: ", 9);

		if (w && memmem(p, n, key, sizeof(key) - 1)) {
			w += 9;
			fprintf(f, "%.*s\n", (int)(n - (size_t)(w - p)), w);
		}
		p += n;
		if (*p) {
			p++;
		}
	}
	if (fclose(f) != 0 || len == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The warning about the anchor of @zone in @warnings, or NULL. */
static const char *warning_for(const char *warnings, const char *zone,
			       char *buf, size_t len)
{
	char needle[300];
	const char *p;

	if (!warnings) {
		return NULL;
	}
	snprintf(needle, sizeof(needle), "trust anchor %s ", zone);
	p = strstr(warnings, needle);
	if (!p) {
		return NULL;
	}
	while (p > warnings && p[-1] != '\n') {
		p--;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

/* @name's value as libunbound has it, or NULL (malloc()ed). */
static char *ub_option(struct ub_ctx *ctx, const char *name)
{
	char *v = NULL;

	if (ub_ctx_get_option(ctx, name, &v) != 0) {
		return NULL;
	}
	return v;
}

/*
 * Options that make libunbound answer "insecure" whatever it gets: no
 * validator module, or bogus answers passed on (val-permissive-mode).
 */
static int check_validator(struct ub_ctx *ctx, const char *conf,
			   struct dk_diag *diag)
{
	char *v = ub_option(ctx, "module-config");
	int r = 0;

	if (v && !strstr(v, "validator")) {
		dki_diagf(diag,
			  "module-config: \"%s\" in %s has no validator: "
			  "libunbound would not validate DNSSEC at all",
			  v, conf ? conf : "the configuration");
		r = DK_EUNFIT;
	}
	free(v);
	v = ub_option(ctx, "val-permissive-mode");
	if (r == 0 && v && strcmp(v, "yes") == 0) {
		dki_diagf(diag,
			  "val-permissive-mode: yes in %s turns bogus answers "
			  "into insecure ones; DANE needs it off",
			  conf ? conf : "the configuration");
		r = DK_EUNFIT;
	}
	free(v);
	return r;
}

/*
 * An event resolver's UDP ports. libunbound sends from 16 ports at most
 * (its library default, outgoing-range: 16), and a lookup given up on
 * keeps its port while libunbound retries the server (ub_cancel() on an
 * event context only drops the answer). With many lookups on one loop
 * (a scan), the lookups to a provider whose name servers do not answer
 * held every port, and every other lookup timed out waiting for one.
 * Unless the configuration set a range: the unbound daemon's 4096, within
 * a quarter of the file descriptors.
 */
static int event_ports(struct ub_ctx *ctx)
{
	char *v = ub_option(ctx, "outgoing-range"), buf[32];
	long n = 4096;
	struct rlimit rl;
	int u = 0;

	if (v && strcmp(v, "16") == 0) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur / 4 < (rlim_t)n) {
			n = (long)(rl.rlim_cur / 4);
		}
		if (n > 16) {
			snprintf(buf, sizeof(buf), "%ld", n);
			u = ub_ctx_set_option(ctx, "outgoing-range:", buf);
		}
	}
	free(v);
	return u;
}

/* dki_resolver_new(), or an event resolver on @base (@event 1). */
static int resolver_new(const struct dk_resolver_opts *opts,
			const char *const *extra, struct event_base *base,
			int event, struct dk_resolver **ret_resolver,
			struct dk_diag *diag)
{
	struct dk_resolver *r;
	const char *anchor = NULL;
	char *abs_anchor = NULL, *setup_buf = NULL, *chroot_default = NULL;
	size_t setup_len = 0;
	FILE *setup_log = NULL;
	int u, e, rc, cwd = -1;

	if (!opts || !ret_resolver) {
		return DK_EINVAL;
	}
	if (opts->forwarder) {
		e = check_forwarder(opts->forwarder, diag);
		if (e < 0) {
			return e;
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		return DK_ENOMEM;
	}
	r->timeout = opts->timeout > 0 ? opts->timeout : 10.0;
	if (event && !base) {
		base = event_base_new();
		r->own_base = 1;
		if (!base) {
			free(r);
			dki_diagf(diag, "cannot create the event loop");
			return DK_ERESOLVER;
		}
	}
	r->base = event ? base : NULL;
	r->ctx = event ? ub_ctx_create_event(base) : ub_ctx_create();
	if (!r->ctx) {
		if (r->own_base) {
			event_base_free(r->base);
		}
		free(r);
		dki_diagf(diag, "cannot create the libunbound context");
		return DK_ERESOLVER;
	}
	/*
	 * Every file libunbound will read is checked first: libunbound
	 * exits, blocks or spins on some (a folder, a FIFO), and an
	 * anchor-less set-up answers "insecure" to everything.
	 */
	chroot_default = ub_option(r->ctx, "chroot");
	e = dki_setup_scan(opts, chroot_default, &r->setup, diag);
	free(chroot_default);
	if (e < 0) {
		dk_resolver_free(r);
		return e;
	}
	/* The file named by --anchor, or the system's default. */
	for (size_t i = 0; i < r->setup.nanchors; i++) {
		if (r->setup.anchors[i].origin == DKI_ANCHOR_OPTION ||
		    r->setup.anchors[i].origin == DKI_ANCHOR_DEFAULT) {
			anchor = r->setup.anchors[i].file;
			break;
		}
	}
	if (anchor && anchor[0] != '/') {
		/* Read at finalisation, after ub_ctx_config()'s chdir. */
		abs_anchor = realpath(anchor, NULL);
		if (!abs_anchor) {
			dki_diagf(diag, "the trust anchor file %s: %s", anchor,
				  strerror(errno));
			dk_resolver_free(r);
			return DK_ENOENT;
		}
		anchor = abs_anchor;
	}
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/*
	 * Asynchronous work runs in a thread, not a forked process; an
	 * event resolver's runs on its loop.
	 */
	if (!r->base) {
		ub_ctx_async(r->ctx, 1);
	}
	/*
	 * libunbound logs to stderr; the set-up messages are kept to say why
	 * a configuration fails, later ones are dropped (errors are
	 * reported by danekit, one line each).
	 */
	setup_log = open_memstream(&setup_buf, &setup_len);
	if (setup_log) {
		ub_ctx_debugout(r->ctx, setup_log);
	}
	if (opts->unbound_conf &&
	    (u = ub_ctx_config(r->ctx, opts->unbound_conf)) != 0) {
		dki_diagf(diag, "libunbound refuses %s: %s", opts->unbound_conf,
			  ub_strerror(u));
		rc = DK_EDATA;
		goto fail;
	}
	rc = dki_setup_require_anchor(opts, &r->setup, diag);
	if (rc < 0) {
		goto fail;
	}
	rc = check_validator(r->ctx, opts->unbound_conf, diag);
	if (rc < 0) {
		goto fail;
	}
	if (opts->forwarder &&
	    (u = ub_ctx_set_fwd(r->ctx, opts->forwarder)) != 0) {
		dki_diagf(diag, "bad resolver address '%s': %s",
			  opts->forwarder, ub_strerror(u));
		rc = DK_EINVAL;
		goto fail;
	}
	if (anchor && (u = ub_ctx_add_ta_file(r->ctx, anchor)) != 0) {
		dki_diagf(diag, "cannot load the trust anchor %s: %s", anchor,
			  ub_strerror(u));
		rc = DK_EDATA;
		goto fail;
	}
	if (opts->now > 0) {
		char date[32];
		struct tm tm;

		gmtime_r(&opts->now, &tm);
		strftime(date, sizeof(date), "%Y%m%d%H%M%S", &tm);
		if ((u = ub_ctx_set_option(r->ctx,
					   "val-override-date:", date)) != 0) {
			dki_diagf(diag, "cannot set the validation time: %s",
				  ub_strerror(u));
			rc = DK_ERESOLVER;
			goto fail;
		}
	}
	/*
	 * Answers from the cache in the order they came (unbound rotates
	 * RRsets by default): a report lists records the same way whether
	 * the lookup was sent or answered from the cache (a scan asks the
	 * cache what check asks the network).
	 */
	if ((u = ub_ctx_set_option(r->ctx, "rrset-roundrobin:", "no")) != 0) {
		dki_diagf(diag, "libunbound: %s", ub_strerror(u));
		rc = DK_ERESOLVER;
		goto fail;
	}
	if ((u = ub_ctx_set_option(r->ctx, "val-log-level:", "2")) != 0) {
		dki_diagf(diag, "libunbound: %s", ub_strerror(u));
		rc = DK_ERESOLVER;
		goto fail;
	}
	if (event && (u = event_ports(r->ctx)) != 0) {
		dki_diagf(diag, "libunbound: outgoing-range: %s",
			  ub_strerror(u));
		rc = DK_ERESOLVER;
		goto fail;
	}
	for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2) {
		if ((u = ub_ctx_set_option(r->ctx, extra[i], extra[i + 1])) !=
		    0) {
			dki_diagf(diag, "libunbound: %s %s: %s", extra[i],
				  extra[i + 1], ub_strerror(u));
			rc = DK_ERESOLVER;
			goto fail;
		}
	}
	/*
	 * ub_ctx_config() moves the process into the config's "directory:",
	 * and libunbound reads the files it names (trust anchors, hints)
	 * when the context is finalised. Finalise now, from that directory
	 * (removing local data of a name that has none finalises and does
	 * nothing else), so that the files are read as unbound would read
	 * them and configuration errors show here; then go back, since a
	 * library must not change its caller's working directory.
	 */
	u = ub_ctx_data_remove(r->ctx, "danekit.invalid.");
	if (cwd >= 0) {
		if (fchdir(cwd) != 0) {
			dki_diagf(diag,
				  "cannot return to the working directory: %s",
				  strerror(errno));
			u = u ? u : UB_INITFAIL;
		}
		close(cwd);
		cwd = -1;
	}
	if (u != 0) {
		dki_diagf(
			diag,
			"libunbound cannot start with this configuration: "
			"%s",
			last_log_error(setup_log, &setup_buf, ub_strerror(u)));
		rc = opts->unbound_conf ? DK_EDATA : DK_ERESOLVER;
		goto fail;
	}
	r->log = fopen("/dev/null", "we");
	ub_ctx_debugout(r->ctx, r->log);
	if (setup_log) {
		if (fclose(setup_log) == 0 && setup_buf) {
			r->anchor_warning = anchor_warnings(setup_buf);
		}
		free(setup_buf);
	}
	free(abs_anchor);
	if (!opts->no_selftest) {
		rc = dk_resolver_selftest(r, diag);
		if (rc < 0) {
			dk_resolver_free(r);
			return rc;
		}
	}
	*ret_resolver = r;
	return 0;
fail:
	if (r && r->ctx) {
		/* The set-up log dies here: give libunbound another. */
		r->log = fopen("/dev/null", "we");
		ub_ctx_debugout(r->ctx, r->log);
	}
	if (setup_log) {
		fclose(setup_log);
		free(setup_buf);
	}
	if (cwd >= 0) {
		if (fchdir(cwd) != 0) {
			/* Nothing better to do: the error at hand wins. */
		}
		close(cwd);
	}
	free(abs_anchor);
	dk_resolver_free(r);
	return rc;
}

int dki_resolver_new(const struct dk_resolver_opts *opts,
		     const char *const *extra,
		     struct dk_resolver **ret_resolver, struct dk_diag *diag)
{
	return resolver_new(opts, extra, NULL, 0, ret_resolver, diag);
}

int dk_resolver_new(const struct dk_resolver_opts *opts,
		    struct dk_resolver **ret_resolver, struct dk_diag *diag)
{
	return dki_resolver_new(opts, NULL, ret_resolver, diag);
}

int dk_resolver_new_event(const struct dk_resolver_opts *opts,
			  struct event_base *base,
			  struct dk_resolver **ret_resolver,
			  struct dk_diag *diag)
{
	if (!opts || !ret_resolver) {
		return DK_EINVAL;
	}
	return resolver_new(opts, NULL, base, 1, ret_resolver, diag);
}

struct event_base *dk_resolver_get0_event_base(struct dk_resolver *resolver)
{
	return resolver ? resolver->base : NULL;
}

const struct dki_setup *dki_resolver_setup(const struct dk_resolver *r)
{
	return &r->setup;
}

const char *dki_resolver_anchor_warning(const struct dk_resolver *r)
{
	return r->anchor_warning;
}

static void selftest_cb(void *arg, int err, struct dk_answer *answer)
{
	struct dki_selftest *t = arg;

	t->err = err;
	t->answer = answer;
}

#define SELFTEST_PENDING 1 /* err of an entry whose answer is awaited */

static size_t selftest_left(const struct dki_selftest *t, size_t n)
{
	size_t left = 0;

	for (size_t i = 0; i < n; i++) {
		left += t[i].err == SELFTEST_PENDING;
	}
	return left;
}

int dki_selftest_run(struct dk_resolver *r, struct dki_selftest **ret,
		     size_t *ret_n)
{
	size_t n = r->setup.nzones;
	struct dki_selftest *t = calloc(n ? n : 1, sizeof(*t));
	int e = 0;

	if (!t) {
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		t[i].zone = r->setup.zones[i];
		t[i].err = SELFTEST_PENDING;
		e = dk_lookup_async(r, t[i].zone, LDNS_RR_TYPE_DNSKEY,
				    selftest_cb, &t[i]);
		if (e < 0) {
			t[i].err = e;
		}
	}
	/* Wait for these lookups only (others may be in flight). */
	e = 0;
	while (selftest_left(t, n) > 0) {
		e = dk_resolver_process(r);
		if (e < 0 || selftest_left(t, n) == 0) {
			break;
		}
		e = dki_resolver_poll(r);
		if (e < 0) {
			break;
		}
	}
	if (e < 0) {
		/* Cancel what is left: its callback must never run. */
		for (size_t i = 0; r->base && i < n; i++) {
			ev_cancel_arg(r, &t[i]);
		}
		for (struct pending *p = r->pending; p; p = p->next) {
			for (size_t i = 0; i < n; i++) {
				if (p->arg == &t[i] && !p->done) {
					cancel_ub(r, p);
					p->done = 1;
				}
			}
		}
		dki_selftest_free(t, n);
		return e;
	}
	*ret = t;
	*ret_n = n;
	return 0;
}

void dki_selftest_free(struct dki_selftest *t, size_t n)
{
	if (!t) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		dk_answer_free(t[i].answer);
	}
	free(t);
}

/* Where the anchor of @zone comes from, for messages. */
static void anchor_source(const struct dk_resolver *r, const char *zone,
			  char *buf, size_t len)
{
	for (size_t i = 0; i < r->setup.nanchors; i++) {
		const struct dki_anchor *a = &r->setup.anchors[i];

		if (strcmp(a->zone, zone) != 0) {
			continue;
		}
		if (a->file) {
			snprintf(buf, len, " (%s)", a->file);
		} else {
			snprintf(buf, len, " (trust-anchor: in %s, line %u)",
				 a->conf ? a->conf : "?", a->line);
		}
		return;
	}
	buf[0] = '\0';
}

int dki_selftest_judge(const struct dk_resolver *r,
		       const struct dki_selftest *t, struct dk_diag *diag)
{
	const struct dk_answer *a = t->answer;
	char src[PATH_MAX + 64];

	anchor_source(r, t->zone, src, sizeof(src));
	if (t->err == DK_ETIMEDOUT) {
		dki_diagf(diag,
			  "the resolver self-test could not finish: no answer "
			  "for the DNSKEY RRset of %s within %.1f s (are the "
			  "resolver and the name servers reachable?)",
			  t->zone, r->timeout);
		return DK_ETIMEDOUT;
	}
	if (t->err < 0 || !a) {
		dki_diagf(diag,
			  "the resolver self-test could not finish: the "
			  "DNSKEY RRset of %s: %s",
			  t->zone,
			  t->err == DK_ESERVFAIL
				  ? "the name servers failed (SERVFAIL) with "
				    "no validation reason"
				  : dk_strerror(t->err < 0 ? t->err
							   : DK_ERESOLVER));
		return t->err < 0 ? t->err : DK_ERESOLVER;
	}
	switch (dk_answer_status(a)) {
	case DK_DNSSEC_SECURE:
		if (ldns_rr_list_rr_count(dki_answer_get0_rrset(a)) > 0) {
			return 0;
		}
		dki_diagf(diag,
			  "the trust anchor for %s%s cannot be right: the zone "
			  "has no DNSKEY RRset (%s)",
			  t->zone, src,
			  dk_answer_nxdomain(a) ? "NXDOMAIN" : "NODATA");
		return DK_EUNFIT;
	case DK_DNSSEC_BOGUS:
		dki_diagf(diag,
			  "the trust anchor for %s%s does not validate its own "
			  "zone: the DNSKEY RRset of %s is bogus (%s)",
			  t->zone, src, t->zone,
			  dk_answer_why(a) ? dk_answer_why(a)
					   : "no reason given");
		return DK_EUNFIT;
	default: {
		char wbuf[512];
		const char *w = warning_for(r->anchor_warning, t->zone, wbuf,
					    sizeof(wbuf));
		char *insecure = ub_option(r->ctx, "domain-insecure");

		if (w) {
			dki_diagf(diag,
				  "the DNSKEY RRset of %s comes out insecure "
				  "despite its trust anchor%s: libunbound says "
				  "\"%s\"",
				  t->zone, src, w);
		} else {
			dki_diagf(diag,
				  "the DNSKEY RRset of %s comes out insecure "
				  "despite its trust anchor%s: libunbound does "
				  "not use the anchor%s%s%s",
				  t->zone, src,
				  insecure && *insecure ? " (domain-insecure: "
							: "",
				  insecure && *insecure ? insecure : "",
				  insecure && *insecure ? ")" : "");
		}
		free(insecure);
		return DK_EUNFIT;
	}
	}
}

int dk_resolver_selftest(struct dk_resolver *resolver, struct dk_diag *diag)
{
	struct dki_selftest *t = NULL;
	struct dk_diag first = { "" };
	size_t n = 0;
	int rc = 0, e;

	if (!resolver) {
		return DK_EINVAL;
	}
	e = dki_selftest_run(resolver, &t, &n);
	if (e < 0) {
		dki_diagf(diag, "the resolver self-test failed: %s",
			  dk_strerror(e));
		return e;
	}
	for (size_t i = 0; i < n; i++) {
		struct dk_diag d = { "" };

		e = dki_selftest_judge(resolver, &t[i], &d);
		if (e == DK_EUNFIT && rc != DK_EUNFIT) {
			/* A set-up that is wrong wins over one not reached. */
			rc = e;
			first = d;
		} else if (e < 0 && rc == 0) {
			rc = e;
			first = d;
		}
	}
	dki_selftest_free(t, n);
	if (rc < 0) {
		dki_diagf(diag, "%s", first.why);
	}
	return rc;
}

void dk_resolver_free(struct dk_resolver *resolver)
{
	struct pending *p, *next;

	if (!resolver) {
		return;
	}
	for (p = resolver->pending; p; p = next) {
		next = p->next;
		if (!p->done) {
			cancel_ub(resolver, p);
		}
		free(p->name);
		free(p);
	}
	/* Event lookups (memos must be freed before their resolver). */
	while (resolver->evq) {
		p = resolver->evq;
		if (!p->done) {
			cancel_ub(resolver, p);
		}
		ev_unlink(resolver, p);
		ev_free(p);
	}
	if (resolver->qps_ev) {
		event_free(resolver->qps_ev);
	}
	ub_ctx_delete(resolver->ctx);
	if (resolver->own_base) {
		event_base_free(resolver->base);
	}
	if (resolver->log) {
		fclose(resolver->log);
	}
	dki_setup_clear(&resolver->setup);
	free(resolver->anchor_warning);
	free(resolver->sigmemo);
	if (resolver->acache) {
		for (size_t i = 0; i < ACACHE_SLOTS; i++) {
			dk_answer_free(resolver->acache[i].answer);
		}
		free(resolver->acache);
	}
	if (resolver->chainmemo) {
		for (size_t i = 0; i < CHAINMEMO_SLOTS; i++) {
			free(resolver->chainmemo[i].name);
			dk_chain_free(resolver->chainmemo[i].chain);
		}
		free(resolver->chainmemo);
	}
	free(resolver);
}

/* FNV-1a of @name in lower case, @type and @extra: the slot of a memo. */
static size_t memo_slot(const char *name, uint16_t type, unsigned extra,
			size_t slots)
{
	uint64_t h = 14695981039346656037ULL;

	for (const char *c = name; *c; c++) {
		h = (h ^ (unsigned char)tolower((unsigned char)*c)) *
		    1099511628211ULL;
	}
	h = (h ^ type) * 1099511628211ULL;
	h = (h ^ extra) * 1099511628211ULL;
	return (size_t)(h % slots);
}

/* How long a memo keeps what came with TTL @ttl: @most, never past it. */
static double memo_keep(uint32_t ttl, double most)
{
	return (double)ttl < most ? (double)ttl : most;
}

struct dk_chain *dki_chainmemo_get(struct dk_resolver *r, const char *name,
				   uint16_t type, int warn_days)
{
	struct chainmemo *m;

	if (!r || !r->chainmemo || !name) {
		return NULL;
	}
	m = &r->chainmemo[memo_slot(name, type, (unsigned)warn_days,
				    CHAINMEMO_SLOTS)];
	if (!m->name || m->type != type || m->warn_days != warn_days ||
	    strcasecmp(m->name, name) != 0) {
		return NULL;
	}
	if (time(NULL) >= m->until) {
		/* kept long enough: the next build replaces it */
		return NULL;
	}
	return dki_chain_ref(m->chain);
}

void dki_chainmemo_put(struct dk_resolver *r, const char *name, uint16_t type,
		       int warn_days, struct dk_chain *chain)
{
	uint32_t ttl = dki_answer_keep_ttl(dk_chain_get0_answer(chain));
	struct chainmemo *m;
	char *copy;

	if (!r || !name || !chain || ttl == 0) {
		return;
	}
	if (!r->chainmemo) {
		r->chainmemo = calloc(CHAINMEMO_SLOTS, sizeof(*r->chainmemo));
		if (!r->chainmemo) {
			return;
		}
	}
	copy = strdup(name);
	if (!copy) {
		return;
	}
	m = &r->chainmemo[memo_slot(name, type, (unsigned)warn_days,
				    CHAINMEMO_SLOTS)];
	free(m->name);
	dk_chain_free(m->chain);
	m->name = copy;
	m->type = type;
	m->warn_days = warn_days;
	m->until = time(NULL) + (time_t)memo_keep(ttl, DKI_CHAINMEMO_SECONDS);
	m->chain = dki_chain_ref(chain);
}

int dki_sigmemo_get(struct dk_resolver *r, const unsigned char digest[32],
		    ldns_status *ret)
{
	struct sigmemo *m;
	size_t slot;

	if (!r || !r->sigmemo) {
		return -1;
	}
	memcpy(&slot, digest, sizeof(slot));
	m = &r->sigmemo[slot % SIGMEMO_SLOTS];
	if (!m->used || memcmp(m->digest, digest, 32) != 0) {
		return -1;
	}
	*ret = m->st;
	return 0;
}

void dki_sigmemo_put(struct dk_resolver *r, const unsigned char digest[32],
		     ldns_status st)
{
	struct sigmemo *m;
	size_t slot;

	if (!r) {
		return;
	}
	if (!r->sigmemo) {
		r->sigmemo = calloc(SIGMEMO_SLOTS, sizeof(*r->sigmemo));
		if (!r->sigmemo) {
			return;
		}
	}
	memcpy(&slot, digest, sizeof(slot));
	m = &r->sigmemo[slot % SIGMEMO_SLOTS];
	memcpy(m->digest, digest, 32);
	m->st = st;
	m->used = 1;
}

struct ub_ctx *dk_resolver_get0_ub(struct dk_resolver *resolver)
{
	return resolver ? resolver->ctx : NULL;
}

double dk_resolver_timeout(const struct dk_resolver *resolver)
{
	return resolver ? resolver->timeout : 0.0;
}

void dk_answer_free(struct dk_answer *a)
{
	if (!a || --a->refs > 0) {
		return;
	}
	free(a->qname);
	free(a->why);
	free(a->canonname);
	ldns_rr_list_deep_free(a->rrset);
	ldns_pkt_free(a->pkt);
	free(a);
}

const char *dk_answer_qname(const struct dk_answer *a)
{
	return a ? a->qname : NULL;
}

uint16_t dk_answer_qtype(const struct dk_answer *a)
{
	return a ? a->qtype : 0;
}

int dk_answer_rcode(const struct dk_answer *a)
{
	return a ? a->rcode : LDNS_RCODE_SERVFAIL;
}

enum dk_dnssec_status dk_answer_status(const struct dk_answer *a)
{
	return a ? a->status : DK_DNSSEC_INDETERMINATE;
}

const char *dk_answer_why(const struct dk_answer *a)
{
	return a ? a->why : NULL;
}

const ldns_rr_list *dki_answer_get0_rrset(const struct dk_answer *a)
{
	return a ? a->rrset : NULL;
}

const ldns_pkt *dki_answer_get0_packet(const struct dk_answer *a)
{
	return a ? a->pkt : NULL;
}

static char *rr_text(const ldns_rr *rr)
{
	char *s = ldns_rr2str_fmt(ldns_output_format_nocomments, rr);
	size_t n;

	if (s) {
		for (char *p = s; *p; p++) {
			if (*p == '\t') {
				*p = ' ';
			}
		}
		n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
			s[--n] = '\0';
		}
	}
	return s;
}

size_t dk_answer_count(const struct dk_answer *a)
{
	return a && a->rrset ? ldns_rr_list_rr_count(a->rrset) : 0;
}

char *dk_answer_record_text(const struct dk_answer *a, size_t i)
{
	return i < dk_answer_count(a) ? rr_text(ldns_rr_list_rr(a->rrset, i))
				      : NULL;
}

int dk_answer_record_rdata(const struct dk_answer *a, size_t i,
			   uint8_t **ret_rdata, size_t *ret_len)
{
	const ldns_rr *rr;
	ldns_buffer *b;
	uint8_t *d;

	if (!ret_rdata || !ret_len || i >= dk_answer_count(a)) {
		return DK_EINVAL;
	}
	rr = ldns_rr_list_rr(a->rrset, i);
	b = ldns_buffer_new(512);
	if (!b) {
		return DK_ENOMEM;
	}
	for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
		ldns_rdf2buffer_wire(b, ldns_rr_rdf(rr, k));
	}
	d = malloc(ldns_buffer_position(b) + 1);
	if (!d) {
		ldns_buffer_free(b);
		return DK_ENOMEM;
	}
	memcpy(d, ldns_buffer_begin(b), ldns_buffer_position(b));
	*ret_len = ldns_buffer_position(b);
	*ret_rdata = d;
	ldns_buffer_free(b);
	return 0;
}

/* The CNAMEs of the answer section, in order (unless CNAME was asked). */
static const ldns_rr *cname_at(const struct dk_answer *a, size_t i,
			       size_t *ret_count)
{
	ldns_rr_list *ans = a && a->pkt ? ldns_pkt_answer(a->pkt) : NULL;
	size_t n = 0;

	if (a && a->qtype != LDNS_RR_TYPE_CNAME) {
		for (size_t k = 0; k < ldns_rr_list_rr_count(ans); k++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, k);

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME) {
				continue;
			}
			if (n++ == i && !ret_count) {
				return rr;
			}
		}
	}
	if (ret_count) {
		*ret_count = n;
	}
	return NULL;
}

size_t dk_answer_cname_count(const struct dk_answer *a)
{
	size_t n = 0;

	cname_at(a, 0, &n);
	return n;
}

char *dk_answer_cname_text(const struct dk_answer *a, size_t i)
{
	const ldns_rr *rr = cname_at(a, i, NULL);

	return rr ? rr_text(rr) : NULL;
}

const char *dk_rr_type_name(uint16_t type, char *buf, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (!buf || !len) {
		return NULL;
	}
	if (d && d->_name && type) {
		snprintf(buf, len, "%s", d->_name);
	} else {
		snprintf(buf, len, "TYPE%u", (unsigned)type);
	}
	return buf;
}

const char *dk_rcode_name(int rcode)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);

	return lt ? lt->name : NULL;
}

const char *dk_dnssec_algorithm_name(int algorithm)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_algorithms, algorithm);

	return lt ? lt->name : NULL;
}

const char *dk_answer_canonname(const struct dk_answer *a)
{
	return a ? (a->canonname ? a->canonname : a->qname) : NULL;
}

uint32_t dk_answer_ttl(const struct dk_answer *a)
{
	return a ? a->ttl : 0;
}

uint32_t dki_answer_keep_ttl(const struct dk_answer *a)
{
	const ldns_rr_list *auth;
	uint32_t t = 0;

	if (!a) {
		return 0;
	}
	if (a->rrset && ldns_rr_list_rr_count(a->rrset) > 0) {
		return a->ttl;
	}
	/* RFC 2308 section 5: the SOA's TTL, at most its MINIMUM */
	auth = a->pkt ? ldns_pkt_authority(a->pkt) : NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) == 7) {
			uint32_t min =
				ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));

			t = ldns_rr_ttl(rr) < min ? ldns_rr_ttl(rr) : min;
			break;
		}
	}
	return t;
}

int dk_answer_nxdomain(const struct dk_answer *a)
{
	return a ? a->nxdomain : 0;
}

/* An absolute copy of @name (with the final dot). */
static char *absolute_name(const char *name)
{
	size_t n = strlen(name);
	char *s = malloc(n + 2);

	if (!s) {
		return NULL;
	}
	memcpy(s, name, n + 1);
	if (n == 0 || s[n - 1] != '.') {
		s[n] = '.';
		s[n + 1] = '\0';
	}
	return s;
}

int dki_check_name(const char *name, struct dk_diag *diag)
{
	ldns_rdf *d = NULL;

	if (!name || !*name) {
		dki_diagf(diag, "empty name");
		return DK_EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p >= 0x80) {
			dki_diagf(diag,
				  "'%s' is not ASCII; give its A-label form "
				  "(xn--...)",
				  name);
			return DK_EINVAL;
		}
		if (*p <= ' ') {
			dki_diagf(diag, "'%s' has a space or control character",
				  name);
			return DK_EINVAL;
		}
	}
	if (ldns_str2rdf_dname(&d, name) != LDNS_STATUS_OK) {
		dki_diagf(diag,
			  "'%s' is not a valid domain name (a label over 63 "
			  "or a name over 255 octets, or an empty label)",
			  name);
		return DK_EINVAL;
	}
	ldns_rdf_deep_free(d);
	return 0;
}

/* Build the RRs of @res->data when libunbound gave no packet. */
static ldns_rr_list *rrs_from_result(const struct ub_result *res)
{
	ldns_rr_list *list = ldns_rr_list_new();
	ldns_rdf *owner = NULL;

	if (!list) {
		return NULL;
	}
	if (!res->havedata) {
		return list;
	}
	if (ldns_str2rdf_dname(&owner,
			       res->canonname ? res->canonname : res->qname) !=
	    LDNS_STATUS_OK) {
		return list;
	}
	for (int i = 0; res->data[i]; i++) {
		size_t len = (size_t)res->len[i], pos = 0;
		uint8_t *wire = malloc(len + 2);
		ldns_rr *rr = ldns_rr_new_frm_type((ldns_rr_type)res->qtype);

		if (!wire || !rr) {
			free(wire);
			ldns_rr_free(rr);
			break;
		}
		/* ldns_wire2rdf() reads RDLENGTH then the RDATA. */
		ldns_rr_set_rd_count(rr, 0);
		wire[0] = (uint8_t)(len >> 8);
		wire[1] = (uint8_t)len;
		memcpy(wire + 2, res->data[i], len);
		if (ldns_wire2rdf(rr, wire, len + 2, &pos) != LDNS_STATUS_OK) {
			free(wire);
			ldns_rr_free(rr);
			continue;
		}
		free(wire);
		ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
		ldns_rr_set_ttl(rr, (uint32_t)res->ttl);
		ldns_rr_set_class(rr, (ldns_rr_class)res->qclass);
		ldns_rr_list_push_rr(list, rr);
	}
	ldns_rdf_deep_free(owner);
	return list;
}

/* Turn a ub_result into an answer or an error. Does not take @res. */
static int make_answer_core(const char *qname, uint16_t qtype,
			    struct ub_result *res, struct dk_answer **ret,
			    struct dk_diag *diag)
{
	struct dk_answer *a;

	if (res->rcode == LDNS_RCODE_SERVFAIL && !res->bogus) {
		dki_diagf(diag, "%s %s: the name servers failed (SERVFAIL)%s%s",
			  qname,
			  ldns_rr_descript(qtype)
				  ? ldns_rr_descript(qtype)->_name
				  : "?",
			  res->why_bogus ? ": " : "",
			  res->why_bogus ? res->why_bogus : "");
		return DK_ESERVFAIL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		return DK_ENOMEM;
	}
	a->refs = 1;
	a->qname = strdup(qname);
	a->qtype = qtype;
	a->rcode = res->rcode;
	a->nxdomain = res->nxdomain;
	a->status = res->secure	 ? DK_DNSSEC_SECURE
		    : res->bogus ? DK_DNSSEC_BOGUS
				 : DK_DNSSEC_INSECURE;
	if (res->why_bogus) {
		a->why = strdup(res->why_bogus);
	}
	if (res->canonname) {
		a->canonname = absolute_name(res->canonname);
	}
	if (res->answer_packet && res->answer_len > 0) {
		if (ldns_wire2pkt(&a->pkt, res->answer_packet,
				  (size_t)res->answer_len) != LDNS_STATUS_OK) {
			a->pkt = NULL;
		}
	}
	a->rrset = ldns_rr_list_new();
	if (a->pkt && a->rrset) {
		ldns_rr_list *ans = ldns_pkt_answer(a->pkt);

		for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
			ldns_rr *rr = ldns_rr_list_rr(ans, i);

			if (ldns_rr_get_type(rr) == qtype) {
				ldns_rr_list_push_rr(a->rrset,
						     ldns_rr_clone(rr));
			}
		}
	}
	if (a->rrset && ldns_rr_list_rr_count(a->rrset) == 0 && res->havedata) {
		ldns_rr_list_deep_free(a->rrset);
		a->rrset = rrs_from_result(res);
	}
	if (!a->qname || !a->rrset || (res->why_bogus && !a->why) ||
	    (res->canonname && !a->canonname)) {
		dk_answer_free(a);
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrset); i++) {
		uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(a->rrset, i));

		if (i == 0 || t < a->ttl) {
			a->ttl = t;
		}
	}
	*ret = a;
	return 0;
}

/* Turn a ub_result into an answer or an error. Takes @res. */
static int make_answer(const char *qname, uint16_t qtype, struct ub_result *res,
		       struct dk_answer **ret, struct dk_diag *diag)
{
	int r = make_answer_core(qname, qtype, res, ret, diag);

	ub_resolve_free(res);
	return r;
}

struct sync_state {
	int done;
	int err;
	struct dk_answer *answer;
};

static void sync_cb(void *arg, int err, struct dk_answer *answer)
{
	struct sync_state *s = arg;

	s->done = 1;
	s->err = err;
	s->answer = answer;
}

int dk_lookup(struct dk_resolver *resolver, const char *name, uint16_t type,
	      struct dk_answer **ret_answer, struct dk_diag *diag)
{
	struct sync_state s = { 0, 0, NULL };
	int r;

	if (!resolver || !name || !ret_answer || type == 0) {
		return DK_EINVAL;
	}
	r = dki_check_name(name, diag);
	if (r < 0) {
		return r;
	}
	if (resolver->base) {
		return ev_lookup(resolver, name, type, ret_answer, diag);
	}
	r = dk_lookup_async(resolver, name, type, sync_cb, &s);
	if (r < 0) {
		dki_diagf(diag, "cannot start the lookup: %s", dk_strerror(r));
		return r;
	}
	while (!s.done) {
		r = dk_resolver_process(resolver);
		if (r < 0) {
			dki_diagf(diag, "resolver failure: %s", dk_strerror(r));
			return r;
		}
		if (s.done) {
			break;
		}
		r = dki_resolver_poll(resolver);
		if (r < 0) {
			return r;
		}
	}
	if (s.err < 0) {
		if (s.err == DK_ETIMEDOUT) {
			dki_diagf(diag,
				  "no answer for %s within %.1f s: check that "
				  "the resolver or the name servers are "
				  "reachable",
				  name, resolver->timeout);
		} else if (s.err == DK_ESERVFAIL) {
			dki_diagf(diag,
				  "%s: the name servers failed (SERVFAIL) "
				  "with no validation reason",
				  name);
		} else {
			dki_diagf(diag, "%s: %s", name, dk_strerror(s.err));
		}
		return s.err;
	}
	*ret_answer = s.answer;
	return 0;
}

static void ub_done(void *arg, int err, struct ub_result *res)
{
	struct pending *p = arg;
	struct dk_answer *a = NULL;
	int r;

	p->done = 1;
	if (err != 0 || !res) {
		ub_resolve_free(res);
		r = err == UB_NOMEM ? DK_ENOMEM : DK_ERESOLVER;
	} else {
		r = make_answer(p->name, p->type, res, &a, NULL);
	}
	p->cb(p->arg, r, a);
}

/* --- event resolvers ------------------------------------------------------
 *
 * dk_resolver_new_event(): libunbound's ub_resolve_event() on a libevent
 * loop. An answer in libunbound's cache comes back before
 * ub_resolve_event() returns; others come from the loop. Asynchronous
 * callbacks always run from the loop. A synchronous lookup is answered
 * from the cache, or from the memo of a restartable step (below), or by
 * running the loop when it is not running.
 *
 * A restartable step (dki_memo) lets synchronous code (the chain walk,
 * the RFC 7672 host rules) run inside the loop without blocking it: while
 * a memo is set, a lookup that is neither in the memo nor in the cache is
 * started and fails at once with DKI_EAGAIN; when every such lookup has
 * its answer, the memo's ready callback runs from the loop, and the caller
 * runs the step again, from the start, with those answers at hand. A step
 * whose round had no miss is final. The answers of a memo are kept as
 * they came, so that each round sees the same data.
 */

struct memo_entry {
	struct memo_entry *next;
	char *name; /* absolute, as asked */
	uint16_t type;
	int done;
	int err;
	struct dk_answer *answer;
	struct pending *p; /* while in flight */
};

struct dki_memo {
	struct dk_resolver *r;
	struct memo_entry *entries;
	size_t inflight;
	size_t missed;
	int offline;
	void (*ready)(void *arg);
	void *arg;
	struct event *ready_ev;
};

/*
 * Another holder of @a: answers are read-only once made, so the memo, the
 * followers of a lookup and the answer cache share one.
 */
static struct dk_answer *answer_ref(const struct dk_answer *a)
{
	struct dk_answer *m = (struct dk_answer *)a;

	m->refs++;
	return m;
}

/*
 * The answer cache of an event resolver: the answers libunbound gave
 * (secure or insecure, NOERROR or NXDOMAIN), kept ACACHE_SECONDS at most
 * and never past their TTL, by absolute name and type, and taken only by
 * restartable steps (a scan's domains share their providers' MX hosts:
 * their A and AAAA lookups are parsed once, not once a domain). Bounded
 * (direct-mapped).
 */

static const struct dk_answer *acache_get(struct dk_resolver *r,
					  const char *name, uint16_t type)
{
	struct acache *c;

	if (!r->acache) {
		return NULL;
	}
	c = &r->acache[memo_slot(name, type, 0, ACACHE_SLOTS)];
	if (!c->answer || c->answer->qtype != type ||
	    strcasecmp(c->answer->qname, name) != 0 || dki_now() >= c->until) {
		return NULL;
	}
	return c->answer;
}

static void acache_put(struct dk_resolver *r, const char *name, uint16_t type,
		       const struct dk_answer *a)
{
	struct acache *c;
	uint32_t ttl = dki_answer_keep_ttl(a);

	if (!a ||
	    (a->status != DK_DNSSEC_SECURE &&
	     a->status != DK_DNSSEC_INSECURE) ||
	    (a->rcode != LDNS_RCODE_NOERROR &&
	     a->rcode != LDNS_RCODE_NXDOMAIN) ||
	    ttl == 0 || strcasecmp(a->qname, name) != 0) {
		return;
	}
	if (!r->acache) {
		r->acache = calloc(ACACHE_SLOTS, sizeof(*r->acache));
		if (!r->acache) {
			return;
		}
	}
	c = &r->acache[memo_slot(name, type, 0, ACACHE_SLOTS)];
	dk_answer_free(c->answer);
	c->answer = answer_ref(a);
	c->until = dki_now() + memo_keep(ttl, ACACHE_SECONDS);
}

/*
 * The name the answer is for after the CNAMEs of @ans, followed in order
 * from @qname as libunbound does (reply_find_answer_rrset(),
 * reply_find_final_cname_target()); NULL when it is @qname itself.
 */
static char *canon_from_packet(const ldns_pkt *pkt, const char *qname,
			       uint16_t qtype)
{
	ldns_rr_list *ans = ldns_pkt_answer(pkt);
	ldns_rdf *q = NULL, *cur;
	char *s = NULL;

	if (ldns_str2rdf_dname(&q, qname) != LDNS_STATUS_OK) {
		return NULL;
	}
	cur = q;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    ldns_rr_rd_count(rr) > 0 &&
		    ldns_dname_compare(ldns_rr_owner(rr), cur) == 0) {
			cur = ldns_rr_rdf(rr, 0);
		}
		if (ldns_rr_get_type(rr) == qtype &&
		    ldns_dname_compare(ldns_rr_owner(rr), cur) == 0) {
			break;
		}
	}
	if (cur != q) {
		s = ldns_rdf2str(cur);
	}
	ldns_rdf_deep_free(q);
	return s;
}

/*
 * The answer of an event lookup, made as libunbound makes a ub_result of
 * the same reply (libworker_enter_result()), then as make_answer() does.
 */
static int answer_from_event(const char *qname, uint16_t qtype, int rcode,
			     const void *packet, int len, int sec,
			     const char *why, struct dk_answer **ret)
{
	struct ub_result res;
	ldns_pkt *pkt = NULL;
	int r;

	memset(&res, 0, sizeof(res));
	res.qname = (char *)qname;
	res.qtype = qtype;
	res.qclass = LDNS_RR_CLASS_IN;
	res.why_bogus = (char *)why;
	if (rcode != 0 || !packet || len <= 0 ||
	    ldns_wire2pkt(&pkt, packet, (size_t)len) != LDNS_STATUS_OK) {
		res.rcode = rcode ? rcode : LDNS_RCODE_SERVFAIL;
		return make_answer_core(qname, qtype, &res, ret, NULL);
	}
	res.rcode = (int)ldns_pkt_get_rcode(pkt);
	res.nxdomain = res.rcode == LDNS_RCODE_NXDOMAIN;
	res.secure = sec == 2;
	res.bogus = sec == 1;
	res.canonname = canon_from_packet(pkt, qname, qtype);
	res.answer_packet = (void *)packet;
	res.answer_len = len;
	ldns_pkt_free(pkt);
	r = make_answer_core(qname, qtype, &res, ret, NULL);
	free(res.canonname);
	return r;
}

static void ev_unlink(struct dk_resolver *r, struct pending *p)
{
	if (p->prev) {
		p->prev->next = p->next;
	} else if (r->evq == p) {
		r->evq = p->next;
	}
	if (p->next) {
		p->next->prev = p->prev;
	}
	p->next = p->prev = NULL;
	r->npending--;
}

static size_t lead_slot(const char *name, uint16_t type)
{
	size_t h = 5381u + type;

	for (; *name; name++) {
		h = h * 33u + (unsigned char)tolower((unsigned char)*name);
	}
	return h % (sizeof(((struct dk_resolver *)0)->leaders) /
		    sizeof(struct pending *));
}

static struct pending *lead_find(struct dk_resolver *r, const char *name,
				 uint16_t type)
{
	for (struct pending *q = r->leaders[lead_slot(name, type)]; q;
	     q = q->lnext) {
		if (q->type == type && !q->done &&
		    strcasecmp(q->name, name) == 0) {
			return q;
		}
	}
	return NULL;
}

static void lead_remove(struct pending *p)
{
	struct pending **pp;

	if (!p->in_table) {
		return;
	}
	pp = &p->resolver->leaders[lead_slot(p->name, p->type)];
	while (*pp && *pp != p) {
		pp = &(*pp)->lnext;
	}
	if (*pp) {
		*pp = p->lnext;
	}
	p->lnext = NULL;
	p->in_table = 0;
}

/* Leave the leader @p was following (or let its followers go: they then
 * time out on their own timers). */
static void follow_detach(struct pending *p)
{
	struct pending *f, *next;

	if (p->leader) {
		if (p->fprev) {
			p->fprev->fnext = p->fnext;
		} else {
			p->leader->followers = p->fnext;
		}
		if (p->fnext) {
			p->fnext->fprev = p->fprev;
		}
		p->leader = p->fnext = p->fprev = NULL;
	}
	for (f = p->followers; f; f = next) {
		next = f->fnext;
		f->leader = f->fnext = f->fprev = NULL;
	}
	p->followers = NULL;
}

static void ev_free(struct pending *p)
{
	lead_remove(p);
	follow_detach(p);
	if (p->ev) {
		event_free(p->ev);
	}
	dk_answer_free(p->answer);
	free(p->name);
	free(p);
}

static void memo_store(struct memo_entry *e, struct pending *p)
{
	e->done = 1;
	e->err = p->err;
	e->answer = p->answer;
	p->answer = NULL;
	e->p = NULL;
	p->memo = NULL;
}

/* Hand the outcome of @p to its owner, unlink and free it. */
static void ev_deliver(struct dk_resolver *r, struct pending *p)
{
	struct memo_entry *e = p->memo;

	ev_unlink(r, p);
	if (e) {
		struct dki_memo *m = p->arg;

		memo_store(e, p);
		if (m->inflight > 0 && --m->inflight == 0) {
			event_active(m->ready_ev, EV_TIMEOUT, 1);
		}
	} else if (p->cb) {
		struct dk_answer *a = p->answer;

		p->answer = NULL;
		r->nrun++;
		r->cb_depth++;
		p->cb(p->arg, p->err, a);
		r->cb_depth--;
	}
	ev_free(p);
}

static void ev_done(void *arg, int rcode, void *packet, int len, int sec,
		    char *why, int ratelimited)
{
	struct pending *p = arg;
	struct dk_resolver *r = p->resolver;

	(void)ratelimited;
	if (p->done) {
		return;
	}
	p->done = 1;
	p->err = answer_from_event(p->name, p->type, rcode, packet, len, sec,
				   why, &p->answer);
	if (p->err == 0) {
		acache_put(r, p->name, p->type, p->answer);
	}
	lead_remove(p);
	while (p->followers) {
		struct pending *f = p->followers;

		follow_detach(f);
		f->done = 1;
		f->err = p->err;
		if (p->answer) {
			f->answer = answer_ref(p->answer);
			if (!f->answer) {
				f->err = DK_ENOMEM;
			}
		}
		event_del(f->ev);
		if (f->cb || f->memo) {
			event_active(f->ev, EV_TIMEOUT, 1);
		}
	}
	if (p->orphan) {
		event_del(p->ev);
		ev_unlink(r, p);
		ev_free(p);
		return;
	}
	if (p->starting || (!p->cb && !p->memo)) {
		/* a synchronous start or wait picks it up */
		if (!p->starting) {
			event_del(p->ev);
		}
		return;
	}
	/* From the loop, never from within the caller's own code. */
	event_del(p->ev);
	event_active(p->ev, EV_TIMEOUT, 1);
	(void)r;
}

/* The timer of @p: its time-out, or the delivery of an answer. */
static void ev_timer(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct dk_resolver *r = p->resolver;

	(void)fd;
	(void)what;
	if (!p->done) {
		cancel_ub(r, p);
		p->done = 1;
		p->err = DK_ETIMEDOUT;
		lead_remove(p);
		follow_detach(p);
		if (p->orphan) {
			ev_unlink(r, p);
			ev_free(p);
			return;
		}
		if (!p->cb && !p->memo) {
			return; /* a synchronous wait picks it up */
		}
	}
	ev_deliver(r, p);
}

/*
 * Start an event lookup: 0 and *@ret (done at once when the answer was in
 * the cache, else in flight with its time-out armed), or a DK_E* code.
 */
/*
 * The token bucket (dk_resolver_set_qps()): tokens come at @qps a second
 * up to a tenth of a second's worth (at least one); a lookup is sent when
 * a token is there, and uses it up only when libunbound had to send it
 * (an answer from the cache is free).
 */
static int qps_take(struct dk_resolver *r)
{
	double now = dki_now(), burst = r->qps / 10.0;

	if (burst < 1.0) {
		burst = 1.0;
	}
	r->tokens += (now - r->tokens_at) * r->qps;
	r->tokens_at = now;
	if (r->tokens > burst) {
		r->tokens = burst;
	}
	return r->tokens >= 1.0;
}

/* Send @p to libunbound: 0 (done at once when the answer was in the
 * cache, else in flight with its time-out armed), or a DK_E* code. */
static int ev_send(struct dk_resolver *r, struct pending *p)
{
	struct timeval tv;
	int u;

	p->deferred = 0;
	p->deadline = dki_now() + r->timeout;
	p->starting = 1;
	u = ub_resolve_event(r->ctx, p->name, p->type, LDNS_RR_CLASS_IN, p,
			     ev_done, &p->async_id);
	p->starting = 0;
	if (u != 0) {
		return u == UB_NOMEM ? DK_ENOMEM : DK_ERESOLVER;
	}
	if (!p->done) {
		size_t slot = lead_slot(p->name, p->type);

		p->lnext = r->leaders[slot];
		r->leaders[slot] = p;
		p->in_table = 1;
		r->nnetwork++;
		if (r->qps > 0) {
			r->tokens -= 1.0;
		}
		tv.tv_sec = (time_t)r->timeout;
		tv.tv_usec =
			(suseconds_t)((r->timeout - (double)tv.tv_sec) * 1e6);
		event_add(p->ev, &tv);
	}
	return 0;
}

static void qps_tick(evutil_socket_t fd, short what, void *arg);

static void qps_arm(struct dk_resolver *r)
{
	double wait = 1.0 / r->qps;
	struct timeval tv;

	if (!r->qps_ev || evtimer_pending(r->qps_ev, NULL)) {
		return;
	}
	if (wait < 0.001) {
		wait = 0.001;
	}
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	evtimer_add(r->qps_ev, &tv);
}

/* Send the lookups held back, oldest first, while there are tokens. */
static void qps_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dk_resolver *r = arg;
	struct pending *p = r->evq, *tail = NULL;
	int left = 0;

	(void)fd;
	(void)what;
	for (; p; p = p->next) {
		tail = p;
	}
	for (p = tail; p;) {
		struct pending *prev = p->prev;

		if (p->deferred) {
			if (!qps_take(r)) {
				left = 1;
				break;
			}
			if (ev_send(r, p) < 0) {
				p->done = 1;
				p->err = DK_ERESOLVER;
			}
			if (p->done && (p->cb || p->memo)) {
				/* delivered from the loop, as ever */
				event_active(p->ev, EV_TIMEOUT, 1);
			}
		}
		p = prev;
	}
	if (left) {
		qps_arm(r);
	}
}

int dk_resolver_set_qps(struct dk_resolver *resolver, double qps)
{
	if (!resolver || !resolver->base || !(qps >= 0)) {
		return DK_EINVAL;
	}
	if (!resolver->qps_ev) {
		resolver->qps_ev =
			evtimer_new(resolver->base, qps_tick, resolver);
		if (!resolver->qps_ev) {
			return DK_ENOMEM;
		}
	}
	resolver->qps = qps;
	resolver->tokens = 1.0;
	resolver->tokens_at = dki_now();
	return 0;
}

static int ev_start(struct dk_resolver *r, const char *name, uint16_t type,
		    dk_lookup_cb cb, void *arg, struct pending **ret)
{
	struct pending *p = calloc(1, sizeof(*p));
	struct pending *q;
	int u;

	if (!p) {
		return DK_ENOMEM;
	}
	p->name = absolute_name(name);
	p->ev = event_new(r->base, -1, 0, ev_timer, p);
	if (!p->name || !p->ev) {
		ev_free(p);
		return DK_ENOMEM;
	}
	p->resolver = r;
	p->type = type;
	p->cb = cb;
	p->arg = arg;
	p->err = DK_ETIMEDOUT;
	p->deadline = dki_now() + r->timeout;
	p->next = r->evq;
	if (r->evq) {
		r->evq->prev = p;
	}
	r->evq = p;
	r->npending++;
	if ((q = lead_find(r, p->name, type)) != NULL) {
		/* joins the same lookup in flight */
		struct timeval tv;

		p->follower = 1;
		p->leader = q;
		p->fnext = q->followers;
		if (q->followers) {
			q->followers->fprev = p;
		}
		q->followers = p;
		tv.tv_sec = (time_t)r->timeout;
		tv.tv_usec =
			(suseconds_t)((r->timeout - (double)tv.tv_sec) * 1e6);
		event_add(p->ev, &tv);
		*ret = p;
		return 0;
	}
	if (r->qps > 0 && !qps_take(r)) {
		/* held back: sent by the bucket's timer */
		p->deferred = 1;
		qps_arm(r);
		*ret = p;
		return 0;
	}
	u = ev_send(r, p);
	if (u < 0) {
		ev_unlink(r, p);
		ev_free(p);
		return u;
	}
	*ret = p;
	return 0;
}

static int ev_lookup_async(struct dk_resolver *r, const char *name,
			   uint16_t type, dk_lookup_cb cb, void *arg)
{
	struct pending *p = NULL;
	int e = ev_start(r, name, type, cb, arg, &p);

	if (e < 0) {
		return e;
	}
	if (p->done) {
		event_active(p->ev, EV_TIMEOUT, 1);
	}
	return 0;
}

/*
 * Called from within a callback the resolver runs from the loop (which
 * may not be run again from there)? For the caller's own callbacks,
 * event_base_loop() refuses by itself.
 */
static int in_loop(struct dk_resolver *r)
{
	return r->cb_depth > 0;
}

static struct memo_entry *memo_find(struct dki_memo *m, const char *name,
				    uint16_t type)
{
	for (struct memo_entry *e = m->entries; e; e = e->next) {
		if (e->type == type && strcasecmp(e->name, name) == 0) {
			return e;
		}
	}
	return NULL;
}

/* The outcome @err / @a of a synchronous event lookup of @name. */
static int ev_result(struct dk_resolver *r, const char *name, int err,
		     const struct dk_answer *a, struct dk_answer **ret,
		     struct dk_diag *diag)
{
	if (err == DK_ETIMEDOUT) {
		dki_diagf(diag,
			  "no answer for %s within %.1f s: check that the "
			  "resolver or the name servers are reachable",
			  name, r->timeout);
		return err;
	}
	if (err == DK_ESERVFAIL) {
		dki_diagf(diag,
			  "%s: the name servers failed (SERVFAIL) with no "
			  "validation reason",
			  name);
		return err;
	}
	if (err < 0) {
		dki_diagf(diag, "%s: %s", name, dk_strerror(err));
		return err;
	}
	*ret = answer_ref(a);
	return 0;
}

static int ev_lookup(struct dk_resolver *r, const char *name, uint16_t type,
		     struct dk_answer **ret, struct dk_diag *diag)
{
	struct dki_memo *m = r->memo;
	struct memo_entry *e = NULL;
	struct pending *p = NULL;
	const struct dk_answer *hit;
	char *abs = absolute_name(name);
	int err;

	if (!abs) {
		return DK_ENOMEM;
	}
	if (m) {
		e = memo_find(m, abs, type);
		if (e && e->done) {
			free(abs);
			return ev_result(r, name, e->err, e->answer, ret, diag);
		}
		if (e) {
			/* asked before in this round, still in flight */
			free(abs);
			m->missed++;
			dki_diagf(diag, "%s: the answer is awaited", name);
			return DKI_EAGAIN;
		}
	}
	if (m && !m->offline && (hit = acache_get(r, abs, type)) &&
	    (e = calloc(1, sizeof(*e)))) {
		/* kept in the memo too: every round sees the same */
		e->name = abs;
		e->type = type;
		e->done = 1;
		e->answer = answer_ref(hit);
		e->next = m->entries;
		m->entries = e;
		return ev_result(r, name, 0, e->answer, ret, diag);
	}
	err = ev_start(r, abs, type, NULL, NULL, &p);
	if (err < 0) {
		free(abs);
		dki_diagf(diag, "cannot start the lookup: %s",
			  dk_strerror(err));
		return err;
	}
	if (!p->done && m && !m->offline) {
		/* not at hand: the step runs again once it is */
		e = calloc(1, sizeof(*e));
		if (!e) {
			cancel_ub(r, p);
			ev_unlink(r, p);
			ev_free(p);
			free(abs);
			return DK_ENOMEM;
		}
		e->name = abs;
		e->type = type;
		e->p = p;
		e->next = m->entries;
		m->entries = e;
		p->memo = e;
		p->arg = m;
		m->inflight++;
		m->missed++;
		dki_diagf(diag, "%s: the answer is awaited", name);
		return DKI_EAGAIN;
	}
	if (!p->done && m) {
		/* the step may not wait any more */
		cancel_ub(r, p);
		p->done = 1;
		p->err = DK_ETIMEDOUT;
	}
	while (!p->done) {
		if (in_loop(r) || event_base_loop(r->base, EVLOOP_ONCE) < 0) {
			/* the loop runs already: this caller may not wait */
			cancel_ub(r, p);
			ev_unlink(r, p);
			ev_free(p);
			free(abs);
			dki_diagf(diag,
				  "%s: a synchronous lookup from within the "
				  "event loop",
				  name);
			return DK_EINVAL;
		}
	}
	event_del(p->ev);
	ev_unlink(r, p);
	if (m) {
		/* at hand: kept, so that every round sees the same */
		e = calloc(1, sizeof(*e));
		if (e) {
			e->name = abs;
			abs = NULL;
			e->type = type;
			memo_store(e, p);
			e->next = m->entries;
			m->entries = e;
			err = ev_result(r, name, e->err, e->answer, ret, diag);
			ev_free(p);
			return err;
		}
	}
	free(abs);
	err = ev_result(r, name, p->err, p->answer, ret, diag);
	ev_free(p);
	return err;
}

/*
 * The owner of @p (a memo, a callback) goes while @p is in flight: when
 * other lookups follow it, it stays in flight for them with no owner (it
 * frees itself once answered or timed out) instead of being cancelled,
 * which would leave them to time out. 1 when so; 0: cancel and free it.
 */
static int ev_orphan(struct pending *p)
{
	if (p->done || p->follower || !p->followers) {
		return 0;
	}
	p->orphan = 1;
	p->cb = NULL;
	p->arg = NULL;
	p->memo = NULL;
	return 1;
}

static void memo_ready(evutil_socket_t fd, short what, void *arg)
{
	struct dki_memo *m = arg;

	(void)fd;
	(void)what;
	struct dk_resolver *r = m->r;

	if (m->inflight == 0 && m->ready) {
		/* @ready may free @m */
		r->cb_depth++;
		m->ready(m->arg);
		r->cb_depth--;
	}
}

int dki_memo_new(struct dk_resolver *r, void (*ready)(void *arg), void *arg,
		 struct dki_memo **ret)
{
	struct dki_memo *m;

	if (!r || !r->base || !ret) {
		return DK_EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		return DK_ENOMEM;
	}
	m->r = r;
	m->ready = ready;
	m->arg = arg;
	m->ready_ev = event_new(r->base, -1, 0, memo_ready, m);
	if (!m->ready_ev) {
		free(m);
		return DK_ENOMEM;
	}
	*ret = m;
	return 0;
}

void dki_memo_free(struct dki_memo *m)
{
	struct memo_entry *e, *next;

	if (!m) {
		return;
	}
	if (m->r->memo == m) {
		m->r->memo = NULL;
	}
	for (e = m->entries; e; e = next) {
		next = e->next;
		if (e->p && !ev_orphan(e->p)) {
			cancel_ub(m->r, e->p);
			ev_unlink(m->r, e->p);
			ev_free(e->p);
		}
		dk_answer_free(e->answer);
		free(e->name);
		free(e);
	}
	event_free(m->ready_ev);
	free(m);
}

void dki_memo_begin(struct dki_memo *m)
{
	m->missed = 0;
	m->r->memo = m;
}

size_t dki_memo_end(struct dki_memo *m)
{
	if (m->r->memo == m) {
		m->r->memo = NULL;
	}
	return m->missed;
}

void dki_memo_offline(struct dki_memo *m)
{
	m->offline = 1;
}

size_t dki_memo_missed(const struct dki_memo *m)
{
	return m ? m->missed : 0;
}

int dki_chainmemo_on(const struct dk_resolver *r, size_t *ret_missed)
{
	if (!r || !r->memo || r->memo->offline) {
		return 0;
	}
	*ret_missed = r->memo->missed;
	return 1;
}

size_t dki_memo_inflight(const struct dki_memo *m)
{
	return m ? m->inflight : 0;
}

uint64_t dki_resolver_network(const struct dk_resolver *r)
{
	return r ? r->nnetwork : 0;
}

/* Cancel and free the event lookups whose argument is @arg. */
static void ev_cancel_arg(struct dk_resolver *r, void *arg)
{
	struct pending *p = r->evq, *next;

	for (; p; p = next) {
		next = p->next;
		if (p->arg == arg && !p->memo) {
			if (ev_orphan(p)) {
				continue;
			}
			if (!p->done) {
				cancel_ub(r, p);
			}
			ev_unlink(r, p);
			ev_free(p);
		}
	}
}

int dk_lookup_async(struct dk_resolver *resolver, const char *name,
		    uint16_t type, dk_lookup_cb cb, void *arg)
{
	struct pending *p;
	int u;

	if (!resolver || !name || !cb || type == 0 ||
	    dki_check_name(name, NULL) < 0) {
		return DK_EINVAL;
	}
	if (resolver->base) {
		return ev_lookup_async(resolver, name, type, cb, arg);
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		return DK_ENOMEM;
	}
	p->name = absolute_name(name);
	if (!p->name) {
		free(p);
		return DK_ENOMEM;
	}
	p->resolver = resolver;
	p->type = type;
	p->cb = cb;
	p->arg = arg;
	p->deadline = dki_now() + resolver->timeout;
	u = ub_resolve_async(resolver->ctx, p->name, type, LDNS_RR_CLASS_IN, p,
			     ub_done, &p->async_id);
	if (u != 0) {
		free(p->name);
		free(p);
		return u == UB_NOMEM ? DK_ENOMEM : DK_ERESOLVER;
	}
	p->next = resolver->pending;
	resolver->pending = p;
	resolver->npending++;
	return 0;
}

size_t dk_resolver_pending(const struct dk_resolver *resolver)
{
	return resolver ? resolver->npending : 0;
}

int dk_resolver_fd(struct dk_resolver *resolver)
{
	int fd;

	if (!resolver || resolver->base) {
		return DK_EINVAL;
	}
	fd = ub_fd(resolver->ctx);
	return fd < 0 ? DK_ERESOLVER : fd;
}

/* Drop finished entries; expire those past their deadline. */
static int reap(struct dk_resolver *resolver)
{
	struct pending **pp;
	double now = dki_now();
	int n = 0, again = 1;

	/*
	 * Time-outs first. A callback may start new lookups (they go to the
	 * head of the list), so the walk starts again after each one, and
	 * nothing is unlinked meanwhile.
	 */
	while (again) {
		again = 0;
		for (struct pending *p = resolver->pending; p; p = p->next) {
			if (!p->done && now >= p->deadline) {
				cancel_ub(resolver, p);
				p->done = 1;
				p->cb(p->arg, DK_ETIMEDOUT, NULL);
				n++;
				again = 1;
				break;
			}
		}
	}
	/* then every finished entry, wherever it is now */
	pp = &resolver->pending;
	while (*pp) {
		struct pending *p = *pp;

		if (p->done) {
			*pp = p->next;
			resolver->npending--;
			free(p->name);
			free(p);
		} else {
			pp = &p->next;
		}
	}
	return n;
}

int dk_resolver_process(struct dk_resolver *resolver)
{
	size_t before;
	int u;

	if (!resolver) {
		return DK_EINVAL;
	}
	if (resolver->base) {
		resolver->nrun = 0;
		if (in_loop(resolver) ||
		    event_base_loop(resolver->base, EVLOOP_NONBLOCK) < 0) {
			return DK_EINVAL;
		}
		return resolver->nrun;
	}
	before = resolver->npending;
	if (ub_poll(resolver->ctx)) {
		u = ub_process(resolver->ctx);
		if (u != 0) {
			return DK_ERESOLVER;
		}
	}
	reap(resolver);
	return (int)(before - resolver->npending);
}

int dki_resolver_poll(struct dk_resolver *resolver)
{
	double wait = 1.0, now = dki_now();
	struct pollfd pfd;
	int ms, fd;

	if (resolver->base) {
		/* returns once something happened (a time-out at least) */
		return in_loop(resolver) || event_base_loop(resolver->base,
							    EVLOOP_ONCE) < 0
			       ? DK_EINVAL
			       : 0;
	}
	fd = ub_fd(resolver->ctx);

	for (struct pending *p = resolver->pending; p; p = p->next) {
		if (!p->done && p->deadline - now < wait) {
			wait = p->deadline - now;
		}
	}
	if (wait < 0) {
		wait = 0;
	}
	ms = (int)(wait * 1000.0) + 1;
	if (fd < 0) {
		return DK_ERESOLVER;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
		return DK_ERESOLVER;
	}
	return 0;
}

int dk_resolver_wait(struct dk_resolver *resolver)
{
	int r;

	if (!resolver) {
		return DK_EINVAL;
	}
	while (resolver->base && resolver->npending > 0) {
		if (in_loop(resolver) ||
		    event_base_loop(resolver->base, EVLOOP_ONCE) < 0) {
			return DK_EINVAL; /* called from within the loop */
		}
	}
	while (resolver->npending > 0) {
		r = dk_resolver_process(resolver);
		if (r < 0) {
			return r;
		}
		if (resolver->npending == 0) {
			break;
		}
		r = dki_resolver_poll(resolver);
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

int dk_rr_type_parse(const char *text)
{
	ldns_rr_type t;

	if (!text || !*text) {
		return DK_EINVAL;
	}
	if (strncasecmp(text, "TYPE", 4) == 0) {
		/* RFC 3597 section 5: TYPE and a decimal number. */
		char *end = NULL;
		unsigned long v;

		if (!isdigit((unsigned char)text[4])) {
			return DK_EINVAL;
		}
		errno = 0;
		v = strtoul(text + 4, &end, 10);
		if (errno || *end || v == 0 || v > 65535) {
			return DK_EINVAL;
		}
		return (int)v;
	}
	t = ldns_get_rr_type_by_name(text);
	if (t == 0) {
		return DK_EINVAL;
	}
	return (int)t;
}
