/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit hook: staged deployment against the lab and the DNS UPDATE
 * primary (dyn.test. on knotd, with a lagging second name server). The
 * client's interface is given as the client gives it (certbot's
 * RENEWED_LINEAGE folder here; tests/acme/ runs the real clients). Every
 * expected value comes from the openssl command line or from kdig asking
 * the name servers, never from danekit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "helpers.h"

#define TTL 2

/* One service under test: a fresh folder and a fresh name in dyn.test. */
struct svc {
	char *dir;
	char host[128];
	char owner[160];
	char conf[512];
	const char *chain; /* the deployed chain, relative to dir */
};

static void svc_new(struct svc *s, const char *label)
{
	lab_up();
	s->dir = tmpdir();
	snprintf(s->host, sizeof(s->host), "mail.%s-%d.dyn.test", label,
		 (int)getpid());
	snprintf(s->owner, sizeof(s->owner), "_25._tcp.%s", s->host);
	snprintf(s->conf, sizeof(s->conf), "%s/hook.conf", s->dir);
	s->chain = "deploy/fullchain.pem";
}

static void svc_free(struct svc *s)
{
	/* leave the name empty */
	struct run r = run("cd %s && for f in *.pem; do case $f in *-full.pem) "
			   ";; *) echo --remove $f;; esac; done | xargs %s "
			   "--unbound-conf %s publish --host %s --tsig-key %s "
			   "--server %s",
			   s->dir, danekit(), prim_conf, s->host, prim_key,
			   prim_server);

	run_free(&r);
	tmpdir_free(s->dir);
}

/* NAME.key, NAME.pem (leaf) and NAME-full.pem (leaf + lab intermediate). */
static void make_cert(const struct svc *s, const char *name)
{
	/* the TTL of the printed record is looked up: in the lab */
	struct run r =
		run("%s --unbound-conf %s rollover --prepare-next "
		    "--key-out %s/%s.key --csr-out %s/%s.csr --host %s",
		    danekit(), prim_conf, s->dir, name, s->dir, name, s->host);
	char csr[512], pem[512], full[512];

	cr_assert_eq(r.status, 0, "prepare-next %s: %s", name, r.err);
	run_free(&r);
	snprintf(csr, sizeof(csr), "%s/%s.csr", s->dir, name);
	snprintf(pem, sizeof(pem), "%s/%s.pem", s->dir, name);
	snprintf(full, sizeof(full), "%s/%s-full.pem", s->dir, name);
	cr_assert_eq(lab_sign(csr, pem, full), 0);
}

/* The config file: deploy location in DIR/deploy, publisher on. */
static void write_conf(const struct svc *s, const char *extra)
{
	FILE *f = fopen(s->conf, "w");

	cr_assert(f);
	fprintf(f,
		"tlsa-name = %s\n"
		"deploy-fullchain = deploy/fullchain.pem\n"
		"deploy-key = deploy/privkey.pem\n"
		"reload = echo reload >> %s/reloads\n"
		"state-dir = state\n"
		"tsig-key = %s\n"
		"server = %s\n"
		"ttl = %d\n"
		"auth-port = %s\n"
		"unbound-conf = %s\n%s",
		s->owner, s->dir, prim_key, prim_server, TTL, prim_port,
		prim_conf, extra ? extra : "");
	fclose(f);
	{
		struct run r = run("mkdir -p %s/deploy", s->dir);

		run_free(&r);
	}
}

/* certbot's live folder for certificate NAME; the hook's environment. */
static char *certbot_env(const struct svc *s, const char *name)
{
	char *env = NULL;
	struct run r = run("mkdir -p %s/live-%s && cp %s/%s-full.pem "
			   "%s/live-%s/fullchain.pem && cp %s/%s.pem "
			   "%s/live-%s/cert.pem && cp %s/%s.key "
			   "%s/live-%s/privkey.pem && cp %s/int.pem "
			   "%s/live-%s/chain.pem",
			   s->dir, name, s->dir, name, s->dir, name, s->dir,
			   name, s->dir, name, s->dir, name, s->dir, name,
			   lab_pki, s->dir, name);

	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	cr_assert(asprintf(&env,
			   "env -i PATH=\"$PATH\" HOME=%s "
			   "RENEWED_LINEAGE=%s/live-%s RENEWED_DOMAINS=%s",
			   s->dir, s->dir, name, s->host) > 0);
	return env;
}

static struct run hook(const struct svc *s, const char *name, const char *opts)
{
	char *env = certbot_env(s, name);
	struct run r = run("cd %s && %s %s hook certbot --config %s %s", s->dir,
			   env, danekit(), s->conf, opts ? opts : "");

	free(env);
	return r;
}

static struct run resume(const struct svc *s)
{
	return run("%s hook resume --config %s", danekit(), s->conf);
}

/* The SHA-256 of the public key in @file (a key or a certificate chain),
 * by the openssl command line. */
static char *spki_of(const char *file)
{
	struct run r =
		run("(openssl x509 -in %s -pubkey -noout 2>/dev/null || "
		    "openssl pkey -in %s -pubout) | openssl pkey -pubin "
		    "-outform DER | openssl dgst -sha256 -r | cut -c1-64",
		    file, file);
	char *s;

	cr_assert_eq(r.status, 0, "%s: %s", file, r.err);
	s = strndup(r.out, 64);
	run_free(&r);
	return s;
}

/* Does the deploy location hold NAME's key and chain? */
static int deployed_is(const struct svc *s, const char *name)
{
	char a[600], b[600];
	char *k1, *k2, *c1, *c2;
	int same;

	snprintf(a, sizeof(a), "%s/deploy/privkey.pem", s->dir);
	snprintf(b, sizeof(b), "%s/%s.key", s->dir, name);
	if (!exists(a)) {
		return 0;
	}
	k1 = spki_of(a);
	k2 = spki_of(b);
	snprintf(a, sizeof(a), "%s/%s", s->dir, s->chain);
	snprintf(b, sizeof(b), "%s/%s.pem", s->dir, name);
	c1 = spki_of(a);
	c2 = spki_of(b);
	same = strcmp(k1, k2) == 0 && strcmp(c1, c2) == 0;
	free(k1);
	free(k2);
	free(c1);
	free(c2);
	return same;
}

static int reloads(const struct svc *s)
{
	struct run r = run("cat %s/reloads 2>/dev/null | wc -l", s->dir);
	int n = atoi(r.out);

	run_free(&r);
	return n;
}

/* What the name servers serve at the owner (kdig, both servers). */
static char *served(const struct svc *s, const char *addr)
{
	struct run r = run("kdig +short +norec @%s -p %s %s TLSA | tr a-f A-F "
			   "| tr -d ' ' | sort",
			   addr, prim_port, s->owner);
	char *o = strdup(r.out);

	run_free(&r);
	return o;
}

/* Is the 3 1 1 record of @name served by both name servers? */
static int published(const struct svc *s, const char *name)
{
	char file[600], want[128];
	char *spki, *a, *b;
	int yes;

	snprintf(file, sizeof(file), "%s/%s.key", s->dir, name);
	spki = spki_of(file);
	snprintf(want, sizeof(want), "311%s", spki);
	for (char *p = want; *p; p++) {
		if (*p >= 'a' && *p <= 'f') {
			*p = (char)(*p - 'a' + 'A');
		}
	}
	a = served(s, prim_addr);
	b = served(s, prim_addr2);
	yes = (strstr(a, want) ? 1 : 0) + (strstr(b, want) ? 2 : 0);
	free(spki);
	free(a);
	free(b);
	return yes;
}

/* Resume (and let the secondary catch up) until @want is in the output. */
static struct run resume_until(const struct svc *s, const char *want,
			       int seconds)
{
	struct run r = { -1, NULL, NULL };

	for (int i = 0; i < seconds * 2; i++) {
		secondary_sync();
		r = resume(s);
		if (strstr(r.out, want)) {
			return r;
		}
		run_free(&r);
		usleep(500000);
	}
	return resume(s);
}

/* A first certificate, deployed through the hook and resume. */
static void first_deploy(const struct svc *s)
{
	struct run r;

	make_cert(s, "cur");
	r = hook(s, "cur", NULL);
	cr_assert_eq(r.status, 0, "first hook: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, "staged:"), "not staged: %s", r.out);
	run_free(&r);
	r = resume_until(s, "deployed:", 30);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "deployed:"), "never deployed: %s %s", r.out,
		  r.err);
	run_free(&r);
	cr_assert(deployed_is(s, "cur"));
}

/*
 * The whole staged rollover: the hook stages (the new record is just
 * published, ns2 lags), resume deploys once the record is on every server
 * for twice the TTL, never before, then retires the old record.
 */
/*
 * The first sight of NAME's 3 1 1 record in the hook's state file
 * (state/rollover.state: OWNER 3 1 1 DATA FIRST-SEEN) is after @t, when
 * it could first be seen on every server: a first sight taken too early
 * overstates the record's age and lets its key go live early.
 */
static void first_seen_after(const struct svc *s, const char *name,
			     const struct timespec *t)
{
	char pem[600], *spki;
	struct run r;
	long long fs = 0;

	snprintf(pem, sizeof(pem), "%s/%s-full.pem", s->dir, name);
	spki = spki_of(pem);
	r = run("awk -v d=%s '$2 == 3 && $3 == 1 && $4 == 1 && "
		"tolower($5) == d { print $6 }' %s/state/rollover.state",
		spki, s->dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(sscanf(r.out, "%lld", &fs) == 1,
		  "no first sight of %s's record (%s) in the state", name,
		  spki);
	cr_expect_gt((double)fs, (double)t->tv_sec + (double)t->tv_nsec / 1e9,
		     "%s's record first seen at %lld, before it could be on "
		     "every server (%lld.%09ld)",
		     name, fs, (long long)t->tv_sec, t->tv_nsec);
	run_free(&r);
	free(spki);
}

Test(renew_hook, stage_deploy_retire)
{
	struct svc s;
	struct run r;
	struct timespec synced;
	time_t t0;
	int hold;

	svc_new(&s, "hk-flow");
	write_conf(&s, NULL);
	first_deploy(&s);
	cr_assert_eq(reloads(&s), 1);

	make_cert(&s, "next");
	/* no other test may let ns2 catch up meanwhile */
	hold = secondary_hold();
	t0 = time(NULL);
	r = hook(&s, "next", NULL);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "staged: staged "), "%s", r.out);
	cr_assert(strstr(r.out, "expected to deploy from "), "%s", r.out);
	cr_assert(strstr(r.out, "published _25._tcp."), "%s", r.out);
	run_free(&r);
	/* published on the primary, not on the lagging ns2 */
	cr_assert_eq(published(&s, "next"), 1);
	cr_assert(deployed_is(&s, "cur"), "deployed before it was safe");

	/* resume without the secondary: still staged (propagating) */
	r = resume(&s);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "propagating"), "%s", r.out);
	run_free(&r);
	secondary_release(hold);
	cr_assert(deployed_is(&s, "cur"));
	/* ns2 catches up: from now on the record is on every server, and
	 * the next resume sees it there first */
	secondary_sync();
	clock_gettime(CLOCK_REALTIME, &synced);
	r = resume(&s);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(!strstr(r.out, "propagating"), "%s", r.out);
	run_free(&r);
	first_seen_after(&s, "next", &synced);

	r = resume_until(&s, "deployed:", 40);
	cr_assert(strstr(r.out, "deployed:"), "%s %s", r.out, r.err);
	run_free(&r);
	cr_assert(time(NULL) - t0 >= 2 * TTL, "deployed before 2 x TTL");
	cr_assert(deployed_is(&s, "next"));
	cr_assert_eq(reloads(&s), 2);
	/* the old record is still there right after the deployment */
	cr_assert_eq(published(&s, "cur"), 3);

	r = resume_until(&s, "removed _25._tcp.", 30);
	cr_assert(strstr(r.out, "removed _25._tcp."), "%s %s", r.out, r.err);
	run_free(&r);
	secondary_sync();
	cr_assert_eq(published(&s, "cur"), 0);
	cr_assert_eq(published(&s, "next"), 3);

	/* rollover agrees: done */
	r = run("%s --unbound-conf %s rollover --host %s --current "
		"%s/cur-full.pem --next %s/next-full.pem --auth-port %s "
		"--no-connect --state %s/st",
		danekit(), prim_conf, s.host, s.dir, s.dir, prim_port, s.dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": done\n"), "%s", r.out);
	run_free(&r);
	svc_free(&s);
}

/* The client calls the hook twice for the same certificate: nothing
 * happens twice (staged once, deployed once, reloaded once). */
Test(renew_hook, twice_same_certificate)
{
	struct svc s;
	struct run r;
	char *st1, *st2;

	svc_new(&s, "hk-twice");
	write_conf(&s, NULL);
	first_deploy(&s);
	make_cert(&s, "next");
	r = hook(&s, "next", "--json");
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	st1 = strdup(strstr(r.out, "\"staged_at\""));
	run_free(&r);
	sleep(1);
	r = hook(&s, "next", "--json");
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	st2 = strstr(r.out, "\"staged_at\"");
	cr_assert(st2 && strncmp(st1, st2, 35) == 0,
		  "staged again: %.40s vs %.40s", st1, st2);
	cr_assert(strstr(r.out, "\"published\": []"), "published twice: %s",
		  r.out);
	free(st1);
	run_free(&r);
	r = resume_until(&s, "deployed:", 40);
	cr_assert(strstr(r.out, "deployed:"), "%s", r.out);
	run_free(&r);
	cr_assert_eq(reloads(&s), 2);
	r = hook(&s, "next", NULL);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "already-deployed:"), "%s", r.out);
	run_free(&r);
	cr_assert_eq(reloads(&s), 2, "reloaded twice");
	cr_assert(deployed_is(&s, "next"));
	svc_free(&s);
}

/* A newer renewal replaces the staged one whole; the replaced key never
 * goes live and its record goes. */
Test(renew_hook, newer_renewal_replaces_staged)
{
	struct svc s;
	struct run r;

	svc_new(&s, "hk-newer");
	write_conf(&s, NULL);
	first_deploy(&s);
	make_cert(&s, "a");
	make_cert(&s, "b");
	r = hook(&s, "a", NULL);
	cr_assert(strstr(r.out, "staged:"), "%s", r.out);
	run_free(&r);
	r = hook(&s, "b", NULL);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "replaces the staged renewal"), "%s", r.out);
	run_free(&r);
	secondary_sync();
	cr_assert_eq(published(&s, "a"), 0, "the replaced key's record stays");
	r = resume_until(&s, "deployed:", 40);
	cr_assert(strstr(r.out, "deployed:"), "%s", r.out);
	run_free(&r);
	cr_assert(deployed_is(&s, "b"));
	svc_free(&s);
}

/* The publisher cannot be reached: staged (exit 0), and deployed once a
 * later resume can publish. */
Test(renew_hook, publisher_unreachable)
{
	struct svc s;
	struct run r;
	char line[256];

	svc_new(&s, "hk-unreach");
	write_conf(&s, NULL);
	first_deploy(&s);
	make_cert(&s, "next");
	/* nothing listens on port 9 of the primary's address */
	snprintf(line, sizeof(line), "--server %s@9", prim_addr);
	r = hook(&s, "next", line);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "staged:"), "%s", r.out);
	cr_assert(strstr(r.out, "publishing failed, will try again"), "%s",
		  r.out);
	cr_assert(strstr(r.out, "publish _25._tcp."), "%s", r.out);
	run_free(&r);
	r = run("%s hook resume --config %s %s", danekit(), s.conf, line);
	cr_assert_eq(r.status, 75, "%d %s %s", r.status, r.out, r.err);
	run_free(&r);
	cr_assert_eq(published(&s, "next"), 0);
	cr_assert(deployed_is(&s, "cur"));
	/* the server is back (the config's): published, then deployed */
	r = resume_until(&s, "deployed:", 40);
	cr_assert(strstr(r.out, "deployed:"), "%s", r.out);
	run_free(&r);
	cr_assert(deployed_is(&s, "next"));
	svc_free(&s);
}

/* Bogus records are never deployed (exit 1), insecure ones neither (2). */
Test(renew_hook, bogus_and_insecure_never_deployed)
{
	static const struct {
		const char *name;
		int status;
	} cases[] = { { "_25._tcp.mail.tampered.test", 1 },
		      { "_25._tcp.mail.insecure.test", 2 } };
	struct svc s;

	svc_new(&s, "hk-bogus");
	make_cert(&s, "next");
	for (size_t i = 0; i < 2; i++) {
		struct run r;
		FILE *f = fopen(s.conf, "w");

		fprintf(f,
			"tlsa-name = %s\ndeploy-combined = deploy.pem\n"
			"reload = touch %s/m\nstate-dir = state%zu\n"
			"auth-port = %s\nmin-age = 0\nunbound-conf = %s\n",
			cases[i].name, s.dir, i, lab_port, lab_conf);
		fclose(f);
		r = hook(&s, "next", NULL);
		cr_assert_eq(r.status, cases[i].status, "%s: %d %s %s",
			     cases[i].name, r.status, r.out, r.err);
		cr_assert(strstr(r.err, i ? "insecure" : "bogus"), "%s", r.err);
		run_free(&r);
		r = resume(&s);
		cr_assert_eq(r.status, cases[i].status, "%s", r.err);
		run_free(&r);
		r = run("ls %s", s.dir);
		cr_assert_null(strstr(r.out, "deploy.pem"), "deployed: %s",
			       r.out);
		cr_assert_null(strstr(r.out, "\nm\n"), "reloaded");
		run_free(&r);
	}
	tmpdir_free(s.dir);
}

/* The deploy location is not writable: a clear error, nothing
 * half-written, the staged pair kept and deployed once it is. */
Test(renew_hook, deploy_location_not_writable)
{
	struct svc s;
	struct run r;
	char *key_before, *chain_before, path[600], *env;

	svc_new(&s, "hk-rofs");
	/* the key in one folder, the chain in another that is read-only */
	write_conf(&s, "deploy-fullchain = ro/fullchain.pem\n");
	r = run("mkdir %s/ro", s.dir);
	run_free(&r);
	s.chain = "ro/fullchain.pem";
	first_deploy(&s);
	snprintf(path, sizeof(path), "%s/deploy/privkey.pem", s.dir);
	key_before = spki_of(path);
	snprintf(path, sizeof(path), "%s/ro/fullchain.pem", s.dir);
	chain_before = spki_of(path);
	make_cert(&s, "next");
	/* 0555; as root, the hook runs without CAP_DAC_OVERRIDE */
	r = run("chmod 555 %s/ro", s.dir);
	run_free(&r);
	env = certbot_env(&s, "next");
	r = run("cd %s && %s %s %s hook certbot --config %s --min-age 0", s.dir,
		env,
		geteuid() == 0 ? "setpriv --bounding-set=-dac_override,"
				 "-dac_read_search --inh-caps=-all"
			       : "",
		danekit(), s.conf);
	free(env);
	/* published and safe at once (--min-age 0) but not installable */
	for (int i = 0; i < 20 && r.status == 0 && strstr(r.out, "staged:");
	     i++) {
		run_free(&r);
		secondary_sync();
		r = run("%s %s hook resume --config %s --min-age 0",
			geteuid() == 0 ? "setpriv --bounding-set=-dac_override,"
					 "-dac_read_search --inh-caps=-all"
				       : "",
			danekit(), s.conf);
	}
	cr_assert_eq(r.status, 1, "%d %s %s", r.status, r.out, r.err);
	cr_assert(strstr(r.err, "cannot install into the deploy location"),
		  "%s", r.err);
	cr_assert(strstr(r.err, "stays staged"), "%s", r.err);
	run_free(&r);
	/* neither file changed, no temporary file left */
	snprintf(path, sizeof(path), "%s/deploy/privkey.pem", s.dir);
	{
		char *k = spki_of(path);

		cr_assert_str_eq(k, key_before, "the key changed alone");
		free(k);
	}
	snprintf(path, sizeof(path), "%s/ro/fullchain.pem", s.dir);
	{
		char *c = spki_of(path);

		cr_assert_str_eq(c, chain_before);
		free(c);
	}
	r = run("ls -a %s/deploy %s/ro", s.dir, s.dir);
	cr_assert_null(strstr(r.out, "danekit-"), "left over: %s", r.out);
	run_free(&r);
	snprintf(path, sizeof(path), "%s/state/staged.pem", s.dir);
	cr_assert(exists(path), "the staged pair was lost");
	/* writable again: resume deploys it */
	r = run("chmod 755 %s/ro", s.dir);
	run_free(&r);
	r = resume_until(&s, "deployed:", 30);
	cr_assert(strstr(r.out, "deployed:"), "%s %s", r.out, r.err);
	run_free(&r);
	cr_assert(deployed_is(&s, "next"));
	free(key_before);
	free(chain_before);
	svc_free(&s);
}

/* Only regular files are replaced: a FIFO in the deploy location is an
 * error, never opened, never blocks. */
Test(renew_hook, fifo_in_deploy_location)
{
	struct svc s;
	struct run r;

	svc_new(&s, "hk-fifo");
	write_conf(&s, "deploy-key = fifo\nmin-age = 0\n");
	r = run("mkfifo %s/fifo", s.dir);
	run_free(&r);
	make_cert(&s, "cur");
	r = hook(&s, "cur", NULL);
	for (int i = 0; i < 20 && r.status == 0 && strstr(r.out, "staged:");
	     i++) {
		run_free(&r);
		secondary_sync();
		r = resume(&s);
	}
	cr_assert_eq(r.status, 1, "%d %s %s", r.status, r.out, r.err);
	cr_assert(strstr(r.err, "not a regular file"), "%s", r.err);
	run_free(&r);
	r = run("test -p %s/fifo && ! test -e %s/deploy/fullchain.pem", s.dir,
		s.dir);
	cr_assert_eq(r.status, 0, "the FIFO was replaced or a file written");
	run_free(&r);
	svc_free(&s);
}

/* The client's CSR mode: no key file from the client; the key prepared
 * for the CSR (next-key) is the pair's key. Without it: exit 65. */
Test(renew_hook, csr_mode_key_from_next_key)
{
	struct svc s;
	struct run r;
	char opt[600];

	svc_new(&s, "hk-csr");
	write_conf(&s, "min-age = 0\n");
	make_cert(&s, "cur");
	/* like certbot --csr or lego --csr: no key file next to the chain */
	free(certbot_env(&s, "cur"));
	r = run("mv %s/cur.key %s/prepared.key && rm %s/live-cur/privkey.pem",
		s.dir, s.dir, s.dir);
	run_free(&r);
	r = run("cd %s && env -i PATH=\"$PATH\" RENEWED_LINEAGE=%s/live-cur "
		"%s hook certbot --config %s",
		s.dir, s.dir, danekit(), s.conf);
	cr_assert_eq(r.status, 65, "%d %s %s", r.status, r.out, r.err);
	cr_assert(strstr(r.err, "no private key for"), "%s", r.err);
	cr_assert(strstr(r.err, "next-key"), "%s", r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	snprintf(opt, sizeof(opt), "--next-key %s/prepared.key", s.dir);
	r = run("cd %s && env -i PATH=\"$PATH\" RENEWED_LINEAGE=%s/live-cur "
		"%s hook certbot --config %s %s",
		s.dir, s.dir, danekit(), s.conf, opt);
	cr_assert_eq(r.status, 0, "%d %s %s", r.status, r.out, r.err);
	run_free(&r);
	svc_free(&s);
}

/* Set-up errors: one line on stderr, nothing on stdout, the exit status
 * of DESIGN.md. */
Test(renew_hook, setup_errors)
{
	static const struct {
		const char *args;
		int status;
		const char *err;
	} cases[] = {
		{ "hook certbot --config /nonexistent/hook.conf", 66,
		  "/nonexistent/hook.conf" },
		{ "hook certbot --tlsa-name _25._tcp.mail.example.com", 64,
		  "no deploy location" },
		{ "hook certbot --deploy-combined /tmp/x.pem", 64,
		  "no TLSA name" },
		{ "hook resume --config /dev/null", 66, "not a regular file" },
		{ "hook resume --deploy-combined /tmp/x.pem", 64,
		  "no TLSA name" },
		{ "hook certbot --owner no-such-user-dk "
		  "--tlsa-name _25._tcp.a.example",
		  64, "no user" },
		{ "hook certbot --key-mode 999 --tlsa-name _25._tcp.a.example",
		  64, "octal" },
		{ "hook nosuchclient", 64, "not certbot" },
		{ "hook", 64, "no ACME client" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = run("%s %s", danekit(), cases[i].args);

		cr_assert_eq(r.status, cases[i].status, "%s: %d %s",
			     cases[i].args, r.status, r.err);
		cr_assert(strstr(r.err, cases[i].err), "%s: %s", cases[i].args,
			  r.err);
		cr_assert_str_empty(r.out, "%s: %s", cases[i].args, r.out);
		cr_assert_eq(strchr(r.err, '\n') - r.err + 1,
			     (long)strlen(r.err), "more than one line: %s",
			     r.err);
		run_free(&r);
	}
	{
		/* a bad line in the config file: 65, naming the line */
		char *dir = tmpdir();
		struct run r = run("printf 'tlsa-name = _25._tcp.a.example\\n"
				   "bogus line\\n' > %s/c.conf && %s hook "
				   "resume --config %s/c.conf",
				   dir, danekit(), dir);

		cr_assert_eq(r.status, 65, "%d %s", r.status, r.err);
		cr_assert(strstr(r.err, "line 2"), "%s", r.err);
		run_free(&r);
		/* a state file that is not danekit's: 65, left alone */
		lab_up();
		r = run("echo precious > %s/notstate && %s --unbound-conf %s "
			"hook resume --tlsa-name _25._tcp.a.example "
			"--deploy-combined %s/c.pem --state-dir %s/st --state "
			"%s/notstate; echo; cat %s/notstate",
			dir, danekit(), lab_conf, dir, dir, dir, dir);
		cr_assert(strstr(r.out, "precious"), "%s", r.out);
		cr_assert(strstr(r.err, "state file"), "%s", r.err);
		run_free(&r);
		r = run("%s --unbound-conf %s hook resume --tlsa-name "
			"_25._tcp.a.example --deploy-combined %s/c.pem "
			"--state-dir %s/st --state %s/notstate",
			danekit(), lab_conf, dir, dir, dir);
		cr_assert_eq(r.status, 65, "%d %s", r.status, r.err);
		cr_assert_str_empty(r.out);
		run_free(&r);
		tmpdir_free(dir);
	}
}

/* dehydrated calls its HOOK for every verb: only deploy_cert is ours. */
Test(renew_hook, dehydrated_other_verbs)
{
	static const char *const verbs[] = {
		"deploy_challenge", "clean_challenge", "startup_hook",
		"exit_hook",	    "unchanged_cert",  "invalid_challenge",
		"sync_cert",	    "generate_csr",    "request_failure"
	};
	char *dir = tmpdir();

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		struct run r = run("%s hook dehydrated --tlsa-name "
				   "_25._tcp.a.example --deploy-combined "
				   "%s/c.pem --state-dir %s/st --reload 'touch "
				   "%s/m' %s a b c",
				   danekit(), dir, dir, dir, verbs[i]);

		cr_assert_eq(r.status, 0, "%s: %s", verbs[i], r.err);
		cr_assert_str_empty(r.out);
		run_free(&r);
	}
	{
		struct run r = run("ls %s", dir);

		cr_assert_str_empty(r.out, "files written: %s", r.out);
		run_free(&r);
	}
	tmpdir_free(dir);
}

/* A dual RSA + ECDSA set: the ECDSA renewal is deployed only while the
 * RSA certificate (cert =) stays covered too. dual-key.test publishes
 * 3 1 1 of both keys. */
Test(renew_hook, dual_key_set)
{
	char *dir;
	struct run r;

	lab_up();
	dir = tmpdir();
	r = run("printf 'tlsa-name = _25._tcp.mail.dual-key.test\\n"
		"deploy-combined = ec.pem\\nreload = touch %s/m\\n"
		"auth-port = %s\\nmin-age = 0\\nstate-dir = st\\n' > "
		"%s/hook.conf",
		dir, lab_port, dir);
	cr_assert_eq(r.status, 0);
	run_free(&r);
	/* the RSA sibling has a record: deployed */
	r = run("cd %s && env -i PATH=\"$PATH\" HOME=%s "
		"CERT_PATH=%s/hosts/dual-key-ec.pem "
		"CERT_KEY_PATH=%s/hosts/dual-key-ec.key "
		"Le_Domain=mail.dual-key.test %s --unbound-conf %s hook "
		"acme.sh --config %s/hook.conf --cert "
		"%s/hosts/dual-key-rsa.pem",
		dir, dir, lab_pki, lab_pki, danekit(), lab_conf, dir, lab_pki);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "deployed:"), "%s", r.out);
	run_free(&r);
	{
		char m[512];

		snprintf(m, sizeof(m), "%s/m", dir);
		cr_assert(exists(m), "reload did not run");
	}
	/* a sibling whose key has no record: staged, not deployed */
	r = run("cd %s && rm -f m ec.pem && rm -rf st && env -i "
		"PATH=\"$PATH\" HOME=%s CERT_PATH=%s/hosts/dual-key-ec.pem "
		"CERT_KEY_PATH=%s/hosts/dual-key-ec.key "
		"Le_Domain=mail.dual-key.test %s --unbound-conf %s hook "
		"acme.sh --config %s/hook.conf --cert %s/leaf.pem",
		dir, dir, lab_pki, lab_pki, danekit(), lab_conf, dir, lab_pki);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "staged:"), "%s", r.out);
	run_free(&r);
	{
		char m[512];

		snprintf(m, sizeof(m), "%s/m", dir);
		cr_assert(!exists(m), "reload ran");
		snprintf(m, sizeof(m), "%s/ec.pem", dir);
		cr_assert(!exists(m), "deployed");
	}
	tmpdir_free(dir);
}

/* No publisher: the records to publish and, after the deployment, the
 * records to remove are printed; the operator's changes are seen. The
 * deployed files get the configured owner and modes. */
Test(renew_hook, no_publisher_prints_records)
{
	struct svc s;
	struct run r;
	FILE *f;
	char opt[600];

	svc_new(&s, "hk-nopub");
	make_cert(&s, "cur");
	make_cert(&s, "next");
	f = fopen(s.conf, "w");
	cr_assert(f);
	fprintf(f,
		"tlsa-name = %s\ndeploy-fullchain = deploy/fullchain.pem\n"
		"deploy-key = deploy/privkey.pem\nkey-mode = 0640\n"
		"cert-mode = 0604\nowner = %s\nreload = echo reload >> "
		"%s/reloads\nstate-dir = state\nauth-port = %s\n"
		"unbound-conf = %s\n",
		s.owner, geteuid() == 0 ? "nobody:nogroup" : "", s.dir,
		prim_port, prim_conf);
	fclose(f);
	if (geteuid() != 0) {
		/* "owner =" with no value is refused: drop the line */
		r = run("sed -i '/^owner = $/d' %s", s.conf);
		run_free(&r);
	}
	r = run("mkdir -p %s/deploy", s.dir);
	run_free(&r);
	/* the current key, published by the operator */
	snprintf(opt, sizeof(opt), "%s/cur.pem", s.dir);
	publish_nosync(s.host, "--add %s --ttl %d", opt, TTL);
	r = hook(&s, "cur", NULL);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	run_free(&r);
	r = resume_until(&s, "deployed:", 40);
	cr_assert(strstr(r.out, "deployed:"), "%s %s", r.out, r.err);
	run_free(&r);
	/* the owner and the modes, by stat(1) */
	r = run("stat -c '%%a %%U' %s/deploy/privkey.pem "
		"%s/deploy/fullchain.pem",
		s.dir, s.dir);
	cr_assert(strstr(r.out,
			 geteuid() == 0 ? "640 nobody\n604 nobody\n" : "640 "),
		  "%s", r.out);
	run_free(&r);

	/* the renewal: the record to publish is printed, nothing deployed */
	r = hook(&s, "next", NULL);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "\npublish _25._tcp.") ||
			  strncmp(r.out, "publish _25._tcp.", 17) == 0,
		  "%s", r.out);
	cr_assert(strstr(r.out, "next-missing"), "%s", r.out);
	run_free(&r);
	cr_assert(deployed_is(&s, "cur"));
	/* the operator publishes it; the timer deploys it once aged */
	snprintf(opt, sizeof(opt), "%s/next.pem", s.dir);
	publish_nosync(s.host, "--add %s", opt);
	r = resume_until(&s, "deployed:", 40);
	cr_assert(strstr(r.out, "deployed:"), "%s %s", r.out, r.err);
	run_free(&r);
	cr_assert(deployed_is(&s, "next"));
	/* twice the TTL later: the old record to remove is printed */
	r = resume_until(&s, "remove _25._tcp.", 30);
	cr_assert(strstr(r.out, "remove _25._tcp."), "%s %s", r.out, r.err);
	{
		char *spki, want[100];

		snprintf(opt, sizeof(opt), "%s/cur.key", s.dir);
		spki = spki_of(opt);
		snprintf(want, sizeof(want), "3 1 1 %s", spki);
		cr_assert(strstr(r.out, want), "not the old key's record: %s",
			  r.out);
		free(spki);
	}
	run_free(&r);
	cr_assert_eq(published(&s, "cur"), 3, "removed without a publisher");
	/* the operator removes it: nothing left to retire */
	snprintf(opt, sizeof(opt), "%s/cur.pem", s.dir);
	publish_nosync(s.host, "--remove %s", opt);
	r = resume_until(&s, "no old record left", 30);
	cr_assert(strstr(r.out, "no old record left"), "%s %s", r.out, r.err);
	cr_assert_null(strstr(r.out, "remove _25._tcp."), "%s", r.out);
	run_free(&r);
	svc_free(&s);
}

/*
 * hook --json stays one JSON document when the reload command prints on
 * its standard output: that output goes to stderr. The deploying run is
 * a `hook resume --json` whose reload command echoes a marker.
 */
Test(renew_hook, json_valid_when_reload_prints)
{
	struct svc s;
	struct run r = { -1, NULL, NULL };
	char reload[700];
	int deployed = 0;

	svc_new(&s, "hk-json");
	write_conf(&s, NULL);
	make_cert(&s, "cur");
	r = hook(&s, "cur", "--json");
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	run_free(&r);
	snprintf(reload, sizeof(reload),
		 "--reload 'echo reload-said-this-on-stdout; "
		 "echo reload >> %s/reloads'",
		 s.dir);
	for (int i = 0; i < 60 && !deployed; i++) {
		json_error_t err;
		json_t *doc;

		secondary_sync();
		r = run("%s hook resume --config %s --json %s", danekit(),
			s.conf, reload);
		doc = json_loads(r.out, 0, &err);
		cr_assert_not_null(doc, "not JSON (%s): %s", err.text, r.out);
		cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
		deployed = strcmp(json_string_value(
					  json_object_get(doc, "verdict")),
				  "deployed") == 0;
		if (deployed) {
			cr_assert(
				json_is_true(json_object_get(doc, "reloaded")),
				"%s", r.out);
			cr_assert(strstr(r.err, "reload-said-this-on-stdout"),
				  "the reload command's output is lost: %s",
				  r.err);
		}
		cr_assert_null(strstr(r.out, "reload-said-this-on-stdout"),
			       "%s", r.out);
		json_decref(doc);
		run_free(&r);
		if (!deployed) {
			usleep(500000);
		}
	}
	cr_assert(deployed, "never deployed");
	cr_assert_eq(reloads(&s), 1);
	cr_assert(deployed_is(&s, "cur"));
	svc_free(&s);
}

/*
 * -q (the cron line of contrib/cron): nothing on stdout whatever the
 * outcome; a run that must be looked at says why in one stderr line.
 */
Test(renew_hook, quiet_prints_nothing)
{
	struct svc s;
	struct run r;

	svc_new(&s, "hk-quiet");
	write_conf(&s, NULL);
	make_cert(&s, "cur");
	r = hook(&s, "cur", "-q");
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert_str_empty(r.err);
	run_free(&r);
	r = run("%s -q hook resume --config %s", danekit(), s.conf);
	cr_assert(r.status == 0 || r.status == 75, "%d %s", r.status, r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	/* not -q: the outcome line */
	r = resume(&s);
	cr_assert(strchr(r.out, ':'), "%s", r.out);
	run_free(&r);
	svc_free(&s);
	/* a bogus TLSA RRset: not deployed (1), one line on stderr */
	svc_new(&s, "hk-quiet-bogus");
	make_cert(&s, "next");
	{
		FILE *f = fopen(s.conf, "w");

		cr_assert(f);
		fprintf(f,
			"tlsa-name = _25._tcp.mail.tampered.test\n"
			"deploy-combined = deploy.pem\nstate-dir = state\n"
			"auth-port = %s\nmin-age = 0\nunbound-conf = %s\n",
			lab_port, lab_conf);
		fclose(f);
	}
	r = hook(&s, "next", "-q");
	cr_assert_eq(r.status, 1, "%d %s %s", r.status, r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert(strstr(r.err, "bogus"), "%s", r.err);
	cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "%s",
		     r.err);
	run_free(&r);
	tmpdir_free(s.dir);
}
