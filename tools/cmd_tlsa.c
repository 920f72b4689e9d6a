/* SPDX-License-Identifier: BSD-3-Clause */
/* danekit tlsa: TLSA records from certificates, chains, keys and CSRs. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <danekit/dane.h>
#include <danekit/tlsa.h>

#include "cli.h"
#include "json.h"

static const char tlsa_help[] =
	"Usage: danekit tlsa [OPTIONS] INPUT...\n"
	"\n"
	"Make TLSA records (RFC 6698) from certificates, certificate chains,\n"
	"private or public keys and CSRs, in PEM or DER (detected from "
	"content).\n"
	"INPUT '-' reads standard input. Offline: nothing is looked up.\n"
	"\n"
	"Options:\n"
	"  -u, --usage U       certificate usage: 0-3 or PKIX-TA, PKIX-EE,\n"
	"                      DANE-TA, DANE-EE (default 3, DANE-EE)\n"
	"  -s, --selector S    0/Cert (whole certificate) or 1/SPKI (public "
	"key;\n"
	"                      default)\n"
	"  -m, --mtype M       0/Full, 1/SHA2-256 (default) or 2/SHA2-512\n"
	"      --host HOST     owner name _PORT._PROTO.HOST. (ASCII/A-label "
	"form;\n"
	"                      a host name: not an address, not an owner "
	"name)\n"
	"      --port PORT     service port for the owner name (default 25)\n"
	"      --proto PROTO   tcp (default), udp or sctp\n"
	"      --ttl N         TTL of the printed records (default 3600)\n"
	"      --format F      zone (default with --host), rdata (default\n"
	"                      without), generic (RFC 3597), nsupdate, json\n"
	"                      (the global --json is --format json)\n"
	"      --cert-index N  certificate N of a chain (0 = leaf); by "
	"default\n"
	"                      usages 1 and 3 take the leaf and 0 and 2 the "
	"last\n"
	"                      certificate of the input\n"
	"      --list FILE     read input paths from FILE, one a line ('#' "
	"starts\n"
	"                      a comment)\n"
	"      --from HOST[:PORT]  one more input: the chain the TLS server "
	"at\n"
	"                      HOST presents (port 443, or that of "
	"--starttls);\n"
	"                      --host and --port default to HOST and PORT. "
	"HOST\n"
	"                      may be an address (ADDR:PORT, [IPV6]:PORT): "
	"it is\n"
	"                      connected to directly, without SNI, and "
	"gives no\n"
	"                      owner name. Not authenticated: compare the "
	"record\n"
	"                      with the server's certificate before "
	"publishing it\n"
	"      --starttls P    with --from: smtp, imap, pop3, xmpp or ftp "
	"first\n"
	"  -q, --quiet         print nothing: the exit status says whether "
	"every\n"
	"                      input made a record\n"
	"  -v, --verbose       a comment before each record: its input and "
	"the\n"
	"                      certificate it hashes\n"
	"  -h, --help          this help\n"
	"\n"
	"Usages 0 and 2 name a trust anchor: a lone leaf certificate is "
	"refused\n"
	"(give the chain or the CA certificate, or --cert-index).\n"
	"Each input gives one record, in input order; identical records are\n"
	"printed once. All inputs are read before anything is printed: on any\n"
	"error nothing goes to standard output.\n"
	"\n"
	"Exit status: 0 records made; 64 usage error; 65 bad input data; 66 "
	"an\n"
	"input is missing or unreadable; 75 (--from) the server could not be\n"
	"reached.\n";

enum {
	OPT_HOST = OPT_FIRST_COMMAND_OPTION,
	OPT_PORT,
	OPT_PROTO,
	OPT_TTL,
	OPT_FORMAT,
	OPT_CERT_INDEX,
	OPT_LIST,
	OPT_FROM,
	OPT_STARTTLS,
};

enum out_format {
	FMT_DEFAULT = -1,
	FMT_RDATA = DK_TLSA_FMT_RDATA,
	FMT_ZONE = DK_TLSA_FMT_ZONE,
	FMT_GENERIC = DK_TLSA_FMT_GENERIC,
	FMT_NSUPDATE = DK_TLSA_FMT_NSUPDATE,
	FMT_JSON = 100,
};

struct tlsa_opts {
	int usage, selector, mtype;
	const char *host;
	unsigned long port, ttl;
	const char *proto;
	int format;
	long cert_index;
	const char *list;
	const char *from;
	int starttls;
	int port_given;
};

/* One made record and where it came from. */
struct made {
	struct dk_tlsa *tlsa;
	const char *source;
	char *detail; /* -v: what the record was made of */
};

/* -v: which certificate or key of @in the record hashes. malloc()ed. */
static char *describe(const struct dk_input *in, const struct tlsa_opts *o)
{
	size_t n = dk_input_cert_count(in), idx;
	char subject[256] = "?";
	char *s = NULL;
	X509 *x;

	if (dk_input_kind(in) != DK_INPUT_CERTS) {
		return strdup(dk_input_kind_name(dk_input_kind(in)));
	}
	idx = o->cert_index >= 0 ? (size_t)o->cert_index
	      : o->usage == DK_TLSA_PKIX_TA || o->usage == DK_TLSA_DANE_TA
		      ? n - 1
		      : 0;
	x = dk_input_get0_cert(in, idx);
	if (x) {
		X509_NAME_oneline(X509_get_subject_name(x), subject,
				  sizeof(subject));
	}
	if (asprintf(&s, "certificate %zu of %zu (%s), subject %s", idx, n,
		     idx == 0 ? "leaf" : "issuer", subject) < 0) {
		return NULL;
	}
	return s;
}

static int parse_field(struct cli *cli, enum dk_tlsa_field f, const char *arg,
		       int *ret)
{
	static const char *const what[] = {
		"--usage: '%s' is not a certificate usage (0-3, PKIX-TA, "
		"PKIX-EE, DANE-TA, DANE-EE)",
		"--selector: '%s' is not a selector (0/Cert or 1/SPKI)",
		"--mtype: '%s' is not a matching type (0/Full, 1/SHA2-256, "
		"2/SHA2-512)",
	};
	static const int max[] = { 3, 1, 2 };
	int v = dk_tlsa_field_parse(f, arg);

	if (v < 0 || v > max[f]) {
		return cli_usage(cli, what[f], arg);
	}
	*ret = v;
	return 0;
}

static int parse_format(const char *s)
{
	static const struct {
		const char *name;
		int fmt;
	} t[] = {
		{ "zone", FMT_ZONE },	    { "rdata", FMT_RDATA },
		{ "generic", FMT_GENERIC }, { "nsupdate", FMT_NSUPDATE },
		{ "json", FMT_JSON },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) == 0) {
			return t[i].fmt;
		}
	}
	return -2;
}

/* Append the paths listed in @file to *@paths. Returns an exit status. */
static int read_list(struct cli *cli, const char *file, char ***paths,
		     size_t *n, size_t *cap)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	unsigned long lineno = 0;

	if (!f) {
		cli_err(cli, "%s: cannot open the list: %s", file,
			strerror(errno));
		return EXIT_NOINPUT;
	}
	while ((len = getline(&line, &lcap, f)) >= 0) {
		char *p = line;

		lineno++;
		while (len && (p[len - 1] == '\n' || p[len - 1] == '\r' ||
			       p[len - 1] == ' ' || p[len - 1] == '\t')) {
			p[--len] = '\0';
		}
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (!*p || *p == '#') {
			continue;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			char **np = realloc(*paths, nc * sizeof(*np));

			if (!np) {
				free(line);
				if (f != stdin) {
					fclose(f);
				}
				cli_err(cli, "out of memory");
				return EXIT_SOFTWARE;
			}
			*paths = np;
			*cap = nc;
		}
		(*paths)[*n] = strdup(p);
		if (!(*paths)[*n]) {
			free(line);
			if (f != stdin) {
				fclose(f);
			}
			cli_err(cli, "out of memory");
			return EXIT_SOFTWARE;
		}
		(*n)++;
	}
	free(line);
	if (ferror(f)) {
		cli_err(cli, "%s: read error in the list after line %lu", file,
			lineno);
		if (f != stdin) {
			fclose(f);
		}
		return EXIT_NOINPUT;
	}
	if (f != stdin) {
		fclose(f);
	}
	return EXIT_OK;
}

static int print_records(struct cli *cli, const struct tlsa_opts *o,
			 const char *owner, struct made *m, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc = EXIT_OK;
	json_t *arr = NULL;

	if (!out) {
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	if (o->format == FMT_JSON) {
		arr = json_array();
	}
	for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
		if (!m[i].tlsa) {
			continue; /* a duplicate */
		}
		if (arr) {
			json_t *obj = cli_json_tlsa(m[i].tlsa, owner,
						    (uint32_t)o->ttl);

			if (obj && !owner) {
				/* DESIGN.md: name and ttl are always there */
				json_t *n =
					json_pack("{s:n, s:I}", "name", "ttl",
						  (json_int_t)o->ttl);

				if (!n || json_object_update(n, obj) != 0) {
					json_decref(n);
					n = NULL;
				}
				json_decref(obj);
				obj = n;
			}
			if (obj) {
				json_object_set_new(obj, "source",
						    json_string(m[i].source));
			}
			if (!obj || json_array_append_new(arr, obj) < 0) {
				rc = EXIT_SOFTWARE;
			}
		} else {
			char *line = NULL;
			int r = dk_tlsa_format(m[i].tlsa,
					       (enum dk_tlsa_format)o->format,
					       owner, (uint32_t)o->ttl, &line);

			if (r < 0) {
				cli_err(cli, "cannot print the record: %s",
					dk_strerror(r));
				rc = cli_exit_for(r);
				break;
			}
			if (cli->verbosity > 0) {
				fprintf(out, "; %s: %s\n",
					strcmp(m[i].source, "-") ? m[i].source
								 : "<stdin>",
					m[i].detail ? m[i].detail : "?");
			}
			/* -q: nothing but the exit status */
			if (cli->verbosity >= 0) {
				fprintf(out, "%s\n", line);
			}
			free(line);
		}
	}
	if (arr && rc == EXIT_OK) {
		json_t *doc = cli_json_doc("tlsa", EXIT_OK,
					   json_pack("{s:O}", "records", arr));

		if (cli_json_dump(out, doc) < 0) {
			rc = EXIT_SOFTWARE;
		}
		json_decref(doc);
	}
	json_decref(arr);
	if (fclose(out) != 0 && rc == EXIT_OK) {
		rc = EXIT_SOFTWARE;
	}
	if (rc == EXIT_SOFTWARE && len == 0) {
		cli_err(cli, "out of memory");
	}
	if (rc == EXIT_OK) {
		rc = cli_write_stdout(cli, buf, len);
	}
	free(buf);
	return rc;
}

static int cmp_made(const void *a, const void *b)
{
	const struct made *const *x = a, *const *y = b;
	int c = dk_tlsa_cmp((*x)->tlsa, (*y)->tlsa);

	if (c) {
		return c;
	}
	return (*x < *y) ? -1 : (*x > *y);
}

/*
 * Identical records are printed once, at their first place: sort
 * pointers (ties by position), then free every later twin. O(n log n).
 */
static int drop_duplicates(struct cli *cli, struct made *made, size_t n)
{
	struct made **idx = malloc((n ? n : 1) * sizeof(*idx));

	if (!idx) {
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	for (size_t i = 0; i < n; i++) {
		idx[i] = &made[i];
	}
	qsort(idx, n, sizeof(*idx), cmp_made);
	for (size_t i = n; i-- > 1;) {
		if (dk_tlsa_cmp(idx[i]->tlsa, idx[i - 1]->tlsa) == 0) {
			dk_tlsa_free(idx[i]->tlsa);
			idx[i]->tlsa = NULL;
		}
	}
	free(idx);
	return EXIT_OK;
}

/*
 * The chain of the server of --from: its addresses through the validating
 * resolver @res, or straight to an address literal (@res NULL).
 */
static int fetch_chain(struct cli *cli, const struct tlsa_opts *o,
		       struct dk_resolver *res, const char *host, unsigned port,
		       struct dk_input **ret, struct dk_diag *diag)
{
	struct dk_dane_opts d = { 0 };

	d.starttls = (enum dk_starttls)(o->starttls > 0 ? o->starttls : 0);
	d.timeout = cli->timeout;
	return dk_dane_fetch_chain(res, host, port, &d, ret, diag);
}

int cmd_tlsa(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GLOBAL_LONGOPTS,
		{ "usage", required_argument, NULL, 'u' },
		{ "selector", required_argument, NULL, 's' },
		{ "mtype", required_argument, NULL, 'm' },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "proto", required_argument, NULL, OPT_PROTO },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "cert-index", required_argument, NULL, OPT_CERT_INDEX },
		{ "list", required_argument, NULL, OPT_LIST },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "starttls", required_argument, NULL, OPT_STARTTLS },
		{ NULL, 0, NULL, 0 },
	};
	struct tlsa_opts o = {
		.usage = 3,
		.selector = 1,
		.mtype = 1,
		.port = 25,
		.ttl = 3600,
		.proto = "tcp",
		.format = FMT_DEFAULT,
		.cert_index = -1,
	};
	char **paths = NULL, from_host[300] = "";
	size_t npaths = 0, cap = 0, from_index = (size_t)-1;
	unsigned long from_port = 443;
	int from_addr = 0;
	struct made *made = NULL;
	struct dk_resolver *res = NULL;
	char *owner = NULL;
	int opt, rc = EXIT_OK;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":u:s:m:qvh", longopts, NULL)) !=
	       -1) {
		unsigned long v;
		int r;

		switch (opt) {
		case 'h':
			return cli_help(tlsa_help);
		case OPT_VERSION:
			return cli_version();
		case 'u':
			if (parse_field(cli, DK_TLSA_FIELD_USAGE, optarg,
					&o.usage)) {
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_field(cli, DK_TLSA_FIELD_SELECTOR, optarg,
					&o.selector)) {
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_field(cli, DK_TLSA_FIELD_MTYPE, optarg,
					&o.mtype)) {
				return EXIT_USAGE;
			}
			break;
		case OPT_HOST:
			o.host = optarg;
			break;
		case OPT_PORT:
			o.port_given = 1;
			if (cli_parse_ulong(optarg, 1, 65535, &o.port)) {
				return cli_usage(cli,
						 "--port: '%s' is not a port "
						 "number (1-65535)",
						 optarg);
			}
			break;
		case OPT_PROTO:
			if (strcmp(optarg, "tcp") && strcmp(optarg, "udp") &&
			    strcmp(optarg, "sctp")) {
				return cli_usage(cli,
						 "--proto: '%s' is not tcp, "
						 "udp or sctp",
						 optarg);
			}
			o.proto = optarg;
			break;
		case OPT_TTL:
			if (cli_parse_ulong(optarg, 0, 2147483647UL, &o.ttl)) {
				return cli_usage(cli,
						 "--ttl: '%s' is not a TTL "
						 "(0-2147483647 seconds)",
						 optarg);
			}
			break;
		case OPT_FORMAT:
			o.format = parse_format(optarg);
			if (o.format == -2) {
				return cli_usage(cli,
						 "--format: '%s' is not one "
						 "of zone, rdata, generic, "
						 "nsupdate, json",
						 optarg);
			}
			break;
		case OPT_CERT_INDEX:
			if (cli_parse_ulong(optarg, 0, 1000000, &v)) {
				return cli_usage(cli,
						 "--cert-index: '%s' is not a "
						 "certificate index (0 = leaf)",
						 optarg);
			}
			o.cert_index = (long)v;
			break;
		case OPT_LIST:
			o.list = optarg;
			break;
		case OPT_FROM:
			o.from = optarg;
			break;
		case OPT_STARTTLS:
			o.starttls = dk_starttls_parse(optarg);
			if (o.starttls < 0) {
				return cli_usage(
					cli,
					"--starttls: '%s' is not one of "
					"smtp, imap, pop3, xmpp, ftp",
					optarg);
			}
			break;
		case '?':
		case ':':
			return cli_bad_option(cli, opt, argv);
		default:
			r = cli_global_option(cli, opt, optarg);
			if (r > 1) {
				return r;
			}
			break;
		}
	}
	if (o.starttls > 0 && !o.from) {
		return cli_usage(cli, "--starttls goes with --from");
	}
	if (o.from) {
		from_port = dk_starttls_default_port(
			(enum dk_starttls)(o.starttls > 0 ? o.starttls : 0));
		if (cli_host_port(o.from, from_host, sizeof(from_host),
				  &from_port, &from_addr) < 0) {
			return cli_usage(
				cli,
				"--from: '%s' is not HOST, HOST:PORT, ADDR, "
				"ADDR:PORT or [IPV6]:PORT (port 1-65535)",
				o.from);
		}
		/* an address has no TLSA name: --host names the owner */
		if (!o.host && !from_addr) {
			o.host = from_host;
		}
		if (!o.port_given) {
			o.port = from_port;
		}
	}
	if (cli->json && o.format != FMT_DEFAULT && o.format != FMT_JSON) {
		return cli_conflict(cli, "--json", "--format");
	}
	if (cli->verbosity < 0 && o.format == FMT_JSON) {
		return cli_conflict(cli, "-q", "--format json");
	}
	if (cli->json && o.format == FMT_DEFAULT) {
		o.format = FMT_JSON;
	}
	if (o.format == FMT_DEFAULT) {
		o.format = o.host ? FMT_ZONE : FMT_RDATA;
	}
	if (o.format != FMT_RDATA && o.format != FMT_JSON && !o.host) {
		return cli_usage(cli,
				 "--format %s needs --host for the owner name",
				 o.format == FMT_ZONE	   ? "zone"
				 : o.format == FMT_GENERIC ? "generic"
							   : "nsupdate");
	}
	if (o.host) {
		struct dk_diag diag = { "" };
		int r = dk_tlsa_owner(o.host, (unsigned)o.port, o.proto, &owner,
				      &diag);

		if (r < 0) {
			return cli_usage(
				cli, "%s '%s': %s",
				o.host == from_host ? "--from" : "--host",
				o.host,
				diag.why[0] ? diag.why : dk_strerror(r));
		}
	}
	if (o.list) {
		rc = read_list(cli, o.list, &paths, &npaths, &cap);
	}
	for (int i = optind; i < argc && rc == EXIT_OK; i++) {
		if (npaths == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **np = realloc(paths, nc * sizeof(*np));

			if (!np) {
				rc = EXIT_SOFTWARE;
				break;
			}
			paths = np;
			cap = nc;
		}
		paths[npaths] = strdup(argv[i]);
		if (!paths[npaths]) {
			rc = EXIT_SOFTWARE;
			break;
		}
		npaths++;
	}
	if (rc == EXIT_OK && o.from) {
		/* The server's chain is one more input, after the files. */
		char **np = realloc(paths, (npaths + 1) * sizeof(*np));

		if (!np) {
			rc = EXIT_SOFTWARE;
		} else {
			paths = np;
			cap = npaths + 1;
			paths[npaths] = strdup(o.from);
			if (!paths[npaths]) {
				rc = EXIT_SOFTWARE;
			} else {
				from_index = npaths++;
			}
		}
	}
	if (rc == EXIT_OK && npaths == 0) {
		rc = cli_usage(cli,
			       o.list ? "the list %s names no input"
				      : "no input given: name a certificate, "
					"key or CSR file, '-' for standard "
					"input, or --list FILE%s",
			       o.list ? o.list : "");
	}
	if (rc == EXIT_OK) {
		size_t nstdin = 0;

		for (size_t i = 0; i < npaths; i++) {
			nstdin += strcmp(paths[i], "-") == 0;
		}
		if (nstdin > 1 ||
		    (nstdin && o.list && strcmp(o.list, "-") == 0)) {
			rc = cli_usage(
				cli,
				"standard input ('-') can be read only once");
		}
	}
	if (rc == EXIT_OK) {
		made = calloc(npaths, sizeof(*made));
		if (!made) {
			cli_err(cli, "out of memory");
			rc = EXIT_SOFTWARE;
		}
	}
	for (size_t i = 0; i < npaths && rc == EXIT_OK; i++) {
		struct dk_diag diag = { "" };
		struct dk_input *in = NULL;
		const char *name =
			strcmp(paths[i], "-") == 0 ? "<stdin>" : paths[i];
		int r;

		if (i == from_index) {
			if (!from_addr && !res) {
				rc = cli_resolver(cli, &res);
				if (rc != EXIT_OK) {
					break;
				}
			}
			r = fetch_chain(cli, &o, res, from_host,
					(unsigned)from_port, &in, &diag);
		} else {
			r = dk_input_read_file(paths[i], &in, &diag);
		}

		if (r == 0) {
			r = dk_tlsa_make(in, (uint8_t)o.usage,
					 (uint8_t)o.selector, (uint8_t)o.mtype,
					 o.cert_index, &made[i].tlsa, &diag);
			if (r == 0 && cli->verbosity > 0) {
				made[i].detail = describe(in, &o);
			}
			dk_input_free(in);
		}
		if (r < 0) {
			cli_err(cli, "%s: %s", name,
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			break;
		}
		made[i].source = paths[i];
	}
	if (rc == EXIT_OK) {
		rc = drop_duplicates(cli, made, npaths);
	}
	if (rc == EXIT_OK) {
		rc = print_records(cli, &o, owner, made, npaths);
	}
	for (size_t i = 0; made && i < npaths; i++) {
		dk_tlsa_free(made[i].tlsa);
		free(made[i].detail);
	}
	for (size_t i = 0; i < npaths; i++) {
		free(paths[i]);
	}
	free(made);
	free(paths);
	free(owner);
	dk_resolver_free(res);
	return rc;
}
