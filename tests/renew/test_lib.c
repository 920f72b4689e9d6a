/* SPDX-License-Identifier: BSD-3-Clause */
/* The renew API: invalid arguments, key files, hooks, UPDATE conflicts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <danekit/dane.h>

#include "helpers.h"

Test(renew_lib, null_arguments)
{
	EVP_PKEY *k = NULL;
	X509_REQ *csr = NULL;
	struct dk_rollover_report *rep = NULL;
	struct dk_rollover_opts ro = { 0 };
	struct dk_tsig_key *key = NULL;
	struct dk_publish_plan *plan = NULL;
	struct dk_publish_opts po = { 0 };
	X509 *cert = NULL;

	cr_assert_eq(dk_key_type_parse(NULL), DK_EINVAL);
	cr_assert_eq(dk_key_type_parse("dsa"), DK_EINVAL);
	cr_assert_eq(dk_key_type_parse("RSA3072"), DK_KEY_RSA3072);
	cr_assert_null(dk_key_type_name((enum dk_key_type)99));
	cr_assert_eq(dk_renew_keygen(DK_KEY_EC_P256, NULL, NULL), DK_EINVAL);
	cr_assert_eq(dk_renew_keygen((enum dk_key_type)99, &k, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_renew_write_key(NULL, "/tmp/x", 0, NULL), DK_EINVAL);
	cr_assert_eq(dk_renew_csr(NULL, NULL, 0, &csr, NULL), DK_EINVAL);
	cr_assert_eq(dk_renew_write_csr(NULL, "/tmp/x", NULL), DK_EINVAL);
	cr_assert_eq(dk_rollover_check(NULL, "x", &ro, &rep, NULL), DK_EINVAL);
	cr_assert_null(rep);
	dk_rollover_report_free(NULL);
	cr_assert_str_eq(dk_rollover_stage_name(DK_ROLLOVER_READY), "ready");
	cr_assert_str_eq(dk_rollover_stage_name((enum dk_rollover_stage)77),
			 "?");
	cr_assert(dk_rollover_stage_safe(DK_ROLLOVER_DONE));
	cr_assert(!dk_rollover_stage_safe(DK_ROLLOVER_WAITING));
	cr_assert(!dk_rollover_stage_safe(DK_ROLLOVER_NOT_SECURE));
	cr_assert_str_eq(dk_rollover_live_name(DK_LIVE_NEXT), "next");
	cr_assert_eq(
		dk_renew_fetch_cert(NULL, NULL, NULL, 25, 1, 1, &cert, NULL),
		DK_EINVAL);
	{
		struct dk_input *chain = NULL;
		uint32_t ttl = 7;
		char *target = NULL;

		cr_assert_eq(dk_renew_fetch_chain(NULL, "x", "127.0.0.1", 25, 1,
						  1, NULL, NULL),
			     DK_EINVAL);
		cr_assert_eq(dk_renew_fetch_chain(NULL, NULL, NULL, 25, 1, 1,
						  &chain, NULL),
			     DK_EINVAL);
		cr_assert_null(chain);
		cr_assert_eq(dk_rollover_state_check(NULL, NULL), DK_EINVAL);
		cr_assert_eq(dk_rollover_state_check("", NULL), DK_EINVAL);
		cr_assert_eq(
			dk_rollover_owner_ttl(NULL, "x", &ttl, &target, NULL),
			DK_EINVAL);
		cr_assert_eq(ttl, 7);
		cr_assert_null(target);
	}
	cr_assert_eq(dk_acme_client_parse(NULL), DK_EINVAL);
	cr_assert_eq(dk_acme_client_parse("acme.sh"), DK_ACME_ACMESH);
	cr_assert_null(dk_acme_client_name((enum dk_acme_client)9));
	cr_assert_eq(
		dk_acme_hook_read(DK_ACME_CERTBOT, 0, NULL, NULL, NULL, NULL),
		DK_EINVAL);
	dk_acme_hook_free(NULL);
	cr_assert_eq(dk_tsig_key_read(NULL, &key, NULL), DK_EINVAL);
	dk_tsig_key_free(NULL);
	cr_assert_eq(dk_publish_plan(NULL, "x.example", NULL, 0, NULL, 0, &po,
				     &plan, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_publish_send(NULL, NULL, 1, NULL), DK_EINVAL);
	dk_publish_plan_free(NULL);
	free(dk_rollover_default_state_file());
}

Test(renew_lib, key_written_once)
{
	char *dir = tmpdir(), path[512];
	EVP_PKEY *k = NULL;
	struct dk_diag d = { "" };
	struct stat st;

	snprintf(path, sizeof(path), "%s/k.pem", dir);
	cr_assert_eq(dk_renew_keygen(DK_KEY_EC_P256, &k, &d), 0, "%s", d.why);
	cr_assert_eq(dk_renew_write_key(k, path, 0, &d), 0, "%s", d.why);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(dk_renew_write_key(k, path, 0, &d), DK_EEXIST);
	cr_assert(strstr(d.why, "exists"), "%s", d.why);
	cr_assert_eq(dk_renew_write_key(k, path, 1, &d), 0, "%s", d.why);
	{
		const char *names[] = { "mail.example.com", "bad name!" };
		X509_REQ *csr = NULL;

		cr_assert_eq(dk_renew_csr(k, names, 2, &csr, &d), DK_EDATA);
		cr_assert_null(csr);
		cr_assert_eq(dk_renew_csr(k, names, 1, &csr, &d), 0, "%s",
			     d.why);
		cr_assert_eq(X509_REQ_verify(csr, k), 1);
		X509_REQ_free(csr);
	}
	EVP_PKEY_free(k);
	tmpdir_free(dir);
}

static const char *fake_env[][2] = {
	{ "RENEWED_LINEAGE", "/etc/letsencrypt/live/mail.example.com" },
	{ "RENEWED_DOMAINS", "mail.example.com mx.example.com" },
	{ "CERT_PATH", "/a/mail.example.com.cer" },
	{ "CERT_KEY_PATH", "/a/mail.example.com.key" },
	{ "CA_CERT_PATH", "/a/ca.cer" },
	{ "CERT_FULLCHAIN_PATH", "/a/fullchain.cer" },
	{ "Le_Domain", "mail.example.com" },
	{ "LEGO_CERT_PATH", "/l/certificates/mail.example.com.crt" },
	{ "LEGO_CERT_KEY_PATH", "/l/certificates/mail.example.com.key" },
	{ "LEGO_CERT_DOMAIN", "mail.example.com" },
};
static int lego5;

static const char *fake_getenv(const char *name)
{
	if (lego5 && strcmp(name, "LEGO_HOOK_CERT_PATH") == 0) {
		return "/l5/mail.example.com.crt";
	}
	if (lego5 && strcmp(name, "LEGO_HOOK_CERT_DOMAINS") == 0) {
		return "mail.example.com,mx.example.com";
	}
	for (size_t i = 0; i < sizeof(fake_env) / sizeof(fake_env[0]); i++) {
		if (strcmp(fake_env[i][0], name) == 0) {
			return fake_env[i][1];
		}
	}
	return NULL;
}

static const char *empty_getenv(const char *name)
{
	(void)name;
	return NULL;
}

Test(renew_lib, acme_hook_interfaces)
{
	struct dk_acme_hook *h = NULL;
	struct dk_diag d = { "" };
	char *dargs[] = { "deploy_cert", "mail.example.com", "/d/privkey.pem",
			  "/d/cert.pem", "/d/fullchain.pem", "/d/chain.pem",
			  "1700000000" };
	char *other[] = { "deploy_challenge", "x", "y", "z" };

	cr_assert_eq(dk_acme_hook_read(DK_ACME_CERTBOT, 0, NULL, fake_getenv,
				       &h, &d),
		     0);
	cr_assert_str_eq(
		h->fullchain,
		"/etc/letsencrypt/live/mail.example.com/fullchain.pem");
	cr_assert_str_eq(h->key,
			 "/etc/letsencrypt/live/mail.example.com/privkey.pem");
	cr_assert_eq(h->ndomains, 2);
	cr_assert_str_eq(h->domains[1], "mx.example.com");
	dk_acme_hook_free(h);

	cr_assert_eq(
		dk_acme_hook_read(DK_ACME_ACMESH, 0, NULL, fake_getenv, &h, &d),
		0);
	cr_assert_str_eq(h->cert, "/a/mail.example.com.cer");
	cr_assert_str_eq(h->chain, "/a/ca.cer");
	cr_assert_str_eq(h->fullchain, "/a/fullchain.cer");
	cr_assert_str_eq(h->domain, "mail.example.com");
	dk_acme_hook_free(h);

	cr_assert_eq(dk_acme_hook_read(DK_ACME_DEHYDRATED, 7, dargs,
				       fake_getenv, &h, &d),
		     0);
	cr_assert(h->deploy);
	cr_assert_str_eq(h->key, "/d/privkey.pem");
	cr_assert_str_eq(h->fullchain, "/d/fullchain.pem");
	dk_acme_hook_free(h);
	cr_assert_eq(dk_acme_hook_read(DK_ACME_DEHYDRATED, 4, other,
				       fake_getenv, &h, &d),
		     0);
	cr_assert(!h->deploy);
	dk_acme_hook_free(h);
	cr_assert_eq(dk_acme_hook_read(DK_ACME_DEHYDRATED, 3, dargs,
				       fake_getenv, &h, &d),
		     DK_EDATA);

	lego5 = 0;
	cr_assert_eq(
		dk_acme_hook_read(DK_ACME_LEGO, 0, NULL, fake_getenv, &h, &d),
		0);
	cr_assert_str_eq(h->cert, "/l/certificates/mail.example.com.crt");
	cr_assert_str_eq(h->domain, "mail.example.com");
	dk_acme_hook_free(h);
	lego5 = 1;
	cr_assert_eq(
		dk_acme_hook_read(DK_ACME_LEGO, 0, NULL, fake_getenv, &h, &d),
		0);
	cr_assert_str_eq(h->cert, "/l5/mail.example.com.crt");
	cr_assert_eq(h->ndomains, 2);
	dk_acme_hook_free(h);
	lego5 = 0;

	for (int c = 0; c < 4; c++) {
		if (c == DK_ACME_DEHYDRATED) {
			continue;
		}
		h = NULL;
		cr_assert_eq(dk_acme_hook_read((enum dk_acme_client)c, 0, NULL,
					       empty_getenv, &h, &d),
			     DK_EDATA);
		cr_assert_null(h);
	}
}

Test(renew_lib, tsig_key_files)
{
	char *dir = tmpdir(), path[512];
	struct dk_tsig_key *k = NULL;
	struct dk_diag d = { "" };
	FILE *f;

	snprintf(path, sizeof(path), "%s/k", dir);
	f = fopen(path, "w");
	fprintf(f, "# tsig-keygen\n/* c */ key \"upd.example\" {\n\talgorithm "
		   "HMAC-SHA512; // x\n\tsecret "
		   "\"c2VjcmV0c2VjcmV0c2VjcmV0\";\n};\n");
	fclose(f);
	cr_assert_eq(dk_tsig_key_read(path, &k, &d), 0, "%s", d.why);
	cr_assert_str_eq(k->name, "upd.example.");
	cr_assert_str_eq(k->algorithm, "hmac-sha512.");
	cr_assert_str_eq(k->secret, "c2VjcmV0c2VjcmV0c2VjcmV0");
	dk_tsig_key_free(k);
	k = NULL;
	f = fopen(path, "w");
	fprintf(f, "key \"x\" { algorithm hmac-foo; secret \"AAAA\"; };\n");
	fclose(f);
	cr_assert_eq(dk_tsig_key_read(path, &k, &d), DK_EDATA);
	cr_assert(strstr(d.why, "hmac-foo"), "%s", d.why);
	f = fopen(path, "w");
	fprintf(f, "key \"x\" { algorithm hmac-sha256; secret \"not base64!\"; "
		   "};\n");
	fclose(f);
	cr_assert_eq(dk_tsig_key_read(path, &k, &d), DK_EDATA);
	f = fopen(path, "w");
	fprintf(f, "garbage\n");
	fclose(f);
	cr_assert_eq(dk_tsig_key_read(path, &k, &d), DK_EDATA);
	cr_assert_null(k);
	snprintf(path, sizeof(path), "%s/missing", dir);
	cr_assert_eq(dk_tsig_key_read(path, &k, &d), DK_ENOENT);
	tmpdir_free(dir);
}

/* A concurrent change between the read and the update is never lost. */
Test(renew_lib, update_conflict, .timeout = 60)
{
	struct dk_tsig_key *key = NULL;
	struct dk_publish_plan *p1 = NULL, *p2 = NULL, *p3 = NULL;
	struct dk_publish_opts po = { 0 };
	struct dk_tlsa *a = NULL, *b = NULL;
	struct dk_diag d = { "" };
	uint8_t da[32], db[32];
	char owner[128];

	/* one name per process: concurrent runs of the suite share the lab */
	snprintf(owner, sizeof(owner), "_25._tcp.conflict-%d.dyn.test",
		 (int)getpid());
	lab_up();
	memset(da, 0xaa, sizeof(da));
	memset(db, 0xbb, sizeof(db));
	cr_assert_eq(dk_tlsa_new(3, 1, 1, da, 32, &a), 0);
	cr_assert_eq(dk_tlsa_new(3, 1, 1, db, 32, &b), 0);
	cr_assert_eq(dk_tsig_key_read(prim_key, &key, &d), 0, "%s", d.why);
	po.zone = "dyn.test";
	po.server = prim_server;
	po.ttl = 60;
	po.timeout = 5;
	/* clean start */
	cr_assert_eq(dk_publish_plan(NULL, owner, NULL, 0,
				     (struct dk_tlsa *[]){ a, b }, 2, &po, &p1,
				     &d),
		     0, "%s", d.why);
	cr_assert_eq(dk_publish_send(p1, key, 5, &d), 0, "%s", d.why);
	dk_publish_plan_free(p1);
	/* two writers read the same (empty) RRset */
	cr_assert_eq(dk_publish_plan(NULL, owner, &a, 1, NULL, 0, &po, &p1, &d),
		     0, "%s", d.why);
	cr_assert_eq(dk_publish_plan(NULL, owner, &b, 1, NULL, 0, &po, &p2, &d),
		     0, "%s", d.why);
	cr_assert_eq(p1->nadd, 1);
	cr_assert(strstr(p1->script, "prereq nxrrset"), "%s", p1->script);
	cr_assert_eq(dk_publish_send(p1, key, 5, &d), 0, "%s", d.why);
	/* the second is refused: its prerequisite no longer holds */
	cr_assert_eq(dk_publish_send(p2, key, 5, &d), DK_ECONFLICT, "%s",
		     d.why);
	/* read again: A is there; the second writer can now add B */
	cr_assert_eq(dk_publish_plan(NULL, owner, &b, 1, &a, 1, &po, &p3, &d),
		     0, "%s", d.why);
	cr_assert_eq(p3->nbefore, 1);
	cr_assert_eq(p3->nremove, 1);
	cr_assert(strstr(p3->script, "prereq yxrrset"), "%s", p3->script);
	cr_assert_eq(dk_publish_send(p3, key, 5, &d), 0, "%s", d.why);
	dk_publish_plan_free(p1);
	dk_publish_plan_free(p2);
	dk_publish_plan_free(p3);
	/* clean up */
	cr_assert_eq(dk_publish_plan(NULL, owner, NULL, 0, &b, 1, &po, &p1, &d),
		     0);
	cr_assert_eq(dk_publish_send(p1, key, 5, &d), 0, "%s", d.why);
	dk_publish_plan_free(p1);
	dk_tlsa_free(a);
	dk_tlsa_free(b);
	dk_tsig_key_free(key);
}

/*
 * What may serve as a state file: nothing is opened but regular files
 * (a FIFO never blocks), and only danekit's own files (or empty ones).
 */
Test(renew_lib, state_file_check)
{
	char *dir = tmpdir(), p[512], q[512];
	struct dk_diag d = { "" };
	FILE *f;

	snprintf(p, sizeof(p), "%s/missing", dir);
	cr_assert_eq(dk_rollover_state_check(p, &d), 0, "%s", d.why);
	cr_assert_eq(dk_rollover_state_check(dir, &d), DK_EEXIST);
	cr_assert(strstr(d.why, "folder"), "%s", d.why);
	cr_assert_eq(dk_rollover_state_check("/dev/null", &d), DK_EEXIST);
	cr_assert(strstr(d.why, "character device"), "%s", d.why);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	cr_assert_eq(mkfifo(p, 0600), 0);
	cr_assert_eq(dk_rollover_state_check(p, &d), DK_EEXIST);
	cr_assert(strstr(d.why, "FIFO"), "%s", d.why);
	snprintf(p, sizeof(p), "%s/empty", dir);
	f = fopen(p, "w");
	fclose(f);
	cr_assert_eq(dk_rollover_state_check(p, &d), 0, "%s", d.why);
	snprintf(p, sizeof(p), "%s/notes", dir);
	f = fopen(p, "w");
	fprintf(f, "# danekit\nsomething else\n");
	fclose(f);
	cr_assert_eq(dk_rollover_state_check(p, &d), DK_EDATA);
	cr_assert(strstr(d.why, "not a danekit state file"), "%s", d.why);
	snprintf(p, sizeof(p), "%s/state", dir);
	f = fopen(p, "w");
	fprintf(f, "# danekit rollover state: by hand\n");
	fclose(f);
	cr_assert_eq(dk_rollover_state_check(p, &d), 0, "%s", d.why);
	snprintf(q, sizeof(q), "%s/link", dir);
	cr_assert_eq(symlink(p, q), 0);
	cr_assert_eq(dk_rollover_state_check(q, &d), 0, "%s", d.why);
	tmpdir_free(dir);
}

/* Key and CSR files: only regular files are replaced, even with force. */
Test(renew_lib, key_and_csr_files_regular_only)
{
	char *dir = tmpdir(), p[512];
	const char *names[] = { "mail.example.com" };
	struct dk_diag d = { "" };
	EVP_PKEY *k = NULL;
	X509_REQ *csr = NULL;
	struct stat st;

	cr_assert_eq(dk_renew_keygen(DK_KEY_EC_P256, &k, &d), 0, "%s", d.why);
	cr_assert_eq(dk_renew_csr(k, names, 1, &csr, &d), 0, "%s", d.why);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	cr_assert_eq(mkfifo(p, 0600), 0);
	cr_assert_eq(dk_renew_write_key(k, p, 1, &d), DK_EEXIST);
	cr_assert(strstr(d.why, "FIFO"), "%s", d.why);
	cr_assert_eq(dk_renew_write_csr(csr, p, &d), DK_EEXIST);
	cr_assert(stat(p, &st) == 0 && S_ISFIFO(st.st_mode));
	cr_assert_eq(dk_renew_write_key(k, "/dev/null", 1, &d), DK_EEXIST);
	cr_assert(strstr(d.why, "not a regular file"), "%s", d.why);
	cr_assert(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
	cr_assert_eq(dk_renew_write_csr(csr, dir, &d), DK_EEXIST);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	tmpdir_free(dir);
}

/*
 * Old callers give the live leaf only (dk_rollover_opts.live); new ones
 * the chain (live_chain) and no leaf. secure.test has 3 1 1 of the lab
 * leaf and 2 1 1 of the intermediate; the current certificate is the lab
 * leaf given bare, the next one another certificate of the intermediate.
 */
Test(renew_lib, rollover_live_leaf_or_chain, .timeout = 60)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *res = NULL;
	struct dk_rollover_opts ro = { 0 };
	struct dk_rollover_report *rep = NULL;
	struct dk_input *chain = NULL, *leaf = NULL, *next = NULL;
	struct dk_diag d = { "" };
	char p[512];

	lab_up();
	o.unbound_conf = lab_conf;
	o.timeout = 5;
	cr_assert_eq(dk_resolver_new(&o, &res, &d), 0, "%s", d.why);
	snprintf(p, sizeof(p), "%s/chain.pem", lab_pki);
	cr_assert_eq(dk_input_read_file(p, &chain, &d), 0, "%s", d.why);
	snprintf(p, sizeof(p), "%s/leaf.pem", lab_pki);
	cr_assert_eq(dk_input_read_file(p, &leaf, &d), 0, "%s", d.why);
	snprintf(p, sizeof(p), "%s/hosts/dane-ta.chain.pem", lab_pki);
	cr_assert_eq(dk_input_read_file(p, &next, &d), 0, "%s", d.why);
	ro.current = leaf;
	ro.next = next;
	ro.min_age = 0;
	ro.auth_port = (unsigned)atoi(lab_port);

	/* the leaf only: the 2 1 1 cannot be judged on the current side */
	ro.live = dk_input_get0_cert(chain, 0);
	cr_assert_eq(dk_rollover_check(res, "_25._tcp.mail.secure.test", &ro,
				       &rep, &d),
		     0, "%s", d.why);
	cr_assert_eq(rep->stage, DK_ROLLOVER_READY, "%s", rep->why);
	cr_assert_eq(rep->live, DK_LIVE_CURRENT);
	cr_assert_null(rep->target);
	cr_assert_eq(rep->add_ttl, rep->ttl);
	cr_assert_eq(rep->nrecords, 2);
	for (size_t i = 0; i < rep->nrecords; i++) {
		int ta = dk_tlsa_usage(rep->records[i].tlsa) == 2;

		cr_assert_eq(rep->records[i].current, !ta, "record %zu", i);
		cr_assert_eq(rep->records[i].next, ta, "record %zu", i);
	}
	dk_rollover_report_free(rep);
	rep = NULL;

	/* the chain alone: the 2 1 1 covers the bare current leaf too, and
	 * the next chain loses the 3 1 1 kind of cover: a warning */
	ro.live = NULL;
	ro.live_chain = chain;
	ro.ttl = 77;
	cr_assert_eq(dk_rollover_check(res, "_25._tcp.mail.secure.test", &ro,
				       &rep, &d),
		     0, "%s", d.why);
	cr_assert_eq(rep->stage, DK_ROLLOVER_READY, "%s", rep->why);
	cr_assert_eq(rep->live, DK_LIVE_CURRENT);
	cr_assert_eq(rep->add_ttl, 77);
	for (size_t i = 0; i < rep->nrecords; i++) {
		int ta = dk_tlsa_usage(rep->records[i].tlsa) == 2;

		cr_assert(rep->records[i].current, "record %zu", i);
		cr_assert_eq(rep->records[i].next, ta, "record %zu", i);
	}
	cr_assert_eq(rep->nwarnings, 1);
	cr_assert_eq(rep->nadd, 1);
	cr_assert_eq(dk_tlsa_usage(rep->add[0]), 3);
	cr_assert_eq(rep->nremove, 1);
	dk_rollover_report_free(rep);
	dk_input_free(chain);
	dk_input_free(leaf);
	dk_input_free(next);
	dk_resolver_free(res);
}

/*
 * A record new to the state file is first seen when every server has been
 * asked, in whole seconds rounded up: never before the check began (the
 * lookups take their time), never in the second that is still running.
 * An age overstated by a second let a hook deploy a key a second early
 * (the acme tests' watcher saw it).
 */
Test(renew_lib, first_seen_not_before_the_check)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *res = NULL;
	struct dk_rollover_opts ro = { 0 };
	struct dk_rollover_report *rep = NULL;
	struct dk_input *leaf = NULL, *next = NULL;
	struct dk_diag d = { "" };
	char p[512], *dir = tmpdir(), state[600];
	struct timespec t0, t1;

	lab_up();
	o.unbound_conf = lab_conf;
	o.timeout = 5;
	cr_assert_eq(dk_resolver_new(&o, &res, &d), 0, "%s", d.why);
	snprintf(p, sizeof(p), "%s/leaf.pem", lab_pki);
	cr_assert_eq(dk_input_read_file(p, &leaf, &d), 0, "%s", d.why);
	snprintf(p, sizeof(p), "%s/hosts/dane-ta.chain.pem", lab_pki);
	cr_assert_eq(dk_input_read_file(p, &next, &d), 0, "%s", d.why);
	snprintf(state, sizeof(state), "%s/rollover.state", dir);
	ro.current = leaf;
	ro.next = next;
	ro.min_age = -1;
	ro.state_file = state;
	ro.auth_port = (unsigned)atoi(lab_port);
	clock_gettime(CLOCK_REALTIME, &t0);
	cr_assert_eq(dk_rollover_check(res, "_25._tcp.mail.secure.test", &ro,
				       &rep, &d),
		     0, "%s", d.why);
	clock_gettime(CLOCK_REALTIME, &t1);
	cr_assert_gt(rep->nrecords, 0);
	for (size_t i = 0; i < rep->nrecords; i++) {
		time_t fs = rep->records[i].first_seen;

		cr_expect_gt((double)fs,
			     (double)t0.tv_sec + (double)t0.tv_nsec / 1e9,
			     "record %zu first seen at %lld, before the check "
			     "began (%lld.%09ld)",
			     i, (long long)fs, (long long)t0.tv_sec,
			     t0.tv_nsec);
		cr_expect_leq(fs, t1.tv_sec + 1, "record %zu", i);
	}
	cr_expect_eq(rep->age, 0, "new records are not aged");
	cr_expect_neq(rep->stage, DK_ROLLOVER_READY, "2 x TTL not passed: %s",
		      rep->why);
	dk_rollover_report_free(rep);
	dk_input_free(leaf);
	dk_input_free(next);
	dk_resolver_free(res);
	tmpdir_free(dir);
}
