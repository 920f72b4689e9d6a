/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Validated lookups against the lab, timed: N lookups synchronously in one
 * context, asynchronously (all in flight) in one context, and
 * synchronously with a new context per lookup (cold cache, like one
 * unbound-host process per name).
 *
 * Usage: dk-bench-lookup UNBOUND_CONF NAMES_FILE N
 * NAMES_FILE: "NAME TYPE" a line; cycled to N lookups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <danekit/dnssec.h>

struct q {
	char name[256];
	int type;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int counts[4];
static int errors;

static void count(int err, struct dk_answer *a)
{
	if (err < 0) {
		errors++;
	} else {
		counts[dk_answer_status(a)]++;
	}
	dk_answer_free(a);
}

static void cb(void *arg, int err, struct dk_answer *a)
{
	(void)arg;
	count(err, a);
}

static void report(const char *mode, int n, double t)
{
	printf("%-28s %6d lookups %8.3f s %10.0f lookups/s  (secure %d, "
	       "insecure %d, bogus %d, errors %d)\n",
	       mode, n, t, n / t, counts[DK_DNSSEC_SECURE],
	       counts[DK_DNSSEC_INSECURE], counts[DK_DNSSEC_BOGUS], errors);
	memset(counts, 0, sizeof(counts));
	errors = 0;
}

int main(int argc, char **argv)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct q *qs = NULL;
	size_t nq = 0, cap = 0;
	char line[300];
	FILE *f;
	int n;
	double t;

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: %s UNBOUND_CONF NAMES_FILE N\n",
			argv[0]);
		return 64;
	}
	f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 66;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[256], type[32];

		if (sscanf(line, "%255s %31s", name, type) != 2) {
			continue;
		}
		if (nq == cap) {
			cap = cap ? 2 * cap : 64;
			qs = realloc(qs, cap * sizeof(*qs));
			if (!qs) {
				return 70;
			}
		}
		snprintf(qs[nq].name, sizeof(qs[nq].name), "%s", name);
		qs[nq].type = dk_rr_type_parse(type);
		nq++;
	}
	fclose(f);
	if (!nq) {
		fprintf(stderr, "no names\n");
		return 65;
	}
	o.unbound_conf = argv[1];
	o.timeout = 10;

	/* Warm, synchronous, one context. */
	if (dk_resolver_new(&o, &r, NULL) < 0) {
		return 70;
	}
	t = now();
	for (int i = 0; i < n; i++) {
		struct dk_answer *a = NULL;
		int e = dk_lookup(r, qs[i % nq].name, (uint16_t)qs[i % nq].type,
				  &a, NULL);

		count(e, a);
	}
	report("danekit sync (one context)", n, now() - t);
	dk_resolver_free(r);

	/* Asynchronous, all in flight, one fresh context. */
	if (dk_resolver_new(&o, &r, NULL) < 0) {
		return 70;
	}
	t = now();
	for (int i = 0; i < n; i++) {
		if (dk_lookup_async(r, qs[i % nq].name,
				    (uint16_t)qs[i % nq].type, cb, NULL) < 0) {
			errors++;
		}
	}
	dk_resolver_wait(r);
	report("danekit async (one context)", n, now() - t);
	dk_resolver_free(r);

	/* Cold: a new context per lookup. */
	t = now();
	for (int i = 0; i < n; i++) {
		struct dk_answer *a = NULL;
		int e;

		if (dk_resolver_new(&o, &r, NULL) < 0) {
			return 70;
		}
		e = dk_lookup(r, qs[i % nq].name, (uint16_t)qs[i % nq].type, &a,
			      NULL);
		count(e, a);
		dk_resolver_free(r);
	}
	report("danekit sync (cold context)", n, now() - t);
	free(qs);
	return 0;
}
