/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The publishers' API: names, API key files, invalid arguments, the hook
 * config's publisher settings, and the PowerDNS API's check of what was
 * there (a change made between the plan and the send is never
 * overwritten), against the lab's PowerDNS (testzones/pdns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <danekit/dane.h>

#include "dkt.h"

static char dir[] = "/tmp/dk-publib-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	dkt_run(NULL, "rm -rf '%s'", dir);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(publish_lib, via_names)
{
	cr_assert_str_eq(dk_publish_via_name(DK_PUBLISH_VIA_UPDATE), "rfc2136");
	cr_assert_str_eq(dk_publish_via_name(DK_PUBLISH_VIA_PDNS_API),
			 "pdns-api");
	cr_assert_str_eq(dk_publish_via_name(DK_PUBLISH_VIA_EXEC), "exec");
	cr_assert_null(dk_publish_via_name((enum dk_publish_via)9));
	cr_assert_eq(dk_publish_via_parse("pdns-api"), DK_PUBLISH_VIA_PDNS_API);
	cr_assert_eq(dk_publish_via_parse("exec"), DK_PUBLISH_VIA_EXEC);
	cr_assert_eq(dk_publish_via_parse("rfc2136"), DK_PUBLISH_VIA_UPDATE);
	cr_assert_eq(dk_publish_via_parse("PDNS"), DK_EINVAL);
	cr_assert_eq(dk_publish_via_parse(NULL), DK_EINVAL);
}

Test(publish_lib, api_key_files, .init = setup, .fini = teardown)
{
	struct dk_diag diag = { "" };
	char path[256], *key = NULL;

	cr_assert_eq(dk_api_key_read(NULL, &key, NULL), DK_EINVAL);
	cr_assert_eq(dk_api_key_read("/x", NULL, NULL), DK_EINVAL);
	dk_api_key_free(NULL);

	snprintf(path, sizeof(path), "%s/none", dir);
	cr_assert_eq(dk_api_key_read(path, &key, &diag), DK_ENOENT);
	cr_assert_eq(dk_api_key_read(dir, &key, &diag), DK_EISDIR);
	cr_assert_eq(dk_api_key_read("/dev/null", &key, &diag), DK_EISDIR);
	cr_assert(strstr(diag.why, "not a regular file"), "%s", diag.why);

	write_file("empty", "");
	snprintf(path, sizeof(path), "%s/empty", dir);
	cr_assert_eq(dk_api_key_read(path, &key, &diag), DK_EDATA);
	write_file("blank", "  \n secret\n");
	snprintf(path, sizeof(path), "%s/blank", dir);
	cr_assert_eq(dk_api_key_read(path, &key, &diag), DK_EDATA);
	write_file("ctl", "sec\x01ret\n");
	snprintf(path, sizeof(path), "%s/ctl", dir);
	cr_assert_eq(dk_api_key_read(path, &key, &diag), DK_EDATA);
	cr_assert_null(strstr(diag.why, "sec"), "the key is in: %s", diag.why);
	cr_assert_null(key);

	write_file("ok", "\t s3cr3t-Key \r\nsecond line\n");
	snprintf(path, sizeof(path), "%s/ok", dir);
	cr_assert_eq(dk_api_key_read(path, &key, &diag), 0, "%s", diag.why);
	cr_assert_str_eq(key, "s3cr3t-Key");
	dk_api_key_free(key);
}

Test(publish_lib, plan_invalid_arguments)
{
	struct dk_publish_opts po = { 0 };
	struct dk_publish_plan *plan = NULL;
	struct dk_diag diag = { "" };
	const char *argv[] = { NULL };

	po.zone = "pdns.test";
	po.via = DK_PUBLISH_VIA_PDNS_API;
	/* no URL, no key */
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_EINVAL);
	po.api_url = "http://127.53.0.4:1";
	po.api_key = "";
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_EINVAL);
	po.api_key = "k\r\nX-Injected: 1";
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_EINVAL);
	cr_assert_null(strstr(diag.why, "Injected"), "%s", diag.why);
	po.api_key = "k";
	po.api_url = "ftp://127.53.0.4/";
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_EINVAL);
	cr_assert(strstr(diag.why, "http"), "%s", diag.why);
	po.api_url = "http://127.53.0.4:1/?x";
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_EINVAL);
	/* a URL where nothing listens: could not finish */
	po.api_url = "http://127.53.0.4:1";
	po.timeout = 2;
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_ECONNREFUSED, "%s", diag.why);
	cr_assert_null(strstr(diag.why, "\"k\""));
	/* exec: a command is needed */
	po.via = DK_PUBLISH_VIA_EXEC;
	po.server = "127.0.0.1";
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_EINVAL);
	po.exec_argv = argv;
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_EINVAL);
	po.via = (enum dk_publish_via)7;
	cr_assert_eq(dk_publish_plan(NULL, "_25._tcp.mail.pdns.test", NULL, 0,
				     NULL, 0, &po, &plan, &diag),
		     DK_EINVAL);
	cr_assert_null(plan);
}

Test(publish_lib, hook_conf_publishers)
{
	struct dk_hook_conf *c = NULL;
	struct dk_diag diag = { "" };

	cr_assert_eq(dk_hook_conf_new(&c), 0);
	cr_assert_eq(dk_hook_conf_set(c, "publish-via", "pigeon", &diag),
		     DK_EINVAL);
	cr_assert_eq(
		dk_hook_conf_set(c, "tlsa-name", "_25._tcp.mail.x.test", &diag),
		0);
	cr_assert_eq(
		dk_hook_conf_set(c, "deploy-combined", "/tmp/x.pem", &diag), 0);
	cr_assert_eq(dk_hook_conf_set(c, "state-dir", "/tmp/st", &diag), 0);
	cr_assert_eq(dk_hook_conf_set(c, "publish-via", "pdns-api", &diag), 0);
	cr_assert_eq(c->publish_via, DK_PUBLISH_VIA_PDNS_API);
	cr_assert_eq(
		dk_hook_conf_set(c, "api-url", "http://127.0.0.1:8081", &diag),
		0);
	cr_assert_eq(dk_hook_conf_finish(c, &diag), DK_EINVAL);
	cr_assert(strstr(diag.why, "api-key-file"), "%s", diag.why);
	cr_assert_eq(dk_hook_conf_set(c, "api-key-file", "/etc/k", &diag), 0);
	cr_assert_eq(dk_hook_conf_set(c, "tsig-key", "/etc/t", &diag), 0);
	cr_assert_eq(dk_hook_conf_finish(c, &diag), DK_EINVAL);
	cr_assert(strstr(diag.why, "tsig-key"), "%s", diag.why);
	dk_hook_conf_free(c);

	c = NULL;
	cr_assert_eq(dk_hook_conf_new(&c), 0);
	cr_assert_eq(
		dk_hook_conf_set(c, "tlsa-name", "_25._tcp.mail.x.test", &diag),
		0);
	cr_assert_eq(
		dk_hook_conf_set(c, "deploy-combined", "/tmp/x.pem", &diag), 0);
	cr_assert_eq(dk_hook_conf_set(c, "state-dir", "/tmp/st", &diag), 0);
	cr_assert_eq(dk_hook_conf_set(c, "publish-via", "exec", &diag), 0);
	cr_assert_eq(dk_hook_conf_finish(c, &diag), DK_EINVAL);
	cr_assert(strstr(diag.why, "publish-exec"), "%s", diag.why);
	cr_assert_eq(dk_hook_conf_set(c, "publish-exec", "/bin/true", &diag),
		     0);
	cr_assert_eq(dk_hook_conf_finish(c, &diag), 0, "%s", diag.why);
	cr_assert_str_eq(c->publish_exec, "/bin/true");
	dk_hook_conf_free(c);
}

/*
 * The RRset changes between the plan and the send (someone else's PATCH,
 * by curl): nothing is written, DK_ECONFLICT, and the other change stays.
 */
Test(publish_lib, pdns_conflict, .init = setup, .fini = teardown)
{
	/* dkt_lab() returns static storage: copies */
	const char *u = dkt_lab("DK_PDNS_API_URL");
	char *url = u ? strdup(u) : NULL;
	const char *kf = dkt_lab("DK_PDNS_API_KEY");
	char *keyfile = kf ? strdup(kf) : NULL;
	struct dk_publish_opts po = { 0 };
	struct dk_publish_plan *plan = NULL;
	struct dk_diag diag = { "" };
	struct dk_tlsa *t = NULL;
	char owner[128], *key = NULL, *out = NULL, *zurl = NULL;
	const char *theirs = "3 1 1 "
			     "00112233445566778899aabbccddeeff"
			     "00112233445566778899aabbccddeeff";

	cr_assert_not_null(url);
	cr_assert_not_null(keyfile);
	cr_assert_eq(dk_api_key_read(keyfile, &key, &diag), 0, "%s", diag.why);
	snprintf(owner, sizeof(owner), "_25._tcp.c%d.pdns.test.",
		 (int)getpid());
	cr_assert_eq(dk_tlsa_parse("3 1 1 "
				   "ffeeddccbbaa99887766554433221100"
				   "ffeeddccbbaa99887766554433221100",
				   &t, NULL, NULL),
		     0);
	po.via = DK_PUBLISH_VIA_PDNS_API;
	po.zone = "pdns.test.";
	po.api_url = url;
	po.api_key = key;
	cr_assert_eq(
		dk_publish_plan(NULL, owner, &t, 1, NULL, 0, &po, &plan, &diag),
		0, "%s", diag.why);
	cr_assert_eq(plan->via, DK_PUBLISH_VIA_PDNS_API);
	cr_assert_eq(plan->nbefore, 0);
	cr_assert_eq(plan->nadd, 1);
	cr_assert_null(strstr(plan->script, key), "the key is in the script");
	cr_assert(asprintf(&zurl,
			   "%s/api/v1/servers/localhost/zones/pdns.test.",
			   url) > 0);
	cr_assert_str_eq(plan->server, zurl);
	/* someone else writes the RRset meanwhile */
	cr_assert_eq(dkt_run(NULL,
			     "curl -sf -X PATCH -H \"X-API-Key: $(cat '%s')\" "
			     "-H 'Content-Type: application/json' '%s' --data "
			     "'{\"rrsets\":[{\"name\":\"%s\",\"type\":\"TLSA\","
			     "\"ttl\":60,\"changetype\":\"REPLACE\","
			     "\"records\":[{\"content\":\"%s\",\"disabled\":"
			     "false}]}]}'",
			     keyfile, zurl, owner, theirs),
		     0);
	cr_assert_eq(dk_publish_send(plan, NULL, 5, &diag), DK_ECONFLICT, "%s",
		     diag.why);
	cr_assert(strstr(diag.why, "changed since it was read"), "%s",
		  diag.why);
	/* theirs is still the only record (curl + jq) */
	cr_assert_eq(dkt_run(&out,
			     "curl -sf -H \"X-API-Key: $(cat '%s')\" '%s' | jq "
			     "-r --arg n '%s' '.rrsets[] | select(.name == $n "
			     "and .type == \"TLSA\") | .records[].content'",
			     keyfile, zurl, owner),
		     0);
	cr_assert_str_eq(out, "3 1 1 "
			      "00112233445566778899aabbccddeeff0011223344556677"
			      "8899aabbccddeeff\n");
	free(out);
	/* leave the zone as it was */
	dkt_run(NULL,
		"curl -sf -X PATCH -H \"X-API-Key: $(cat '%s')\" -H "
		"'Content-Type: application/json' '%s' --data "
		"'{\"rrsets\":[{\"name\":\"%s\",\"type\":\"TLSA\","
		"\"changetype\":\"DELETE\"}]}'",
		keyfile, zurl, owner);
	free(zurl);
	free(url);
	free(keyfile);
	dk_publish_plan_free(plan);
	dk_tlsa_free(t);
	dk_api_key_free(key);
}
