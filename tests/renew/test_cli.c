/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit rollover and publish (the hook: test_hook.c) against the lab
 * (testzones/lab) and the DNS UPDATE primary (testzones/primary: knotd signing
 * dyn.test.). Suite 'renew'.
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

#define DK "%s --unbound-conf %s --timeout 5"
/* A record to publish, quoted for the shell: 3 1 1 and 32 zero bytes. */
#define ZERO_RECORD \
	"'3 1 1 "   \
	"0000000000000000000000000000000000000000000000000000000000000000'"

static void must_make_cert(const char *dir, const char *name, const char *host)
{
	struct run r = run("%s --unbound-conf %s rollover --prepare-next "
			   "--key-out %s/%s.key --csr-out %s/%s.csr --host %s",
			   danekit(), prim_conf, dir, name, dir, name, host);
	char csr[512], pem[512], full[512];

	cr_assert_eq(r.status, 0, "prepare-next %s: %s", name, r.err);
	cr_assert(strstr(r.out, "IN TLSA 3 1 1 "), "no record printed: %s",
		  r.out);
	run_free(&r);
	snprintf(csr, sizeof(csr), "%s/%s.csr", dir, name);
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	snprintf(full, sizeof(full), "%s/%s-full.pem", dir, name);
	cr_assert_eq(lab_sign(csr, pem, full), 0);
}

/*
 * A whole rollover by hand, as doc/renewing.md describes it: next-missing,
 * waiting, ready, retire, done (the hook's staged deployment is in
 * test_hook.c and tests/acme/).
 */
Test(renew_cli, rollover_rehearsal, .timeout = 120)
{
	const char *label = "rehearsal";
	char *dir, host[128], owner[160], state[512];
	struct run r;
	int pid, port = 0;

	lab_up();
	dir = tmpdir();
	/* one name per process: concurrent runs of the suite (other build
	 * folders, same lab) never update the same RRset */
	snprintf(host, sizeof(host), "mail.%s-%d.dyn.test", label,
		 (int)getpid());
	snprintf(owner, sizeof(owner), "_25._tcp.%s", host);
	snprintf(state, sizeof(state), "%s/state", dir);

	/* the current key is published (start from a clean RRset) */
	must_make_cert(dir, "cur", host);
	publish_nosync(host, "--add %s/cur.pem --ttl 60", dir);
	/* ns2 lags behind every update: let it catch up before each check */
	secondary_sync();

	/* prepare the next key; the ACME client renews with it */
	must_make_cert(dir, "next", host);

	/* next not published: next-missing, the record to add printed */
	r = run(DK " rollover --host %s --current %s/cur-full.pem --next "
		   "%s/next-full.pem --auth-port %s --state %s --no-connect",
		danekit(), prim_conf, host, dir, dir, prim_port, state);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": next-missing"), "%s", r.out);
	cr_assert(strstr(r.out, "IN TLSA 3 1 1 "), "%s", r.out);
	run_free(&r);

	/* publish next */
	publish_ok(host, "--add %s/next.pem", dir);
	r = run(DK " lookup %s TLSA", danekit(), prim_conf, owner);
	cr_assert_eq(r.status, 0, "lookup: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, "; dnssec: secure"), "%s", r.out);
	run_free(&r);

	/* the age rule: just published, so waiting (2 x TTL 60) */
	r = run(DK " rollover --host %s --current %s/cur-full.pem --next "
		   "%s/next-full.pem --auth-port %s --state %s --no-connect",
		danekit(), prim_conf, host, dir, dir, prim_port, state);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": waiting"), "%s", r.out);
	run_free(&r);

	r = run(DK " rollover --host %s --current %s/cur-full.pem --next "
		   "%s/next-full.pem --auth-port %s --state %s --no-connect "
		   "--min-age 0",
		danekit(), prim_conf, host, dir, dir, prim_port, state);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": ready"), "%s", r.out);
	run_free(&r);

	/* the new certificate is live: retire the old record */
	{
		char c[512], k[512];

		snprintf(c, sizeof(c), "%s/next-full.pem", dir);
		snprintf(k, sizeof(k), "%s/next.key", dir);
		pid = tls_server_start(c, k, &port);
		cr_assert(pid > 0, "openssl s_server did not start");
	}
	r = run(DK
		" rollover --host %s --current %s/cur.pem --next %s/next.pem "
		"--auth-port %s --state %s --min-age 0 --connect 127.0.0.1:%d "
		"--starttls none",
		danekit(), prim_conf, host, dir, dir, prim_port, state, port);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": retire"), "%s", r.out);
	cr_assert(strstr(r.out, "; remove:"), "%s", r.out);
	run_free(&r);

	r = run("%s --unbound-conf %s publish --host %s --remove %s/cur.pem "
		"--tsig-key %s --server %s",
		danekit(), prim_conf, host, dir, prim_key, prim_server);
	cr_assert_eq(r.status, 0, "retire: %s", r.err);
	cr_assert(strstr(r.out, "removed"), "%s", r.out);
	run_free(&r);
	secondary_sync();

	r = run(DK
		" rollover --host %s --current %s/cur.pem --next %s/next.pem "
		"--auth-port %s --state %s --min-age 0 --connect 127.0.0.1:%d "
		"--starttls none",
		danekit(), prim_conf, host, dir, dir, prim_port, state, port);
	tls_server_stop(pid);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": done"), "%s", r.out);
	run_free(&r);

	/* leave the name empty for the next run */
	r = run("%s --unbound-conf %s publish --host %s --remove %s/next.pem "
		"--tsig-key %s --server %s",
		danekit(), prim_conf, host, dir, prim_key, prim_server);
	run_free(&r);
	secondary_sync();
	tmpdir_free(dir);
}

/* "U S M hex" of a record object of the JSON output */
static const char *rdata_of(const json_t *rec)
{
	static char buf[300];

	snprintf(buf, sizeof(buf), "%d %d %d %s",
		 (int)json_integer_value(json_object_get(rec, "usage")),
		 (int)json_integer_value(json_object_get(rec, "selector")),
		 (int)json_integer_value(json_object_get(rec, "mtype")),
		 json_string_value(json_object_get(rec, "data")));
	return buf;
}

static json_t *rollover_json(const char *out, const char *stage)
{
	json_error_t e;
	json_t *doc = json_loads(out, 0, &e);

	cr_assert(doc, "not JSON (%s): %s", e.text, out);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "verdict")),
			 stage, "%s", out);
	return doc;
}

/* The state ("same", "different", "unreachable") of the server at @addr in
 * the report, or NULL when it is not listed. */
static const char *server_state(json_t *doc, const char *addr)
{
	json_t *srvs = json_object_get(doc, "servers"), *sv;
	size_t i;

	json_array_foreach(srvs, i, sv)
	{
		const char *a =
			json_string_value(json_object_get(sv, "address"));

		if (a && strcmp(a, addr) == 0) {
			return json_string_value(json_object_get(sv, "state"));
		}
	}
	return NULL;
}

/*
 * The stage "propagating": ns2.dyn.test. (a secondary that does not follow
 * the primary) still serves the old TLSA RRset after the next record was
 * published on the primary. rollover must name the lagging server, the
 * hook must not reload; once ns2 has caught up, rollover moves on.
 */
Test(renew_cli, rollover_propagating_lagging_secondary, .timeout = 120)
{
	char *dir, host[128], state[512], check[2048], marker[512], m[640];
	struct run r;
	json_t *doc;
	int hold;

	lab_up();
	dir = tmpdir();
	snprintf(host, sizeof(host), "mail.lagging-%d.dyn.test", (int)getpid());
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(marker, sizeof(marker), "%s/reloaded", dir);
	snprintf(check, sizeof(check),
		 DK " rollover --host %s --current %s/cur.pem "
		    "--next %s/next.pem --auth-port %s --state %s --no-connect",
		 danekit(), prim_conf, host, dir, dir, prim_port, state);

	/* the current key, published and copied to ns2: the servers agree */
	must_make_cert(dir, "cur", host);
	must_make_cert(dir, "next", host);
	publish_ok(host, "--add %s/cur.pem --ttl 60", dir);
	r = run("%s --json", check);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	doc = rollover_json(r.out, "next-missing");
	cr_assert_str_eq(server_state(doc, prim_addr), "same", "%s", r.out);
	cr_assert_str_eq(server_state(doc, prim_addr2), "same", "%s", r.out);
	json_decref(doc);
	run_free(&r);

	/* the next key goes to the primary only; ns2 lags (no sync-secondary
	 * of any test until the checks are done) */
	hold = secondary_hold();
	publish_nosync(host, "--add %s/next.pem --ttl 60", dir);
	/* the validating resolver (forward-zone: the primary) sees both */
	r = run(DK " lookup _25._tcp.%s TLSA", danekit(), prim_conf, host);
	cr_assert_eq(r.status, 0, "lookup: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, "; dnssec: secure"), "%s", r.out);
	run_free(&r);

	r = run("%s --min-age 0", check);
	cr_assert_eq(r.status, 1, "propagating must exit 1: %s %s", r.out,
		     r.err);
	snprintf(m, sizeof(m), "; _25._tcp.%s.: propagating\n", host);
	cr_assert(strstr(r.out, m), "%s", r.out);
	snprintf(m, sizeof(m),
		 "; server ns2.dyn.test. %s port %s: different RRset",
		 prim_addr2, prim_port);
	cr_assert(strstr(r.out, m), "no line '%s' in: %s", m, r.out);
	snprintf(m, sizeof(m), "; server ns.dyn.test. %s port %s: same RRset",
		 prim_addr, prim_port);
	cr_assert(strstr(r.out, m), "no line '%s' in: %s", m, r.out);
	snprintf(m, sizeof(m),
		 "name server ns2.dyn.test. (%s) serves 1 TLSA record ",
		 prim_addr2);
	cr_assert(strstr(r.out, m), "the lagging server is not named: %s",
		  r.out);
	cr_assert_null(strstr(r.out, ": ready"), "%s", r.out);
	run_free(&r);

	/* JSON: each server's answer; the lagging one says why */
	r = run("%s --min-age 0 --json", check);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	doc = rollover_json(r.out, "propagating");
	cr_assert(json_is_false(json_object_get(doc, "safe")), "%s", r.out);
	/* The TTL and the age rule are known before the servers are asked. */
	cr_assert_gt(json_integer_value(json_object_get(
			     json_object_get(doc, "tlsa"), "ttl")),
		     0, "%s", r.out);
	cr_assert_eq(json_integer_value(json_object_get(doc, "min_age")), 0,
		     "%s", r.out);
	cr_assert_eq(json_array_size(json_object_get(
			     json_object_get(doc, "tlsa"), "records")),
		     2, "%s", r.out);
	cr_assert_geq(json_array_size(json_object_get(doc, "servers")), 2, "%s",
		      r.out);
	cr_assert_str_eq(server_state(doc, prim_addr), "same", "%s", r.out);
	cr_assert_str_eq(server_state(doc, prim_addr2), "different", "%s",
			 r.out);
	{
		json_t *sv;
		size_t i;

		json_array_foreach(json_object_get(doc, "servers"), i, sv)
		{
			const char *a = json_string_value(
				json_object_get(sv, "address"));
			const char *why =
				json_string_value(json_object_get(sv, "why"));

			cr_assert_eq(
				json_integer_value(json_object_get(sv, "port")),
				atoi(prim_port), "%s", r.out);
			if (strcmp(a, prim_addr2) == 0) {
				cr_assert_str_eq(
					json_string_value(
						json_object_get(sv, "name")),
					"ns2.dyn.test.", "%s", r.out);
				cr_assert(why && strstr(why,
							"serves 1 TLSA record"),
					  "%s", r.out);
			} else {
				cr_assert_str_eq(
					json_string_value(
						json_object_get(sv, "name")),
					"ns.dyn.test.", "%s", r.out);
				cr_assert_str_eq(
					json_string_value(
						json_object_get(sv, "state")),
					"same", "%s", r.out);
				cr_assert_null(why, "%s", r.out);
			}
		}
	}
	cr_assert(strstr(json_string_value(json_object_get(doc, "why")),
			 prim_addr2),
		  "%s", r.out);
	json_decref(doc);
	run_free(&r);

	/* the hook stages the pair while a server lags: nothing deployed */
	r = run("cd %s && env -i PATH=\"$PATH\" HOME=%s "
		"LEGO_CERT_PATH=%s/next-full.pem "
		"LEGO_CERT_KEY_PATH=%s/next.key LEGO_CERT_DOMAIN=%s " DK
		" hook lego --tlsa-name _25._tcp.%s --reload 'touch %s' "
		"--deploy-combined %s/deployed.pem --state-dir %s/hookstate "
		"--auth-port %s --state %s --min-age 0",
		dir, dir, dir, dir, host, danekit(), prim_conf, host, marker,
		dir, dir, prim_port, state);
	cr_assert_eq(r.status, 0, "hook: %d %s %s", r.status, r.out, r.err);
	cr_assert(!exists(marker), "the reload command ran while ns2 lags");
	cr_assert(strstr(r.out, "staged:"), "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "propagating"), "%s %s", r.out, r.err);
	{
		char dep[600];

		snprintf(dep, sizeof(dep), "%s/deployed.pem", dir);
		cr_assert(!exists(dep), "deployed while ns2 lags");
	}
	run_free(&r);
	secondary_release(hold);

	/* ns2 catches up: every server agrees; just published, so waiting
	 * (twice the TTL of 60 s), and ready with --min-age 0 */
	secondary_sync();
	r = run("%s --json", check);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	doc = rollover_json(r.out, "waiting");
	cr_assert_str_eq(server_state(doc, prim_addr), "same", "%s", r.out);
	cr_assert_str_eq(server_state(doc, prim_addr2), "same", "%s", r.out);
	cr_assert_eq(json_integer_value(json_object_get(doc, "min_age")), 120,
		     "%s", r.out);
	json_decref(doc);
	run_free(&r);
	r = run("%s --min-age 0", check);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": ready\n"), "%s", r.out);
	snprintf(m, sizeof(m), "; server ns2.dyn.test. %s port %s: same RRset",
		 prim_addr2, prim_port);
	cr_assert(strstr(r.out, m), "no line '%s' in: %s", m, r.out);
	run_free(&r);

	/* leave the name empty for the next run */
	r = run("%s --unbound-conf %s publish --host %s --remove %s/cur.pem "
		"--remove %s/next.pem --tsig-key %s --server %s",
		danekit(), prim_conf, host, dir, dir, prim_key, prim_server);
	run_free(&r);
	secondary_sync();
	tmpdir_free(dir);
}

/*
 * The stage "broken": the live certificate matches no published record
 * (a key went live before its record), which is reported, never "safe".
 */
Test(renew_cli, rollover_broken_live_key_unpublished, .timeout = 120)
{
	char *dir, host[128], state[512], c[512], k[512];
	struct run r;
	int pid, port = 0;

	lab_up();
	dir = tmpdir();
	snprintf(host, sizeof(host), "mail.broken-%d.dyn.test", (int)getpid());
	snprintf(state, sizeof(state), "%s/state", dir);
	must_make_cert(dir, "cur", host);
	must_make_cert(dir, "next", host);
	must_make_cert(dir, "rogue", host);
	publish_ok(host, "--add %s/cur.pem --add %s/next.pem --ttl 60", dir,
		   dir);

	/* a third key is live, which no record names */
	snprintf(c, sizeof(c), "%s/rogue-full.pem", dir);
	snprintf(k, sizeof(k), "%s/rogue.key", dir);
	pid = tls_server_start(c, k, &port);
	cr_assert(pid > 0, "openssl s_server did not start");
	r = run(DK " rollover --host %s --current %s/cur.pem --next "
		   "%s/next.pem --auth-port %s --state %s --min-age 0 "
		   "--connect 127.0.0.1:%d --starttls none",
		danekit(), prim_conf, host, dir, dir, prim_port, state, port);
	tls_server_stop(pid);
	cr_assert_eq(r.status, 1, "broken must exit 1: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": broken"), "%s", r.out);
	cr_assert_null(strstr(r.out, ": ready"), "%s", r.out);
	run_free(&r);

	r = run("%s --unbound-conf %s publish --host %s --remove %s/cur.pem "
		"--remove %s/next.pem --tsig-key %s --server %s",
		danekit(), prim_conf, host, dir, dir, prim_key, prim_server);
	run_free(&r);
	secondary_sync();
	tmpdir_free(dir);
}

Test(renew_cli, help_on_stdout)
{
	static const char *const cmds[] = { "rollover", "hook", "publish" };

	for (size_t i = 0; i < 3; i++) {
		struct run r = run("%s %s --help", danekit(), cmds[i]);

		cr_assert_eq(r.status, 0, "%s --help: %d", cmds[i], r.status);
		cr_assert(strstr(r.out, "Usage: danekit"), "%s", r.out);
		cr_assert_str_empty(r.err);
		run_free(&r);
	}
}

Test(renew_cli, usage_errors)
{
	struct run r = run("%s rollover --current x", danekit());

	cr_assert_eq(r.status, 64);
	cr_assert(strncmp(r.err, "danekit: rollover: ", 19) == 0, "%s", r.err);
	run_free(&r);
	r = run("%s hook nosuchclient", danekit());
	cr_assert_eq(r.status, 64, "%s", r.err);
	run_free(&r);
	r = run("%s publish --host mail.example.com", danekit());
	cr_assert_eq(r.status, 64, "%s", r.err);
	cr_assert(strncmp(r.err, "danekit: publish: ", 18) == 0, "%s", r.err);
	run_free(&r);
	r = run("%s rollover --host x --current /nonexistent --next "
		"/nonexistent",
		danekit());
	cr_assert_eq(r.status, 66, "%s", r.err);
	run_free(&r);
}

Test(renew_cli, key_file_exists)
{
	char *dir = tmpdir();
	struct run r = run("echo keep > %s/k.pem && %s rollover --prepare-next "
			   "--key-out %s/k.pem --host mail.example.com --ttl "
			   "3600",
			   dir, danekit(), dir);

	cr_assert_eq(r.status, 64, "%s", r.err);
	cr_assert(strstr(r.err, "exists"), "%s", r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	r = run("cat %s/k.pem", dir);
	cr_assert_str_eq(r.out, "keep\n");
	run_free(&r);
	/* --force replaces it; the new file is 0600 */
	r = run("%s rollover --prepare-next --force --key-type ed25519 "
		"--key-out "
		"%s/k.pem --host mail.example.com --ttl 3600 && stat -c %%a "
		"%s/k.pem && "

		"openssl pkey -in %s/k.pem -noout -text | head -1",
		danekit(), dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\n600\n"), "%s", r.out);
	cr_assert(strstr(r.out, "ED25519"), "%s", r.out);
	run_free(&r);
	r = run("%s rollover --prepare-next --key-type rsa2048 --key-out "
		"%s/r.pem "
		"--csr-out %s/r.csr --host mail.example.com --name "
		"mx.example.com --ttl 3600 && "

		"openssl req -in %s/r.csr -noout -text",
		danekit(), dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "DNS:mail.example.com, DNS:mx.example.com"),
		  "%s", r.out);
	run_free(&r);
	tmpdir_free(dir);
}

/*
 * secure.test has 3 1 1 of the lab leaf and 2 1 1 of the intermediate. A
 * new key issued by the same intermediate is covered by the 2 1 1 record
 * at once (ready), but only by it: the report warns and names the 3 1 1
 * record that keeps two independent records. Without the issuer, the 2 1
 * 1 record cannot be judged: next-missing.
 */
Test(renew_cli, rollover_next_missing_in_lab)
{
	char *dir, key[512], *hex, want[256];
	struct run r;
	json_t *doc, *add, *warn;

	lab_up();
	dir = tmpdir();
	snprintf(key, sizeof(key), "%s/n.key", dir);
	r = run("%s rollover --prepare-next --ttl 3600 --key-out %s --host "
		"mail.secure.test",
		danekit(), key);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	hex = openssl_spki_sha256(key);
	snprintf(want, sizeof(want),
		 "_25._tcp.mail.secure.test. 3600 IN TLSA 3 1 1 %s\n", hex);

	/* no issuer for the next key: only a 3 1 1 record can cover it */
	r = run(DK " rollover --host mail.secure.test --current %s/chain.pem "
		   "--next %s --auth-port %s --state %s/st --min-age 0 "
		   "--no-connect",
		danekit(), lab_conf, lab_pki, key, lab_port, dir);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": next-missing\n"), "%s", r.out);
	cr_assert(strstr(r.out, "\n_25._tcp.mail.secure.test. "), "%s", r.out);
	cr_assert(strstr(r.out, want), "no '%s' in %s", want, r.out);
	run_free(&r);

	/* issued by the lab intermediate: its 2 1 1 covers the next chain */
	r = run(DK " rollover --host mail.secure.test --current %s/chain.pem "
		   "--next %s --ca %s/int.pem --auth-port %s --state %s/st "
		   "--min-age 0 --no-connect",
		danekit(), lab_conf, lab_pki, key, lab_pki, lab_port, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": ready\n"), "%s", r.out);
	cr_assert(strstr(r.out, "; warning: "), "no warning: %s", r.out);
	snprintf(want, sizeof(want), "\"3 1 1 %s\"", hex);
	cr_assert(strstr(r.out, want), "the warning does not name %s: %s", want,
		  r.out);
	run_free(&r);
	r = run(DK " rollover --host mail.secure.test --current %s/chain.pem "
		   "--next %s --ca %s/int.pem --auth-port %s --state %s/st "
		   "--min-age 0 --no-connect --json",
		danekit(), lab_conf, lab_pki, key, lab_pki, lab_port, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	doc = rollover_json(r.out, "ready");
	add = json_object_get(doc, "add");
	warn = json_object_get(doc, "warnings");
	cr_assert_eq(json_array_size(add), 1, "%s", r.out);
	snprintf(want, sizeof(want), "3 1 1 %s", hex);
	cr_assert_str_eq(rdata_of(json_array_get(add, 0)), want, "%s", r.out);
	cr_assert_eq(json_array_size(warn), 1, "%s", r.out);
	cr_assert(strstr(json_string_value(json_array_get(warn, 0)), want),
		  "%s", r.out);
	json_decref(doc);
	run_free(&r);

	/* same key and CA: covered twice over, nothing to warn about */
	r = run(DK
		" rollover --host mail.secure.test --current %s/chain.pem "
		"--next %s/chain.pem --auth-port %s --state %s/st --min-age 0 "
		"--no-connect --json",
		danekit(), lab_conf, lab_pki, lab_pki, lab_port, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	doc = rollover_json(r.out, "ready");
	cr_assert_eq(json_array_size(json_object_get(doc, "warnings")), 0, "%s",
		     r.out);
	cr_assert_eq(json_array_size(json_object_get(doc, "add")), 0, "%s",
		     r.out);
	json_decref(doc);
	run_free(&r);
	free(hex);
	tmpdir_free(dir);
}

Test(renew_cli, rollover_never_safe_when_not_secure)
{
	struct run r;

	lab_up();
	r = run(DK
		" rollover --host mail.insecure.test --current %s/chain.pem "
		"--next %s/chain.pem --auth-port %s --min-age 0 --no-connect "
		"--state /dev/null/x",
		danekit(), lab_conf, lab_pki, lab_pki, lab_port);
	cr_assert_eq(r.status, 2, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "not-secure"), "%s", r.out);
	cr_assert_null(strstr(r.out, "ready"));
	run_free(&r);
	r = run(DK
		" rollover --host mail.tampered.test --current %s/chain.pem "
		"--next %s/chain.pem --auth-port %s --min-age 0 --no-connect "
		"--state /dev/null/x",
		danekit(), lab_conf, lab_pki, lab_pki, lab_port);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "bogus"), "%s", r.out);
	cr_assert_null(strstr(r.out, "ready"));
	run_free(&r);
}

Test(renew_cli, publish_failures)
{
	struct run r;

	lab_up();
	/* bad TSIG key: refused, nothing changed */
	r = run("%s --unbound-conf %s publish --host mail.refused.dyn.test "
		"--add " ZERO_RECORD " "
		"--tsig-key %s --server %s",
		danekit(), prim_conf, prim_badkey, prim_server);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.err, "danekit: publish: ") == r.err, "%s", r.err);
	cr_assert(strstr(r.err, "refused"), "%s", r.err);
	run_free(&r);
	r = run(DK " lookup _25._tcp.mail.refused.dyn.test TLSA", danekit(),
		prim_conf);
	cr_assert_null(strstr(r.out, "IN TLSA"), "%s", r.out);
	run_free(&r);
	/* primary unreachable: 75 */
	r = run("%s --timeout 2 --unbound-conf %s publish --host mail.dyn.test "
		"--add " ZERO_RECORD " --tsig-key %s%s",
		danekit(), prim_conf, prim_key, " --server 127.53.0.2@9");
	cr_assert_eq(r.status, 75, "%s %s", r.out, r.err);
	run_free(&r);
	/*
	 * No --server: the primary is the SOA MNAME (ns.dyn.test., the
	 * primary's address) on port 53, where nothing listens in the lab.
	 */
	r = run("%s --timeout 2 --unbound-conf %s publish --host mail.dyn.test "
		"--add " ZERO_RECORD " --tsig-key %s%s",
		danekit(), prim_conf, prim_key, "");
	cr_assert_eq(r.status, 75, "%s %s", r.out, r.err);
	{
		char want[128];

		snprintf(want, sizeof(want), "the primary %s port 53 ",
			 prim_addr);
		cr_assert(strstr(r.err, want), "not the SOA MNAME: %s", r.err);
	}
	cr_assert_str_eq(r.out, "");
	run_free(&r);
	/* missing key file: 66 */
	r = run("%s publish --host mail.dyn.test --add " ZERO_RECORD
		" --tsig-key "
		"/nonexistent --server %s --zone dyn.test",
		danekit(), prim_server);
	cr_assert_eq(r.status, 66, "%s %s", r.out, r.err);
	run_free(&r);
	/* dry run: the nsupdate script, nothing sent */
	r = run("%s --unbound-conf %s publish --host mail.dryrun.dyn.test "
		"--add " ZERO_RECORD " "
		"--server %s --dry-run",
		danekit(), prim_conf, prim_server);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "zone dyn.test.\n"), "%s", r.out);
	cr_assert(strstr(r.out, "prereq nxrrset _25._tcp.mail.dryrun.dyn.test. "
				"IN TLSA\n"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "update add _25._tcp.mail.dryrun.dyn.test. "
				"3600 IN TLSA 3 1 1 "),
		  "%s", r.out);
	cr_assert(strstr(r.out, "\nsend\n"), "%s", r.out);
	run_free(&r);
}

/* Remove every record named in @specs (quoted SPECs) at @host. */
static void unpublish(const char *host, const char *specs)
{
	struct run r =
		run("%s --unbound-conf %s publish --host %s %s "
		    "--tsig-key %s --server %s",
		    danekit(), prim_conf, host, specs, prim_key, prim_server);

	run_free(&r);
}

/* Does @err hold exactly one line, "danekit: rollover: ..."? */
static void one_error_line(const char *err)
{
	cr_assert(strncmp(err, "danekit: rollover: ", 19) == 0, "%s", err);
	cr_assert(strchr(err, '\n') == err + strlen(err) - 1,
		  "not one line: %s", err);
}

/*
 * DANE-TA coverage: the current chain is covered by 3 1 1 and 2 1 1 (of
 * the lab intermediate); the next certificate has a new key under the same
 * intermediate. The 2 1 1 record covers it: ready (once aged), with a
 * warning naming the 3 1 1 record that keeps two independent records.
 * The age that counts is that of the oldest record covering the next
 * chain: the 2 1 1, seen long ago, not the 3 1 1 just published.
 */
Test(renew_cli, rollover_dane_ta_covers_next_key, .timeout = 120)
{
	char *dir, host[128], state[512], check[2048], path[512], want[256];
	char *inthex, *curhex, *nexthex;
	struct run r;
	json_t *doc;
	FILE *f;

	lab_up();
	dir = tmpdir();
	snprintf(host, sizeof(host), "mail.ta-%d.dyn.test", (int)getpid());
	snprintf(state, sizeof(state), "%s/state", dir);
	must_make_cert(dir, "cur", host);
	must_make_cert(dir, "next", host);
	snprintf(path, sizeof(path), "%s/int.pem", lab_pki);
	inthex = openssl_spki_sha256(path);
	snprintf(path, sizeof(path), "%s/cur.pem", dir);
	curhex = openssl_spki_sha256(path);
	snprintf(path, sizeof(path), "%s/next.key", dir);
	nexthex = openssl_spki_sha256(path);
	publish_ok(host, "--add %s/cur.pem --add '2 1 1 %s' --ttl 60", dir,
		   inthex);
	snprintf(check, sizeof(check),
		 DK " rollover --host %s --current %s/cur-full.pem --next "
		    "%s/next-full.pem --auth-port %s --state %s --no-connect",
		 danekit(), prim_conf, host, dir, dir, prim_port, state);

	r = run("%s --min-age 0", check);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": ready\n"), "%s", r.out);
	snprintf(want, sizeof(want), "; record 2 1 1 %s  (current and next)",
		 inthex);
	cr_assert(strstr(r.out, want), "no '%s' in %s", want, r.out);
	snprintf(want, sizeof(want), "publish \"3 1 1 %s\" as well", nexthex);
	cr_assert(strstr(r.out, want), "no '%s' in %s", want, r.out);
	run_free(&r);
	r = run("%s --min-age 0 --json", check);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	doc = rollover_json(r.out, "ready");
	snprintf(want, sizeof(want), "3 1 1 %s", nexthex);
	cr_assert_eq(json_array_size(json_object_get(doc, "add")), 1, "%s",
		     r.out);
	cr_assert_str_eq(
		rdata_of(json_array_get(json_object_get(doc, "add"), 0)), want,
		"%s", r.out);
	cr_assert_eq(json_array_size(json_object_get(doc, "warnings")), 1, "%s",
		     r.out);
	json_decref(doc);
	run_free(&r);

	/* the 2 1 1 and the current 3 1 1 were seen 1000 s ago; the next
	 * 3 1 1 is published now: the next chain is 1000 s old */
	f = fopen(state, "w");
	cr_assert(f);
	fprintf(f,
		"# danekit rollover state (written by the test)\n"
		"_25._tcp.%s. 2 1 1 %s %lld\n_25._tcp.%s. 3 1 1 %s %lld\n",
		host, inthex, (long long)time(NULL) - 1000, host, curhex,
		(long long)time(NULL) - 1000);
	fclose(f);
	publish_ok(host, "--add %s/next.pem", dir);
	r = run("%s --json", check);
	cr_assert_eq(r.status, 0, "not ready with the default age rule: %s %s",
		     r.out, r.err);
	doc = rollover_json(r.out, "ready");
	cr_assert_geq(json_integer_value(json_object_get(doc, "age")), 1000,
		      "%s", r.out);
	cr_assert_eq(json_integer_value(json_object_get(doc, "min_age")), 120,
		     "%s", r.out);
	cr_assert_eq(json_array_size(json_object_get(doc, "warnings")), 0, "%s",
		     r.out);
	json_decref(doc);
	run_free(&r);

	snprintf(check, sizeof(check),
		 "--remove %s/cur.pem --remove %s/next.pem --remove '2 1 1 %s'",
		 dir, dir, inthex);
	unpublish(host, check);
	secondary_sync();
	free(inthex);
	free(curhex);
	free(nexthex);
	tmpdir_free(dir);
}

/*
 * The live chain: only a 2 1 1 of the intermediate is published and
 * --current is a bare leaf. The service sends leaf + intermediate: the
 * current certificate is covered, never 'broken'. A service that sends
 * only its leaf is broken (DANE clients cannot match the 2 1 1).
 */
Test(renew_cli, rollover_live_chain_judges_current, .timeout = 120)
{
	char *dir, host[128], c[512], k[512], ch[512], *inthex;
	struct run r;
	int pid, port = 0;

	lab_up();
	dir = tmpdir();
	snprintf(host, sizeof(host), "mail.livechain-%d.dyn.test",
		 (int)getpid());
	must_make_cert(dir, "cur", host);
	must_make_cert(dir, "next", host);
	snprintf(ch, sizeof(ch), "%s/int.pem", lab_pki);
	inthex = openssl_spki_sha256(ch);
	publish_ok(host, "--add '2 1 1 %s' --ttl 60", inthex);
	snprintf(c, sizeof(c), "%s/cur.pem", dir);
	snprintf(k, sizeof(k), "%s/cur.key", dir);

	/* without the live chain, a bare leaf cannot be judged against the
	 * 2 1 1: never 'done' (which skips the age rule), but waiting */
	r = run(DK " rollover --host %s --current %s/cur.pem --next "
		   "%s/next-full.pem --auth-port %s --state %s/st --no-connect",
		danekit(), prim_conf, host, dir, dir, prim_port, dir);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": waiting\n"), "%s", r.out);
	cr_assert(strstr(r.out, "--current-ca"), "%s", r.out);
	run_free(&r);

	pid = tls_server_start_chain(c, k, ch, &port);
	cr_assert(pid > 0, "openssl s_server did not start");
	r = run(DK " rollover --host %s --current %s/cur.pem --next "
		   "%s/next-full.pem --auth-port %s --state %s/st --min-age 0 "
		   "--connect 127.0.0.1:%d --starttls none",
		danekit(), prim_conf, host, dir, dir, prim_port, dir, port);
	tls_server_stop(pid);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": ready\n"), "%s", r.out);
	cr_assert(strstr(r.out, "; live certificate: current\n"), "%s", r.out);
	cr_assert(strstr(r.out, "(current and next)"), "%s", r.out);
	run_free(&r);

	pid = tls_server_start_chain(c, k, NULL, &port);
	cr_assert(pid > 0, "openssl s_server did not start");
	r = run(DK " rollover --host %s --current %s/cur-full.pem --next "
		   "%s/next-full.pem --auth-port %s --state %s/st --min-age 0 "
		   "--connect 127.0.0.1:%d --starttls none",
		danekit(), prim_conf, host, dir, dir, prim_port, dir, port);
	tls_server_stop(pid);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": broken\n"), "%s", r.out);
	cr_assert(strstr(r.out, "the chain the service presents"), "%s", r.out);
	run_free(&r);

	snprintf(c, sizeof(c), "--remove '2 1 1 %s'", inthex);
	unpublish(host, c);
	secondary_sync();
	free(inthex);
	tmpdir_free(dir);
}

/*
 * Full DANE-TA records (2 1 0, 2 0 0) carry the trust anchor itself, which
 * the service need not send (RFC 7671 section 5.2.2): they cover every
 * certificate the anchor's key signed, bare leaves included, and a
 * service that sends only its leaf.
 */
Test(renew_cli, rollover_full_ta_record_covers, .timeout = 120)
{
	char *dir, host[128], c[512], k[512], spec[4096], check[2048];
	char *spki, *cert, *other;
	struct run r;
	int pid, port = 0;

	lab_up();
	dir = tmpdir();
	snprintf(host, sizeof(host), "mail.fullta-%d.dyn.test", (int)getpid());
	must_make_cert(dir, "cur", host);
	must_make_cert(dir, "next", host);
	snprintf(c, sizeof(c), "%s/int.pem", lab_pki);
	spki = openssl_spki_der(c);
	cert = openssl_cert_der(c);
	snprintf(c, sizeof(c), "%s/other.key", lab_pki);
	other = openssl_spki_der(c);
	snprintf(check, sizeof(check),
		 DK " rollover --host %s --current %s/cur.pem --next "
		    "%s/next.pem --auth-port %s --state %s/st --min-age 0",
		 danekit(), prim_conf, host, dir, dir, prim_port, dir);

	/* 2 1 0 of a key that signed neither: nothing covers the next */
	snprintf(spec, sizeof(spec), "--add '2 1 0 %s'", other);
	publish_ok(host, "%s --ttl 60", spec);
	r = run("%s --no-connect", check);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": next-missing\n"), "%s", r.out);
	run_free(&r);

	/* 2 1 0 of the intermediate, which is never given */
	snprintf(spec, sizeof(spec), "--remove '2 1 0 %s' --add '2 1 0 %s'",
		 other, spki);
	publish_ok(host, "%s", spec);
	r = run("%s --no-connect", check);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": ready\n"), "%s", r.out);
	cr_assert(strstr(r.out, "(current and next)"), "%s", r.out);
	run_free(&r);
	/* a service that sends its leaf only is covered by it */
	snprintf(c, sizeof(c), "%s/cur.pem", dir);
	snprintf(k, sizeof(k), "%s/cur.key", dir);
	pid = tls_server_start_chain(c, k, NULL, &port);
	cr_assert(pid > 0, "openssl s_server did not start");
	r = run("%s --connect 127.0.0.1:%d --starttls none", check, port);
	tls_server_stop(pid);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": ready\n"), "%s", r.out);
	cr_assert(strstr(r.out, "; live certificate: current\n"), "%s", r.out);
	run_free(&r);

	/* 2 0 0: the intermediate's certificate */
	snprintf(spec, sizeof(spec), "--remove '2 1 0 %s' --add '2 0 0 %s'",
		 spki, cert);
	publish_ok(host, "%s", spec);
	r = run("%s --no-connect", check);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": ready\n"), "%s", r.out);
	cr_assert(strstr(r.out, "(current and next)"), "%s", r.out);
	run_free(&r);

	snprintf(spec, sizeof(spec), "--remove '2 0 0 %s'", cert);
	unpublish(host, spec);
	secondary_sync();
	free(spki);
	free(cert);
	free(other);
	tmpdir_free(dir);
}

/* The state ("same"...) of the server at @addr asked for @qname. */
static const char *server_state_for(json_t *doc, const char *addr,
				    const char *qname)
{
	json_t *sv;
	size_t i;

	json_array_foreach(json_object_get(doc, "servers"), i, sv)
	{
		const char *a =
			json_string_value(json_object_get(sv, "address"));
		const char *q = json_string_value(json_object_get(sv, "qname"));

		if (a && q && strcmp(a, addr) == 0 && strcmp(q, qname) == 0) {
			return json_string_value(json_object_get(sv, "state"));
		}
	}
	return NULL;
}

/*
 * A CNAME'd TLSA owner: the records are at the target, whose zone's
 * servers are asked for the target (and the alias's servers for the
 * CNAME). prepare-next prints the record at the target.
 */
Test(renew_cli, rollover_cname_owner, .timeout = 120)
{
	char *dir, alias[128], alias2[128], target[128], check[2048], upd[512],
		q[256], tq[256], m[512];
	struct run r;
	json_t *doc;
	int hold;

	lab_up();
	dir = tmpdir();
	snprintf(alias, sizeof(alias), "mail.alias-%d.dyn.test", (int)getpid());
	snprintf(alias2, sizeof(alias2), "mail.alias2-%d.dyn.test",
		 (int)getpid());
	snprintf(target, sizeof(target), "mail.target-%d.dyn.test",
		 (int)getpid());
	snprintf(tq, sizeof(tq), "_25._tcp.%s.", target);
	must_make_cert(dir, "cur", alias);
	must_make_cert(dir, "next", alias);
	publish_nosync(target, "--add %s/cur.pem --add %s/next.pem --ttl 60",
		       dir, dir);
	snprintf(upd, sizeof(upd), "update add _25._tcp.%s. 60 CNAME %s", alias,
		 tq);
	primary_nsupdate(upd);
	secondary_sync();

	snprintf(check, sizeof(check),
		 DK " rollover --current %s/cur.pem --next %s/next.pem "
		    "--auth-port %s --state %s/st --min-age 0 --no-connect",
		 danekit(), prim_conf, dir, dir, prim_port, dir);
	r = run("%s --host %s --json", check, alias);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	doc = rollover_json(r.out, "ready");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "target")), tq,
			 "%s", r.out);
	snprintf(q, sizeof(q), "_25._tcp.%s.", alias);
	cr_assert_str_eq(server_state_for(doc, prim_addr, tq), "same", "%s",
			 r.out);
	cr_assert_str_eq(server_state_for(doc, prim_addr2, tq), "same", "%s",
			 r.out);
	cr_assert_str_eq(server_state_for(doc, prim_addr, q), "same", "%s",
			 r.out);
	cr_assert_str_eq(server_state_for(doc, prim_addr2, q), "same", "%s",
			 r.out);
	json_decref(doc);
	run_free(&r);

	/* the next record goes at the target, with its TTL */
	r = run(DK " rollover --prepare-next --host %s --key-out %s/n.key",
		danekit(), prim_conf, alias, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	snprintf(m, sizeof(m), "\n%s 60 IN TLSA 3 1 1 ", tq);
	cr_assert(strstr(r.out, m), "no '%s' in %s", m, r.out);
	run_free(&r);

	/* ns2 lags: a new alias, and a change at the target */
	hold = secondary_hold();
	snprintf(upd, sizeof(upd), "update add _25._tcp.%s. 60 CNAME %s",
		 alias2, tq);
	primary_nsupdate(upd);
	r = run("%s --host %s", check, alias2);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": propagating\n"), "%s", r.out);
	snprintf(m, sizeof(m), "serves no CNAME from _25._tcp.%s. to %s",
		 alias2, tq);
	cr_assert(strstr(r.out, m), "no '%s' in %s", m, r.out);
	run_free(&r);
	publish_nosync(target, "--remove %s/cur.pem", dir);
	r = run("%s --host %s --json", check, alias);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	doc = rollover_json(r.out, "propagating");
	cr_assert_str_eq(server_state_for(doc, prim_addr2, tq), "different",
			 "%s", r.out);
	cr_assert_str_eq(server_state_for(doc, prim_addr, tq), "same", "%s",
			 r.out);
	json_decref(doc);
	run_free(&r);
	secondary_release(hold);
	secondary_sync();
	r = run("%s --host %s", check, alias2);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, ": done\n"), "%s", r.out);
	run_free(&r);

	snprintf(upd, sizeof(upd),
		 "update delete _25._tcp.%s. CNAME\\nupdate delete "
		 "_25._tcp.%s. CNAME",
		 alias, alias2);
	primary_nsupdate(upd);
	snprintf(check, sizeof(check), "--remove %s/next.pem", dir);
	unpublish(target, check);
	secondary_sync();
	tmpdir_free(dir);
}

/*
 * --state never touches what is not a danekit state file: a file of
 * other content (65), a folder or a FIFO (64, never blocking); one error
 * line, nothing on stdout, nothing written.
 */
Test(renew_cli, rollover_state_file_guard, .timeout = 120)
{
	char *dir, check[2048], path[512];
	struct run r;

	lab_up();
	dir = tmpdir();
	snprintf(check, sizeof(check),
		 "timeout 30 " DK " rollover --host mail.secure.test --current "
		 "%s/chain.pem --next %s/chain.pem --auth-port %s --min-age 0 "
		 "--no-connect",
		 danekit(), lab_conf, lab_pki, lab_pki, lab_port);

	r = run("printf 'my notes\\n' > %s/notes && %s --state %s/notes", dir,
		check, dir);
	cr_assert_eq(r.status, 65, "%d %s %s", r.status, r.out, r.err);
	one_error_line(r.err);
	cr_assert(strstr(r.err, "not a danekit state file"), "%s", r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	r = run("cat %s/notes", dir);
	cr_assert_str_eq(r.out, "my notes\n");
	run_free(&r);

	r = run("%s --state %s", check, dir);
	cr_assert_eq(r.status, 64, "%d %s %s", r.status, r.out, r.err);
	one_error_line(r.err);
	cr_assert(strstr(r.err, "folder"), "%s", r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);

	r = run("mkfifo %s/fifo && %s --state %s/fifo", dir, check, dir);
	cr_assert_eq(r.status, 64, "%d %s %s", r.status, r.out, r.err);
	one_error_line(r.err);
	cr_assert(strstr(r.err, "FIFO"), "%s", r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	/* nothing was written next to them */
	r = run("ls -A %s", dir);
	cr_assert_str_eq(r.out, "fifo\nnotes\n", "%s", r.out);
	run_free(&r);

	/* a new state file, then the same one, and an empty file */
	r = run("%s --state %s/st && %s --state %s/st && : > %s/empty && %s "
		"--state %s/empty && head -c 24 %s/st %s/empty",
		check, dir, check, dir, dir, check, dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	snprintf(path, sizeof(path),
		 "==> %s/empty <==\n# danekit rollover state", dir);
	cr_assert(strstr(r.out, path), "%s", r.out);
	run_free(&r);
	tmpdir_free(dir);
}

/*
 * --key-out and --csr-out: never the same file (by any path), and only
 * regular files are replaced, with or without --force: not a FIFO (never
 * blocking), not a device, not a folder. One error line, nothing on
 * stdout, nothing written.
 */
Test(renew_cli, prepare_next_output_files, .timeout = 120)
{
	char *dir;
	struct run r;
	struct stat st;
	char p[512];

	dir = tmpdir();
	r = run("%s rollover --prepare-next --ttl 3600 --host mail.example.com "
		"--key-out %s/k.pem --csr-out %s/k.pem",
		danekit(), dir, dir);
	cr_assert_eq(r.status, 64, "%d %s %s", r.status, r.out, r.err);
	one_error_line(r.err);
	cr_assert(strstr(r.err, "same file"), "%s", r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	/* the same file by other paths: ./, .., a linked folder, a hard link */
	r = run("mkdir %s/sub && ln -s %s %s/link && echo keep > %s/h1 && ln "
		"%s/h1 %s/h2",
		dir, dir, dir, dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	{
		const char *pairs[][2] = {
			{ "%s/k.pem", "%s/./sub/../k.pem" },
			{ "%s/k.pem", "%s/link/k.pem" },
			{ "%s/h1", "%s/h2" },
		};

		for (size_t i = 0; i < 3; i++) {
			char a[512], b[512];

			snprintf(a, sizeof(a), pairs[i][0], dir);
			snprintf(b, sizeof(b), pairs[i][1], dir);
			r = run("%s rollover --prepare-next --ttl 3600 --force "
				"--host mail.example.com --key-out %s "
				"--csr-out %s",
				danekit(), a, b);
			cr_assert_eq(r.status, 64, "%s %s: %d %s %s", a, b,
				     r.status, r.out, r.err);
			one_error_line(r.err);
			cr_assert_str_empty(r.out);
			run_free(&r);
		}
	}
	snprintf(p, sizeof(p), "%s/k.pem", dir);
	cr_assert(!exists(p), "a key was written");
	r = run("cat %s/h1", dir);
	cr_assert_str_eq(r.out, "keep\n");
	run_free(&r);

	/* a FIFO: refused (not opened, so never blocking), left alone */
	r = run("mkfifo %s/fifo && timeout 30 %s rollover --prepare-next --ttl "
		"3600 --force --host mail.example.com --key-out %s/fifo",
		dir, danekit(), dir);
	cr_assert_eq(r.status, 64, "%d %s %s", r.status, r.out, r.err);
	one_error_line(r.err);
	cr_assert(strstr(r.err, "FIFO"), "%s", r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	cr_assert(stat(p, &st) == 0 && S_ISFIFO(st.st_mode));
	r = run("timeout 30 %s rollover --prepare-next --ttl 3600 --host "
		"mail.example.com --key-out %s/k2.pem --csr-out %s/fifo",
		danekit(), dir, dir);
	cr_assert_eq(r.status, 64, "%d %s %s", r.status, r.out, r.err);
	one_error_line(r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	snprintf(p, sizeof(p), "%s/k2.pem", dir);
	cr_assert(!exists(p), "the key was written though the CSR was not");
	/* a folder */
	r = run("%s rollover --prepare-next --ttl 3600 --force --host "
		"mail.example.com --key-out %s/sub",
		danekit(), dir);
	cr_assert_eq(r.status, 64, "%d %s %s", r.status, r.out, r.err);
	one_error_line(r.err);
	run_free(&r);
	r = run("ls -A %s/sub; ls -A %s | grep -c tmp", dir, dir);
	cr_assert_str_eq(r.out, "0\n", "files were left: %s", r.out);
	run_free(&r);

	/* a device, with and without --force */
	for (int force = 0; force < 2; force++) {
		r = run("%s rollover --prepare-next --ttl 3600 %s --host "
			"mail.example.com --key-out /dev/null",
			danekit(), force ? "--force" : "");
		cr_assert_eq(r.status, 64, "%d %s %s", r.status, r.out, r.err);
		one_error_line(r.err);
		cr_assert(strstr(r.err, "not a regular file"), "%s", r.err);
		cr_assert_str_empty(r.out);
		run_free(&r);
		cr_assert(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode),
			  "/dev/null was replaced");
	}
	r = run("ls /dev | grep -c '^null\\.tmp' || true");
	cr_assert_str_eq(r.out, "0\n", "%s", r.out);
	run_free(&r);
	tmpdir_free(dir);
}

/*
 * prepare-next prints the record with the TTL of the RRset published at
 * the owner (looked up through the global options' resolver), else 3600;
 * --ttl wins.
 */
Test(renew_cli, prepare_next_ttl_of_rrset, .timeout = 120)
{
	char *dir, host[128], none[128], want[512], key[512], *hex;
	struct run r;
	json_t *doc;
	json_error_t e;

	lab_up();
	dir = tmpdir();
	snprintf(host, sizeof(host), "mail.ttl-%d.dyn.test", (int)getpid());
	snprintf(none, sizeof(none), "mail.ttl-none-%d.dyn.test",
		 (int)getpid());
	r = run("%s --unbound-conf %s publish --host %s --add " ZERO_RECORD
		" --tsig-key %s --server %s --ttl 300",
		danekit(), prim_conf, host, prim_key, prim_server);
	cr_assert_eq(r.status, 0, "publish: %s", r.err);
	run_free(&r);

	snprintf(key, sizeof(key), "%s/a.key", dir);
	r = run(DK " rollover --prepare-next --host %s --key-out %s", danekit(),
		prim_conf, host, key);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	hex = openssl_spki_sha256(key);
	snprintf(want, sizeof(want), "\n_25._tcp.%s. 300 IN TLSA 3 1 1 %s\n",
		 host, hex);
	cr_assert(strstr(r.out, want), "no '%s' in %s", want, r.out);
	free(hex);
	run_free(&r);

	r = run(DK " --json rollover --prepare-next --host %s --key-out "
		   "%s/b.key",
		danekit(), prim_conf, host, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	doc = json_loads(r.out, 0, &e);
	cr_assert(doc, "%s", r.out);
	cr_assert_eq(json_integer_value(json_object_get(doc, "ttl")), 300, "%s",
		     r.out);
	json_decref(doc);
	run_free(&r);

	r = run(DK " rollover --prepare-next --host %s --key-out %s/c.key",
		danekit(), prim_conf, none, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	snprintf(want, sizeof(want), "\n_25._tcp.%s. 3600 IN TLSA 3 1 1 ",
		 none);
	cr_assert(strstr(r.out, want), "no '%s' in %s", want, r.out);
	run_free(&r);

	r = run(DK " rollover --prepare-next --host %s --ttl 1234 --key-out "
		   "%s/d.key",
		danekit(), prim_conf, host, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	snprintf(want, sizeof(want), "\n_25._tcp.%s. 1234 IN TLSA 3 1 1 ",
		 host);
	cr_assert(strstr(r.out, want), "no '%s' in %s", want, r.out);
	run_free(&r);

	unpublish(host, "--remove " ZERO_RECORD);
	tmpdir_free(dir);
}

/*
 * check smtp: a domain whose MX hosts are some with DANE (mail.dane-ok.test)
 * and some without (mail.insecure.test: unsigned) has a downgrade path:
 * verdict partial, exit 1; --allow-partial makes it 0. The MX RRset is
 * made in dyn.test. by DNS UPDATE (nsupdate).
 */
Test(renew_cli, check_smtp_partial_dane)
{
	char dom[128], upd[512];
	struct run r;
	json_t *doc;

	lab_up();
	snprintf(dom, sizeof(dom), "partial-%d.dyn.test", (int)getpid());
	snprintf(upd, sizeof(upd),
		 "update add %s. 60 MX 10 mail.dane-ok.test.\n"
		 "update add %s. 60 MX 20 mail.insecure.test.",
		 dom, dom);
	primary_nsupdate(upd);
	/* the lab's Postfix listens on its SMTP port (25 unless moved) */
	r = run(DK " --json check smtp %s --connect-port \"$(bash "
		   "%s/testzones/lab "
		   "env | sed -n 's/^DK_LAB_SMTP_PORT=//p')\"",
		danekit(), prim_conf, dom, getenv("DK_SRCDIR"));
	cr_assert_eq(r.status, 1, "%d %s %s", r.status, r.out, r.err);
	doc = json_loads(r.out, 0, NULL);
	cr_assert(doc, "%s", r.out);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "verdict")),
			 "partial", "%s", r.out);
	cr_assert(strstr(r.out, "\"mx-partial-dane\""), "%s", r.out);
	json_decref(doc);
	run_free(&r);
	r = run(DK " check smtp %s --allow-partial --connect-port \"$(bash "
		   "%s/testzones/lab env | sed -n 's/^DK_LAB_SMTP_PORT=//p')\"",
		danekit(), prim_conf, dom, getenv("DK_SRCDIR"));
	cr_assert_eq(r.status, 0, "%d %s %s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "PARTIAL"), "%s", r.out);
	run_free(&r);
	snprintf(upd, sizeof(upd), "update delete %s. MX", dom);
	primary_nsupdate(upd);
}

/* -q: the stage (or summary) line alone; -v: when records were seen. */
Test(renew_cli, quiet_and_verbose)
{
	char *dir;
	struct run r;

	lab_up();
	dir = tmpdir();
	r = run("%s -q --unbound-conf %s --timeout 5 rollover --host "
		"mail.secure.test --current %s/chain.pem --next %s/chain.pem "
		"--auth-port %s --state %s/st --min-age 0 --no-connect",
		danekit(), lab_conf, lab_pki, lab_pki, lab_port, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert_str_eq(r.out, "; _25._tcp.mail.secure.test.: ready\n");
	run_free(&r);
	r = run(DK " -v rollover --host mail.secure.test --current "
		   "%s/chain.pem --next %s/chain.pem --auth-port %s --state "
		   "%s/st --min-age 0 --no-connect",
		danekit(), lab_conf, lab_pki, lab_pki, lab_port, dir);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "(current and next), first seen 20"), "%s",
		  r.out);
	run_free(&r);
	/* --prepare-next -q: the key is written, nothing printed */
	r = run("%s -q rollover --prepare-next --ttl 60 --key-out %s/n.key "
		"--host mail.example.com && test -s %s/n.key",
		danekit(), dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_empty(r.out);
	run_free(&r);
	r = run("%s -q --unbound-conf %s publish --host mail.dryrun.dyn.test "
		"--add " ZERO_RECORD " --server %s --dry-run",
		danekit(), prim_conf, prim_server);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert_str_empty(r.err);
	run_free(&r);
	/* -q: a failure is still one line on stderr */
	r = run("%s -q --timeout 2 --unbound-conf %s publish --host "
		"mail.dryrun.dyn.test --add " ZERO_RECORD
		" --server 127.53.0.2@9 --zone dyn.test --dry-run",
		danekit(), prim_conf);
	cr_assert_eq(r.status, 75, "%s %s", r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1, "%s",
		     r.err);
	run_free(&r);
	tmpdir_free(dir);
}
