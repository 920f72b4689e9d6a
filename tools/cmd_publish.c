/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit publish: add and remove TLSA records by DNS UPDATE (RFC 2136)
 * signed with TSIG, with the RRset read first as a prerequisite so that a
 * concurrent change is never overwritten; or print the nsupdate script.
 * Or through the PowerDNS API (--via pdns-api), or by a command of the
 * user's that gets the changes as JSON (--via exec).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <danekit/dane.h>

#include "cli.h"
#include "json.h"

static const char publish_help[] =
	"Usage: danekit [GLOBAL OPTIONS] publish --host HOST [--port 25]\n"
	"                 [--add SPEC]... [--remove SPEC]... [OPTIONS]\n"
	"\n"
	"Add and remove TLSA records at _PORT._tcp.HOST (or --tlsa-name) by a\n"
	"DNS UPDATE (RFC 2136) signed with a TSIG key. The RRset is read from\n"
	"the primary first and sent back as a prerequisite: if someone "
	"changed\n"
	"it meanwhile, the server changes nothing and danekit exits 75 (run\n"
	"again). A zone signed by its primary (inline or automatic signing)\n"
	"gets the new records signed at once.\n"
	"\n"
	"--via pdns-api writes through the PowerDNS Authoritative HTTP API\n"
	"instead: GET the zone, then PATCH the TLSA RRset with changetype\n"
	"REPLACE, keeping its other records (disabled ones too); the RRset is\n"
	"read again just before the PATCH, and if it changed, nothing is\n"
	"written (exit 75). --via exec runs CMD with /bin/sh -c and gives it\n"
	"the changes as one JSON document on standard input (zone, owner, "
	"ttl,\n"
	"add, remove, before); the records are never put on its command line.\n"
	"Its exit status decides: 0 published, 75 try again later, another "
	"one\n"
	"failed. It is killed after 6 times --timeout. The RRset is read from\n"
	"the primary first (--server, else the SOA MNAME), as for RFC 2136.\n"
	"\n"
	"SPEC is a certificate, chain, key or CSR file (its record is made "
	"with\n"
	"--usage/--selector/--mtype, default 3 1 1), or a record's data in\n"
	"quotes: \"3 1 1 <hex>\".\n"
	"\n"
	"Options:\n"
	"      --host HOST         the service host\n"
	"      --port PORT         the service port (default 25)\n"
	"      --tlsa-name NAME    the owner name itself (_PORT._PROTO.HOST), "
	"instead\n"
	"                          of --host/--port\n"
	"      --add SPEC          a record to add (repeatable)\n"
	"      --remove SPEC       a record to remove (repeatable)\n"
	"  -u, --usage U           usage of records made from files (default "
	"3;\n"
	"                          2 takes the issuer: the second certificate "
	"of\n"
	"                          a chain file, or the certificate of a CA "
	"file)\n"
	"  -s, --selector S        selector (default 1)\n"
	"  -m, --mtype M           matching type (default 1)\n"
	"      --via PUBLISHER     rfc2136 (default), pdns-api or exec\n"
	"      --tsig-key FILE     TSIG key: key \"NAME\" { algorithm "
	"hmac-sha256;\n"
	"                          secret \"BASE64\"; };\n"
	"      --api-url URL       pdns-api: http[s]://HOST[:PORT] of the API\n"
	"                          (/api/v1/servers/localhost is added), or a\n"
	"                          URL ending in /api/v1/servers/NAME\n"
	"      --api-key-file FILE pdns-api: the API key, first line of a "
	"regular\n"
	"                          file (never printed)\n"
	"      --exec CMD          exec: the command line, run by /bin/sh -c\n"
	"      --server ADDR[@PORT]  the primary (default: the SOA MNAME, port "
	"53)\n"
	"      --zone ZONE         the zone (default: found by SOA lookups)\n"
	"      --ttl N             TTL of added records (default: the "
	"RRset's,\n"
	"                          else 3600)\n"
	"      --dry-run           print the equivalent nsupdate script (the\n"
	"                          PATCH request, the command's JSON), send\n"
	"                          nothing\n"
	"      --json              one JSON document\n"
	"  -q, --quiet             print nothing: the exit status tells\n"
	"  -v, --verbose           also the RRset as it was before the "
	"update\n"
	"  -h, --help              this help\n"
	"\n"
	"Records to add are checked before anything is sent: usage 0-3,\n"
	"selector 0-1, and data that fits the matching type (32 bytes for\n"
	"SHA2-256, 64 for SHA2-512, a DER certificate or key for Full); a\n"
	"record can be added or removed, not both. Usage 2 needs the issuing "
	"CA:\n"
	"a lone leaf certificate is refused.\n"
	"\n"
	"Exit status: 0 done (or nothing to change); 1 the server refused the\n"
	"update (REFUSED, NOTAUTH: bad TSIG key; the API refused the key or\n"
	"the change; the command failed); 64 usage error; 65 bad input (a\n"
	"record that can never be right, a bad key file); 66 a file is "
	"missing\n"
	"or not a regular, readable file; 75 the primary or the API is\n"
	"unreachable, or the RRset changed meanwhile: try again later.\n";

enum {
	OPT_HOST = OPT_FIRST_COMMAND_OPTION,
	OPT_PORT,
	OPT_TLSA_NAME,
	OPT_ADD,
	OPT_REMOVE,
	OPT_TSIG_KEY,
	OPT_SERVER,
	OPT_ZONE,
	OPT_TTL,
	OPT_DRY_RUN,
	OPT_VIA,
	OPT_API_URL,
	OPT_API_KEY_FILE,
	OPT_EXEC,
};

struct spec {
	const char *text;
	int remove;
};

/*
 * A record from SPEC: a file, else record data. A record to add (@add)
 * must be one that can ever be right. Returns an exit status.
 */
static int spec_record(const struct cli *cli, const char *spec, int usage,
		       int selector, int mtype, int add, struct dk_tlsa **ret)
{
	struct dk_diag diag = { "" };
	struct dk_input *in = NULL;
	long idx = -1;
	int r;

	if (access(spec, F_OK) != 0) {
		char *owner = NULL;

		r = dk_tlsa_parse(spec, ret, &owner, &diag);
		free(owner);
		if (r == 0 && add &&
		    (r = dk_tlsa_check_record(*ret, &diag)) < 0) {
			dk_tlsa_free(*ret);
			*ret = NULL;
			cli_err(cli, "'%s': %s", spec, diag.why);
			return cli_exit_for(r);
		}
		if (r == 0) {
			return EXIT_OK;
		}
		if (strchr(spec, ' ')) {
			cli_err(cli, "'%s': %s", spec,
				diag.why[0] ? diag.why : "not a TLSA record");
			return cli_exit_for(r);
		}
	}
	r = dk_input_read_file(spec, &in, &diag);
	if (r < 0) {
		cli_err(cli, "%s: %s", spec,
			diag.why[0] ? diag.why : dk_strerror(r));
		return cli_exit_for(r);
	}
	/* usage 2 of a chain: the issuer of the leaf, as a server sends it */
	if ((usage == 0 || usage == 2) && dk_input_kind(in) == DK_INPUT_CERTS &&
	    dk_input_cert_count(in) > 1) {
		idx = 1;
	}
	r = dk_tlsa_make(in, (uint8_t)usage, (uint8_t)selector, (uint8_t)mtype,
			 idx, ret, &diag);
	dk_input_free(in);
	if (r < 0) {
		cli_err(cli, "%s: %s", spec,
			diag.why[0] ? diag.why : dk_strerror(r));
		return cli_exit_for(r);
	}
	return EXIT_OK;
}

static int field(struct cli *cli, enum dk_tlsa_field f, const char *arg,
		 int *ret, const char *opt)
{
	static const char *const what[] = {
		"a certificate usage (0-3, PKIX-TA, PKIX-EE, DANE-TA, "
		"DANE-EE)",
		"a selector (0/Cert or 1/SPKI)",
		"a matching type (0/Full, 1/SHA2-256, 2/SHA2-512)",
	};
	static const int max[] = { 3, 1, 2 };
	int v = dk_tlsa_field_parse(f, arg);

	if (v < 0 || v > max[f]) {
		return cli_usage(cli, "%s: '%s' is not %s", opt, arg, what[f]);
	}
	*ret = v;
	return EXIT_OK;
}

int cmd_publish(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GLOBAL_LONGOPTS,
		{ "host", required_argument, NULL, OPT_HOST },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "tlsa-name", required_argument, NULL, OPT_TLSA_NAME },
		{ "add", required_argument, NULL, OPT_ADD },
		{ "remove", required_argument, NULL, OPT_REMOVE },
		{ "usage", required_argument, NULL, 'u' },
		{ "selector", required_argument, NULL, 's' },
		{ "mtype", required_argument, NULL, 'm' },
		{ "tsig-key", required_argument, NULL, OPT_TSIG_KEY },
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "via", required_argument, NULL, OPT_VIA },
		{ "api-url", required_argument, NULL, OPT_API_URL },
		{ "api-key-file", required_argument, NULL, OPT_API_KEY_FILE },
		{ "exec", required_argument, NULL, OPT_EXEC },
		{ NULL, 0, NULL, 0 }
	};
	const char *host = NULL, *tlsa_name = NULL, *keyfile = NULL;
	const char *server = NULL, *zone = NULL;
	const char *api_url = NULL, *api_key_file = NULL, *exec_cmd = NULL;
	const char *exec_argv[4] = { "/bin/sh", "-c", NULL, NULL };
	char *api_key = NULL;
	int via = DK_PUBLISH_VIA_UPDATE;
	unsigned long port = 25, ttl = 0;
	int usage = 3, selector = 1, mtype = 1, dry_run = 0, port_given = 0;
	struct spec *specs = NULL;
	size_t nspecs = 0, nadd = 0, nrem = 0;
	struct dk_tlsa **add = NULL, **rem = NULL;
	struct dk_tsig_key *key = NULL;
	struct dk_resolver *res = NULL;
	struct dk_publish_plan *plan = NULL;
	struct dk_publish_opts po = { 0 };
	struct dk_diag diag = { "" };
	char *owner = NULL, *buf = NULL;
	size_t len = 0;
	FILE *out = NULL;
	json_t *doc = NULL;
	int opt, r, rc = EXIT_OK;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qvhu:s:m:", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'h':
			free(specs);
			return cli_help(publish_help);
		case OPT_VERSION:
			free(specs);
			return cli_version();
		case '?':
			free(specs);
			return cli_bad_option(cli, opt, argv);
		case ':':
			free(specs);
			return cli_bad_option(cli, opt, argv);
		case OPT_HOST:
			host = optarg;
			break;
		case OPT_PORT:
			port_given = 1;
			if (cli_parse_ulong(optarg, 1, 65535, &port) < 0) {
				free(specs);
				return cli_usage(cli,
						 "--port: '%s' is not a port "
						 "(1-65535)",
						 optarg);
			}
			break;
		case OPT_TLSA_NAME:
			tlsa_name = optarg;
			break;
		case OPT_ADD:
		case OPT_REMOVE: {
			struct spec *s =
				realloc(specs, (nspecs + 1) * sizeof(*s));

			if (!s) {
				free(specs);
				cli_err(cli, "out of memory");
				return EXIT_SOFTWARE;
			}
			specs = s;
			specs[nspecs].text = optarg;
			specs[nspecs++].remove = opt == OPT_REMOVE;
			break;
		}
		case 'u':
		case 's':
		case 'm':
			rc = field(cli,
				   opt == 'u'	? DK_TLSA_FIELD_USAGE
				   : opt == 's' ? DK_TLSA_FIELD_SELECTOR
						: DK_TLSA_FIELD_MTYPE,
				   optarg,
				   opt == 'u'	? &usage
				   : opt == 's' ? &selector
						: &mtype,
				   opt == 'u'	? "--usage"
				   : opt == 's' ? "--selector"
						: "--mtype");
			if (rc != EXIT_OK) {
				free(specs);
				return rc;
			}
			break;
		case OPT_TSIG_KEY:
			keyfile = optarg;
			break;
		case OPT_SERVER:
			server = optarg;
			break;
		case OPT_ZONE:
			zone = optarg;
			break;
		case OPT_TTL:
			if (cli_parse_ulong(optarg, 1, 2147483647UL, &ttl) <
			    0) {
				free(specs);
				return cli_usage(cli,
						 "--ttl: '%s' is not a TTL",
						 optarg);
			}
			break;
		case OPT_DRY_RUN:
			dry_run = 1;
			break;
		case OPT_VIA:
			via = dk_publish_via_parse(optarg);
			if (via < 0) {
				free(specs);
				return cli_usage(cli,
						 "--via: '%s' is not rfc2136, "
						 "pdns-api or exec",
						 optarg);
			}
			break;
		case OPT_API_URL:
			api_url = optarg;
			break;
		case OPT_API_KEY_FILE:
			api_key_file = optarg;
			break;
		case OPT_EXEC:
			exec_cmd = optarg;
			break;
		default:
			r = cli_global_option(cli, opt, optarg);
			if (r > 1) {
				free(specs);
				return r;
			}
		}
	}
	if (optind < argc) {
		rc = cli_usage(cli,
			       "unexpected argument '%s' (see danekit "
			       "publish --help)",
			       argv[optind]);
		goto out;
	}
	if (host && tlsa_name) {
		rc = cli_conflict(cli, "--host", "--tlsa-name");
		goto out;
	}
	if (!host && !tlsa_name) {
		rc = cli_usage(cli,
			       "give --host HOST (with --port) or --tlsa-name "
			       "NAME");
		goto out;
	}
	if (tlsa_name && port_given) {
		rc = cli_conflict(cli, "--port", "--tlsa-name");
		goto out;
	}
	if (nspecs == 0) {
		rc = cli_usage(cli, "nothing to do: give --add or --remove");
		goto out;
	}
	if (via != DK_PUBLISH_VIA_PDNS_API && (api_url || api_key_file)) {
		rc = cli_usage(cli, "%s is for --via pdns-api",
			       api_url ? "--api-url" : "--api-key-file");
		goto out;
	}
	if (via != DK_PUBLISH_VIA_EXEC && exec_cmd) {
		rc = cli_usage(cli, "--exec is for --via exec");
		goto out;
	}
	if (via != DK_PUBLISH_VIA_UPDATE && keyfile) {
		rc = cli_usage(cli, "--tsig-key is for --via rfc2136");
		goto out;
	}
	if (via == DK_PUBLISH_VIA_PDNS_API && server) {
		rc = cli_usage(cli, "--server is not for --via pdns-api (the "
				    "API URL says where)");
		goto out;
	}
	if (via == DK_PUBLISH_VIA_PDNS_API && (!api_url || !api_key_file)) {
		rc = cli_usage(cli, "--via pdns-api needs --api-url URL and "
				    "--api-key-file FILE");
		goto out;
	}
	if (via == DK_PUBLISH_VIA_EXEC && (!exec_cmd || !exec_cmd[0])) {
		rc = cli_usage(cli, "--via exec needs --exec CMD");
		goto out;
	}
	if (host) {
		r = dk_tlsa_owner(host, (unsigned)port, "tcp", &owner, &diag);
		if (r < 0) {
			rc = cli_usage(cli, "--host: %s",
				       diag.why[0] ? diag.why : dk_strerror(r));
			goto out;
		}
	} else {
		if (dk_tlsa_check_owner(tlsa_name, &diag) < 0) {
			rc = cli_usage(cli, "--tlsa-name: %s", diag.why);
			goto out;
		}
		owner = strdup(tlsa_name);
		if (!owner) {
			rc = EXIT_SOFTWARE;
			goto out;
		}
	}
	add = calloc(nspecs, sizeof(*add));
	rem = calloc(nspecs, sizeof(*rem));
	if (!add || !rem) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	for (size_t i = 0; i < nspecs; i++) {
		struct dk_tlsa *t = NULL;

		rc = spec_record(cli, specs[i].text, usage, selector, mtype,
				 !specs[i].remove, &t);
		if (rc != EXIT_OK) {
			goto out;
		}
		if (specs[i].remove) {
			rem[nrem++] = t;
		} else {
			add[nadd++] = t;
		}
	}
	/* before any key is read or any query is sent */
	for (size_t i = 0; i < nadd; i++) {
		for (size_t k = 0; k < nrem; k++) {
			char *s = NULL;

			if (dk_tlsa_cmp(add[i], rem[k]) != 0) {
				continue;
			}
			dk_tlsa_format(add[i], DK_TLSA_FMT_RDATA, NULL, 0, &s);
			rc = cli_usage(cli,
				       "the same record is added and removed "
				       "(%s): give it to --add or to --remove",
				       s ? s : "?");
			free(s);
			goto out;
		}
	}
	if (keyfile) {
		r = dk_tsig_key_read(keyfile, &key, &diag);
		if (r < 0) {
			cli_err(cli, "%s: %s", keyfile,
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			goto out;
		}
	} else if (!dry_run && via == DK_PUBLISH_VIA_UPDATE) {
		rc = cli_usage(cli,
			       "--tsig-key FILE is required (or --dry-run)");
		goto out;
	}
	if (api_key_file) {
		r = dk_api_key_read(api_key_file, &api_key, &diag);
		if (r < 0) {
			cli_err(cli, "%s: %s", api_key_file,
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			goto out;
		}
	}
	exec_argv[2] = exec_cmd;
	if ((!server && via != DK_PUBLISH_VIA_PDNS_API) || !zone) {
		rc = cli_resolver(cli, &res);
		if (rc != EXIT_OK) {
			goto out;
		}
	}
	po.zone = zone;
	po.server = server;
	po.ttl = (uint32_t)ttl;
	po.timeout = cli->timeout;
	po.via = (enum dk_publish_via)via;
	po.api_url = api_url;
	po.api_key = api_key;
	po.exec_argv = exec_cmd ? exec_argv : NULL;
	r = dk_publish_plan(res, owner, add, nadd, rem, nrem, &po, &plan,
			    &diag);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	if (!dry_run) {
		r = dk_publish_send(plan, key, cli->timeout, &diag);
		if (r < 0) {
			cli_err(cli, "%s",
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			goto out;
		}
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (cli->json) {
		json_t *ja = json_array(), *jr = json_array();

		for (size_t i = 0; ja && i < plan->nadd; i++) {
			json_array_append_new(ja, cli_json_tlsa(plan->add[i],
								plan->owner,
								plan->ttl));
		}
		for (size_t i = 0; jr && i < plan->nremove; i++) {
			json_array_append_new(
				jr, cli_json_tlsa(plan->remove[i], plan->owner,
						  plan->before_ttl));
		}
		doc = cli_json_doc(
			"publish", EXIT_OK,
			json_pack(
				"{s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:o, "
				"s:o, s:s}",
				"via", dk_publish_via_name(plan->via), "owner",
				plan->owner, "zone", plan->zone, "server",
				plan->server, "port", (int)plan->port,
				"dry_run", dry_run, "changed",
				!dry_run && (plan->nadd || plan->nremove),
				"added", ja ? ja : json_array(), "removed",
				jr ? jr : json_array(),
				plan->via == DK_PUBLISH_VIA_UPDATE ? "nsupdate"
								   : "request",
				plan->script));
	} else if (cli->verbosity < 0) {
		/* -q: nothing but the exit status */
	} else if (dry_run) {
		fputs(plan->script, out);
	} else if (plan->via == DK_PUBLISH_VIA_PDNS_API) {
		fprintf(out, "; %s: %s through the PowerDNS API %s\n",
			plan->owner,
			plan->nadd || plan->nremove ? "updated"
						    : "nothing to change",
			plan->server);
	} else if (plan->via == DK_PUBLISH_VIA_EXEC) {
		fprintf(out, "; %s: %s (zone %s)\n", plan->owner,
			plan->nadd || plan->nremove
				? "published by the command"
				: "nothing to change, the command did not run",
			plan->zone);
	} else if (plan->nadd == 0 && plan->nremove == 0) {
		fprintf(out, "; %s: nothing to change on %s port %u\n",
			plan->owner, plan->server, plan->port);
	} else {
		fprintf(out, "; %s: updated on %s port %u (zone %s)\n",
			plan->owner, plan->server, plan->port, plan->zone);
	}
	if (!cli->json && !dry_run && cli->verbosity > 0) {
		/* -v: the RRset as it was, sent as the prerequisite */
		fprintf(out, "; before: %zu record%s, TTL %u\n", plan->nbefore,
			plan->nbefore == 1 ? "" : "s", plan->before_ttl);
		for (size_t i = 0; i < plan->nbefore; i++) {
			char *s = NULL;

			dk_tlsa_format(plan->before[i], DK_TLSA_FMT_RDATA, NULL,
				       0, &s);
			fprintf(out, "; before: %s\n", s ? s : "?");
			free(s);
		}
	}
	if (!cli->json && !dry_run && cli->verbosity >= 0) {
		for (size_t i = 0; i < plan->nremove; i++) {
			char *s = NULL;

			dk_tlsa_format(plan->remove[i], DK_TLSA_FMT_RDATA, NULL,
				       0, &s);
			fprintf(out, "removed %s IN TLSA %s\n", plan->owner,
				s ? s : "?");
			free(s);
		}
		for (size_t i = 0; i < plan->nadd; i++) {
			char *s = NULL;

			dk_tlsa_format(plan->add[i], DK_TLSA_FMT_ZONE,
				       plan->owner, plan->ttl, &s);
			fprintf(out, "added %s\n", s ? s : "?");
			free(s);
		}
	}
	rc = cli_finish(cli, out, &buf, &len, doc);
	out = NULL;
out:
	if (out) {
		fclose(out);
	}
	free(buf);
	json_decref(doc);
	dk_publish_plan_free(plan);
	dk_resolver_free(res);
	dk_tsig_key_free(key);
	dk_api_key_free(api_key);
	for (size_t i = 0; add && i < nadd; i++) {
		dk_tlsa_free(add[i]);
	}
	for (size_t i = 0; rem && i < nrem; i++) {
		dk_tlsa_free(rem[i]);
	}
	free(add);
	free(rem);
	free(owner);
	free(specs);
	return rc;
}
