/* SPDX-License-Identifier: BSD-3-Clause */
/* The renew API: invalid arguments, key files, hooks, UPDATE conflicts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
