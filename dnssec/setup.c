/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The set-up of a resolver, checked before libunbound sees it. libunbound
 * calls exit() when it cannot read its configuration (a folder given as
 * the unbound.conf or an include), blocks on a FIFO, and spins on a folder
 * given as a trust anchor; an empty anchor file or an unbound.conf without
 * any anchor makes every answer "insecure". So every file danekit hands to
 * libunbound is opened here first: it must be a regular, readable file of
 * sane size, and an anchor must parse and hold DS or DNSKEY records. The
 * anchors found are kept for the self-test and the doctor.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnssec/internal.h"

#define CONF_MAX (4u << 20)   /* bytes of an unbound.conf or include */
#define ANCHOR_MAX (1u << 20) /* bytes of a trust anchor file */
#define INCLUDE_DEPTH 16      /* include: nesting */
#define CONF_FILES_MAX 256    /* files read through include: */
#define ANCHORS_MAX 256	      /* anchor entries (zone and source) */

const char *dki_anchor_origin_name(enum dki_anchor_origin origin)
{
	switch (origin) {
	case DKI_ANCHOR_OPTION:
		return "--anchor";
	case DKI_ANCHOR_DEFAULT:
		return "default";
	case DKI_ANCHOR_FILE:
		return "trust-anchor-file";
	case DKI_ANCHOR_AUTO:
		return "auto-trust-anchor-file";
	case DKI_ANCHOR_INLINE:
		return "trust-anchor";
	case DKI_ANCHOR_BIND:
		return "trusted-keys-file";
	default:
		return "?";
	}
}

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m)) {
		return "a FIFO";
	}
	if (S_ISCHR(m)) {
		return "a character device";
	}
	if (S_ISBLK(m)) {
		return "a block device";
	}
	if (S_ISSOCK(m)) {
		return "a socket";
	}
	return "not a file";
}

/* The DK_E* code of a failed open() or stat(), with @diag. */
static int open_error(int e, const char *what, const char *path,
		      struct dk_diag *diag)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		dki_diagf(diag, "%s %s does not exist", what, path);
		return DK_ENOENT;
	case EACCES:
	case EPERM:
		dki_diagf(diag, "%s %s is not readable: %s", what, path,
			  strerror(e));
		return DK_EACCES;
	case ENOMEM:
		return DK_ENOMEM;
	default:
		dki_diagf(diag, "%s %s cannot be opened: %s", what, path,
			  strerror(e));
		return DK_EIO;
	}
}

/* 0 if @st is a regular file, else the code and @diag. */
static int check_mode(const struct stat *st, const char *what, const char *path,
		      struct dk_diag *diag)
{
	if (S_ISDIR(st->st_mode)) {
		dki_diagf(diag, "%s %s is a folder, not a file", what, path);
		return DK_EISDIR;
	}
	if (!S_ISREG(st->st_mode)) {
		dki_diagf(diag, "%s %s is %s, not a regular file", what, path,
			  file_kind(st->st_mode));
		return DK_EIO;
	}
	return 0;
}

/*
 * Read the regular file @path, at most @max bytes, NUL-terminated, with
 * no NUL byte inside. @what names it in messages ("the trust anchor
 * file"). Never blocks: FIFOs and devices are refused before any read.
 */
static int read_regular(const char *path, const char *what, size_t max,
			char **ret_buf, size_t *ret_len, time_t *ret_mtime,
			struct dk_diag *diag)
{
	struct stat st;
	size_t len = 0;
	char *buf, *nul;
	int fd, r;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return open_error(errno, what, path, diag);
	}
	if (fstat(fd, &st) != 0) {
		r = open_error(errno, what, path, diag);
		close(fd);
		return r;
	}
	r = check_mode(&st, what, path, diag);
	if (r < 0) {
		close(fd);
		return r;
	}
	if ((uintmax_t)st.st_size > max) {
		close(fd);
		dki_diagf(diag, "%s %s is %jd bytes, more than the %zu KiB %s",
			  what, path, (intmax_t)st.st_size, max / 1024,
			  "limit");
		return DK_ETOOBIG;
	}
	buf = malloc((size_t)st.st_size + 2);
	if (!buf) {
		close(fd);
		return DK_ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int e = errno;

			close(fd);
			free(buf);
			dki_diagf(diag, "%s %s cannot be read: %s", what, path,
				  strerror(e));
			return DK_EIO;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
		if (len > (size_t)st.st_size) {
			/* It grew while being read. */
			close(fd);
			free(buf);
			dki_diagf(diag, "%s %s changed while being read", what,
				  path);
			return DK_EIO;
		}
	}
	close(fd);
	buf[len] = '\0';
	nul = memchr(buf, '\0', len);
	if (nul) {
		size_t off = (size_t)(nul - buf);

		free(buf);
		dki_diagf(diag,
			  "%s %s holds binary data (a NUL byte at offset %zu), "
			  "not text",
			  what, path, off);
		return DK_EDATA;
	}
	*ret_buf = buf;
	*ret_len = len;
	if (ret_mtime) {
		*ret_mtime = st.st_mtime;
	}
	return 0;
}

/* @path made absolute against @dir (malloc()ed). */
static char *join_path(const char *dir, const char *path)
{
	char *s = NULL;

	if (path[0] == '/' || !dir || !*dir) {
		return strdup(path);
	}
	if (asprintf(&s, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
		     path) < 0) {
		return NULL;
	}
	return s;
}

/* Owner name of @rr, absolute and lower case (malloc()ed). */
static char *owner_name(const ldns_rr *rr)
{
	char *s = ldns_rdf2str(ldns_rr_owner(rr)), *t;
	size_t n;

	if (!s) {
		return NULL;
	}
	n = strlen(s);
	t = malloc(n + 2);
	if (!t) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i <= n; i++) {
		t[i] = (char)tolower((unsigned char)s[i]);
	}
	if (n == 0 || t[n - 1] != '.') {
		t[n] = '.';
		t[n + 1] = '\0';
	}
	free(s);
	return t;
}

void dki_setup_clear(struct dki_setup *s)
{
	if (!s) {
		return;
	}
	for (size_t i = 0; i < s->nanchors; i++) {
		free(s->anchors[i].zone);
		free(s->anchors[i].file);
		free(s->anchors[i].conf);
	}
	free(s->anchors);
	for (size_t i = 0; i < s->nzones; i++) {
		free(s->zones[i]);
	}
	free(s->zones);
	memset(s, 0, sizeof(*s));
}

/* What one source of anchors is: copied into each of its entries. */
struct source {
	enum dki_anchor_origin origin;
	const char *file;
	const char *conf;
	unsigned int line;
	int rfc5011;
	time_t mtime, last_queried, last_success;
};

/* The entry of @zone from @src, made if new. NULL on ENOMEM or overflow. */
static struct dki_anchor *anchor_entry(struct dki_setup *s,
				       const struct source *src,
				       const char *zone, int *err)
{
	struct dki_anchor *a;
	size_t i;

	for (i = 0; i < s->nanchors; i++) {
		a = &s->anchors[i];
		if (a->origin == src->origin && strcmp(a->zone, zone) == 0 &&
		    ((!a->file && !src->file) ||
		     (a->file && src->file &&
		      strcmp(a->file, src->file) == 0)) &&
		    a->line == src->line) {
			return a;
		}
	}
	if (s->nanchors >= ANCHORS_MAX) {
		*err = DK_ETOOBIG;
		return NULL;
	}
	a = realloc(s->anchors, (s->nanchors + 1) * sizeof(*a));
	if (!a) {
		*err = DK_ENOMEM;
		return NULL;
	}
	s->anchors = a;
	a = &s->anchors[s->nanchors];
	memset(a, 0, sizeof(*a));
	a->origin = src->origin;
	a->zone = strdup(zone);
	a->file = src->file ? strdup(src->file) : NULL;
	a->conf = src->conf ? strdup(src->conf) : NULL;
	a->line = src->line;
	a->rfc5011 = src->rfc5011;
	a->mtime = src->mtime;
	a->last_queried = src->last_queried;
	a->last_success = src->last_success;
	s->nanchors++;
	if (!a->zone || (src->file && !a->file) || (src->conf && !a->conf)) {
		*err = DK_ENOMEM;
		return NULL;
	}
	for (i = 0; i < s->nzones; i++) {
		if (strcmp(s->zones[i], zone) == 0) {
			return a;
		}
	}
	{
		char **z = realloc(s->zones, (s->nzones + 1) * sizeof(*z));

		if (!z) {
			*err = DK_ENOMEM;
			return NULL;
		}
		s->zones = z;
		z[s->nzones] = strdup(zone);
		if (!z[s->nzones]) {
			*err = DK_ENOMEM;
			return NULL;
		}
		s->nzones++;
	}
	return a;
}

static void add_algorithm(struct dki_anchor *a, uint8_t alg)
{
	for (unsigned int i = 0; i < a->nalgorithms; i++) {
		if (a->algorithms[i] == alg) {
			return;
		}
	}
	if (a->nalgorithms < sizeof(a->algorithms)) {
		a->algorithms[a->nalgorithms++] = alg;
	}
}

static uint8_t rdf_u8(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);

	return f && ldns_rdf_size(f) == 1 ? ldns_rdf2native_int8(f) : 0;
}

/* Count a DS or DNSKEY record into its entry. 1 used, 0 other type. */
static int add_rr(struct dki_setup *s, const struct source *src,
		  const ldns_rr *rr, int *err)
{
	ldns_rr_type t = ldns_rr_get_type(rr);
	struct dki_anchor *a;
	char *zone;

	if (t != LDNS_RR_TYPE_DS && t != LDNS_RR_TYPE_DNSKEY) {
		return 0;
	}
	zone = owner_name(rr);
	if (!zone) {
		*err = DK_ENOMEM;
		return -1;
	}
	a = anchor_entry(s, src, zone, err);
	free(zone);
	if (!a) {
		return -1;
	}
	if (t == LDNS_RR_TYPE_DS) {
		uint8_t digest = rdf_u8(rr, 2);

		a->ds_count++;
		if (digest < 32) {
			a->digest_mask |= 1u << digest;
		}
		add_algorithm(a, rdf_u8(rr, 1));
	} else {
		a->key_count++;
		add_algorithm(a, rdf_u8(rr, 2));
	}
	return 1;
}

/* ";;name: NUMBER" of an RFC 5011 state file (unbound's autotrust). */
static time_t state_value(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);
	long long v;

	if (!p || (p != buf && p[-1] != '\n')) {
		return 0;
	}
	v = strtoll(p + strlen(key), NULL, 10);
	return v > 0 ? (time_t)v : 0;
}

/*
 * DS/DNSKEY records in zone-file format (what unbound's
 * trust-anchor-file: reads; an RFC 5011 state file is the same with
 * comments). Other types are skipped, as unbound does.
 */
static int parse_zone_text(struct dki_setup *s, struct source *src,
			   const char *what, char *buf, size_t len,
			   struct dk_diag *diag)
{
	ldns_rdf *origin = NULL, *prev = NULL;
	uint32_t ttl = 3600;
	int line = 1, used = 0, err = 0;
	FILE *fp;

	if (len == 0) {
		dki_diagf(diag,
			  "%s %s is empty: it holds no DS or DNSKEY "
			  "record",
			  what, src->file);
		return DK_EDATA;
	}
	fp = fmemopen(buf, len, "r");
	if (!fp) {
		return DK_ENOMEM;
	}
	for (int n = 0; !feof(fp) && n < 100000; n++) {
		ldns_rr *rr = NULL;
		ldns_status st;
		long before = ftell(fp);
		int r;

		st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY ||
		    st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN) {
			if (ftell(fp) == before && !feof(fp)) {
				break; /* no progress: never loop */
			}
			continue;
		}
		if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
			dki_diagf(diag,
				  "%s %s, line %d: $INCLUDE is not allowed in "
				  "a trust anchor file",
				  what, src->file, line);
			err = DK_EDATA;
			break;
		}
		if (st != LDNS_STATUS_OK) {
			dki_diagf(diag, "%s %s, line %d: %s", what, src->file,
				  line, ldns_get_errorstr_by_id(st));
			err = DK_EDATA;
			break;
		}
		r = add_rr(s, src, rr, &err);
		ldns_rr_free(rr);
		if (r < 0) {
			break;
		}
		used += r;
	}
	fclose(fp);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (err == DK_ETOOBIG) {
		dki_diagf(diag, "%s %s: more than %d trust anchors", what,
			  src->file, ANCHORS_MAX);
		return DK_EDATA;
	}
	if (err < 0) {
		return err;
	}
	if (used == 0) {
		dki_diagf(diag,
			  "%s %s holds no DS or DNSKEY record: it is no trust "
			  "anchor",
			  what, src->file);
		return DK_EDATA;
	}
	return 0;
}

/* Next token of a named.conf-style text: a word, a quoted string or one
 * of { } ; . Comments (#, //, slash-star) are skipped. */
int dki_bind_token(const char **pp, char *tok, size_t toklen)
{
	const char *p = *pp;
	size_t n = 0;

	for (;;) {
		while (*p && isspace((unsigned char)*p)) {
			p++;
		}
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");

			p = e ? e + 2 : p + strlen(p);
			continue;
		}
		break;
	}
	if (!*p) {
		*pp = p;
		return 0;
	}
	if (*p == '{' || *p == '}' || *p == ';') {
		tok[0] = *p++;
		tok[1] = '\0';
	} else if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (n + 1 < toklen) {
				tok[n++] = *p;
			}
			p++;
		}
		if (*p != '"') {
			return -1;
		}
		p++;
		tok[n] = '\0';
	} else {
		while (*p && !isspace((unsigned char)*p) &&
		       !strchr("{};\"", *p)) {
			if (n + 1 < toklen) {
				tok[n++] = *p;
			}
			p++;
		}
		tok[n] = '\0';
	}
	*pp = p;
	return 1;
}

/*
 * trusted-keys-file: a BIND "trusted-keys { NAME FLAGS PROTO ALG "KEY";
 * ... };" file. Only the zones and algorithms are taken; libunbound reads
 * the keys.
 */
static int parse_bind(struct dki_setup *s, struct source *src, const char *what,
		      const char *buf, struct dk_diag *diag)
{
	const char *p = buf;
	char tok[1024];
	int depth = 0, field = 0, used = 0, err = 0;
	struct dki_anchor *a = NULL;

	while (dki_bind_token(&p, tok, sizeof(tok)) > 0) {
		if (strcmp(tok, "{") == 0) {
			depth++;
			field = 0;
			continue;
		}
		if (strcmp(tok, "}") == 0) {
			depth = depth > 0 ? depth - 1 : 0;
			field = 0;
			continue;
		}
		if (strcmp(tok, ";") == 0) {
			field = 0;
			continue;
		}
		if (depth == 0) {
			continue;
		}
		if (field == 0) {
			ldns_rdf *d = NULL;
			char zone[1100];
			size_t n;

			if (ldns_str2rdf_dname(&d, tok) != LDNS_STATUS_OK) {
				dki_diagf(diag,
					  "%s %s: '%s' is not a domain name",
					  what, src->file, tok);
				return DK_EDATA;
			}
			ldns_rdf_deep_free(d);
			n = strlen(tok);
			for (size_t i = 0; i <= n; i++) {
				zone[i] = (char)tolower((unsigned char)tok[i]);
			}
			if (n == 0 || zone[n - 1] != '.') {
				zone[n] = '.';
				zone[n + 1] = '\0';
			}
			a = anchor_entry(s, src, zone, &err);
			if (!a) {
				return err == DK_ETOOBIG ? DK_EDATA : err;
			}
			a->key_count++;
			used++;
		} else if (field == 3 && a) {
			add_algorithm(a, (uint8_t)strtoul(tok, NULL, 10));
		}
		field++;
	}
	if (used == 0) {
		dki_diagf(diag,
			  "%s %s holds no trusted key: it is no trust "
			  "anchor",
			  what, src->file);
		return DK_EDATA;
	}
	return 0;
}

/* Read and parse the anchor file @path of @origin. */
static int read_anchor_file(struct dki_setup *s, enum dki_anchor_origin origin,
			    const char *path, const char *conf,
			    unsigned int line, struct dk_diag *diag)
{
	struct source src = { 0 };
	const char *what = origin == DKI_ANCHOR_AUTO ? "the RFC 5011 trust "
						       "anchor file"
			   : origin == DKI_ANCHOR_BIND
				   ? "the trusted-keys file"
				   : "the trust anchor file";
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = read_regular(path, what, ANCHOR_MAX, &buf, &len, &src.mtime, diag);
	if (r < 0) {
		return r;
	}
	src.origin = origin;
	src.file = path;
	src.conf = conf;
	src.line = line;
	src.rfc5011 = origin == DKI_ANCHOR_AUTO || strstr(buf, ";;id: ");
	src.last_queried = state_value(buf, ";;last_queried: ");
	src.last_success = state_value(buf, ";;last_success: ");
	if (origin == DKI_ANCHOR_BIND) {
		r = parse_bind(s, &src, what, buf, diag);
	} else {
		r = parse_zone_text(s, &src, what, buf, len, diag);
	}
	free(buf);
	return r;
}

/* A trust-anchor: "RR" of the unbound.conf @conf at @line. */
static int parse_inline(struct dki_setup *s, const char *text, const char *conf,
			unsigned int line, struct dk_diag *diag)
{
	struct source src = { 0 };
	ldns_rr *rr = NULL;
	ldns_status st;
	int r, err = 0;

	src.origin = DKI_ANCHOR_INLINE;
	src.conf = conf;
	src.line = line;
	st = ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL);
	if (st != LDNS_STATUS_OK) {
		dki_diagf(diag, "%s, line %u: trust-anchor: \"%.80s\": %s",
			  conf, line, text, ldns_get_errorstr_by_id(st));
		return DK_EDATA;
	}
	r = add_rr(s, &src, rr, &err);
	ldns_rr_free(rr);
	if (r < 0) {
		return err == DK_ETOOBIG ? DK_EDATA : err;
	}
	if (r == 0) {
		dki_diagf(diag,
			  "%s, line %u: trust-anchor: \"%.80s\" is no DS or "
			  "DNSKEY record",
			  conf, line, text);
		return DK_EDATA;
	}
	return 0;
}

/* The unbound.conf statements that name files. */
enum conf_key {
	KEY_NONE = 0,
	KEY_INCLUDE,
	KEY_DIRECTORY,
	KEY_CHROOT,
	KEY_TA_FILE,
	KEY_AUTO_TA_FILE,
	KEY_TRUSTED_KEYS_FILE,
	KEY_TRUST_ANCHOR,
	KEY_ROOT_HINTS,
	KEY_ZONEFILE,
};

static enum conf_key conf_key(const char *tok)
{
	static const struct {
		const char *name;
		enum conf_key key;
	} keys[] = {
		{ "include:", KEY_INCLUDE },
		{ "include-toplevel:", KEY_INCLUDE },
		{ "directory:", KEY_DIRECTORY },
		{ "chroot:", KEY_CHROOT },
		{ "trust-anchor-file:", KEY_TA_FILE },
		{ "auto-trust-anchor-file:", KEY_AUTO_TA_FILE },
		{ "trusted-keys-file:", KEY_TRUSTED_KEYS_FILE },
		{ "trust-anchor:", KEY_TRUST_ANCHOR },
		{ "root-hints:", KEY_ROOT_HINTS },
		{ "zonefile:", KEY_ZONEFILE },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(tok, keys[i].name) == 0) {
			return keys[i].key;
		}
	}
	return KEY_NONE;
}

/* A file named by the unbound.conf, read once the whole file is parsed. */
struct named_file {
	enum conf_key key;
	char *path;
	char *conf;
	unsigned int line;
};

struct scan {
	struct dki_setup *setup;
	char *cwd;    /* libunbound's working directory while it parses */
	char *chroot; /* chroot: (anchor paths under it lose the prefix) */
	struct named_file *files;
	size_t nfiles;
	size_t nconfs;
	struct dk_diag *diag;
};

static int remember(struct scan *sc, enum conf_key key, const char *value,
		    const char *conf, unsigned int line)
{
	struct named_file *f;

	if (sc->nfiles >= 4 * ANCHORS_MAX) {
		dki_diagf(sc->diag, "%s names more than %d files", conf,
			  4 * ANCHORS_MAX);
		return DK_EDATA;
	}
	f = realloc(sc->files, (sc->nfiles + 1) * sizeof(*f));
	if (!f) {
		return DK_ENOMEM;
	}
	sc->files = f;
	f = &sc->files[sc->nfiles];
	f->key = key;
	f->path = strdup(value);
	f->conf = strdup(conf);
	f->line = line;
	if (!f->path || !f->conf) {
		free(f->path);
		free(f->conf);
		return DK_ENOMEM;
	}
	sc->nfiles++;
	return 0;
}

static int scan_conf(struct scan *sc, const char *path, int depth);

/* include: PATH (a glob pattern, as unbound takes it). */
static int scan_include(struct scan *sc, const char *value, const char *conf,
			unsigned int line, int depth)
{
	glob_t g;
	char *pattern;
	int r, gr;

	if (!*value) {
		return 0; /* libunbound says "empty include file name" */
	}
	if (depth + 1 > INCLUDE_DEPTH) {
		dki_diagf(sc->diag,
			  "%s, line %u: include: nested more than %d deep "
			  "(an include loop?)",
			  conf, line, INCLUDE_DEPTH);
		return DK_EDATA;
	}
	if (!strpbrk(value, "*?[{~")) {
		return scan_conf(sc, value, depth + 1);
	}
	pattern = join_path(sc->cwd, value);
	if (!pattern) {
		return DK_ENOMEM;
	}
	memset(&g, 0, sizeof(g));
	gr = glob(pattern, GLOB_ERR | GLOB_BRACE | GLOB_TILDE, NULL, &g);
	free(pattern);
	if (gr == GLOB_NOMATCH) {
		globfree(&g);
		return 0;
	}
	if (gr != 0) {
		globfree(&g);
		return scan_conf(sc, value, depth + 1);
	}
	r = 0;
	for (size_t i = 0; i < g.gl_pathc && r == 0; i++) {
		r = scan_conf(sc, g.gl_pathv[i], depth + 1);
	}
	globfree(&g);
	return r;
}

/* directory: moves libunbound's parser there (when it can). */
static int scan_directory(struct scan *sc, const char *value)
{
	char *d, *real;
	struct stat st;

	if (!*value) {
		return 0;
	}
	d = join_path(sc->cwd, value);
	if (!d) {
		return DK_ENOMEM;
	}
	if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode) || access(d, X_OK) != 0) {
		/* unbound logs "cannot chdir" and stays where it is. */
		free(d);
		return 0;
	}
	real = realpath(d, NULL);
	free(d);
	if (!real) {
		return 0;
	}
	free(sc->cwd);
	sc->cwd = real;
	return 0;
}

/* Handle the value @tok of the statement @key. */
static int scan_value(struct scan *sc, enum conf_key key, const char *tok,
		      const char *conf, unsigned int line, int depth)
{
	switch (key) {
	case KEY_INCLUDE:
		return scan_include(sc, tok, conf, line, depth);
	case KEY_DIRECTORY:
		return scan_directory(sc, tok);
	case KEY_CHROOT: {
		char *c = strdup(tok);

		if (!c) {
			return DK_ENOMEM;
		}
		free(sc->chroot);
		sc->chroot = c;
		return 0;
	}
	case KEY_TRUST_ANCHOR:
		return *tok ? parse_inline(sc->setup, tok, conf, line, sc->diag)
			    : 0;
	case KEY_TA_FILE:
	case KEY_AUTO_TA_FILE:
	case KEY_TRUSTED_KEYS_FILE:
	case KEY_ROOT_HINTS:
	case KEY_ZONEFILE:
		return *tok ? remember(sc, key, tok, conf, line) : 0;
	default:
		return 0;
	}
}

/*
 * Read one unbound.conf (or include) the way unbound's lexer splits it:
 * "#" starts a comment at the start of a token, values are quoted ("..."
 * or '...') or run to the next blank; a statement is a token ending in
 * ':'. Only the statements that name files are followed.
 */
static int scan_conf(struct scan *sc, const char *path, int depth)
{
	const char *what = depth ? "the include file" : "the unbound.conf";
	enum conf_key want = KEY_NONE;
	unsigned int line = 1;
	char *full, *buf = NULL;
	size_t len = 0;
	const char *p;
	int r;

	if (++sc->nconfs > CONF_FILES_MAX) {
		dki_diagf(sc->diag,
			  "the unbound.conf includes more than %d "
			  "files",
			  CONF_FILES_MAX);
		return DK_EDATA;
	}
	full = join_path(sc->cwd, path);
	if (!full) {
		return DK_ENOMEM;
	}
	r = read_regular(full, what, CONF_MAX, &buf, &len, NULL, sc->diag);
	if (r < 0) {
		free(full);
		return r;
	}
	p = buf;
	while (*p && r == 0) {
		unsigned int tok_line;
		const char *start;
		char *tok;
		int quoted = 0;

		if (*p == '\n') {
			line++;
			p++;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		tok_line = line;
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			start = p;
			while (*p && *p != q && *p != '\n') {
				p += (*p == '\\' && p[1] && p[1] != '\n') ? 2
									  : 1;
			}
			tok = strndup(start, (size_t)(p - start));
			if (*p == q) {
				p++;
			}
			quoted = 1;
		} else {
			start = p;
			while (*p && !strchr(" \t\r\n\"'", *p)) {
				p += (*p == '\\' && p[1] && p[1] != '\n') ? 2
									  : 1;
			}
			tok = strndup(start, (size_t)(p - start));
		}
		if (!tok) {
			r = DK_ENOMEM;
			break;
		}
		if (want != KEY_NONE) {
			r = scan_value(sc, want, tok, full, tok_line, depth);
			want = KEY_NONE;
		} else if (!quoted) {
			want = conf_key(tok);
		}
		free(tok);
	}
	free(buf);
	free(full);
	return r;
}

/* A file the unbound.conf names, as libunbound will open it. */
static char *named_path(const struct scan *sc, const char *path)
{
	size_t n = sc->chroot ? strlen(sc->chroot) : 0;

	if (n && strncmp(path, sc->chroot, n) == 0) {
		path += n;
	}
	return join_path(sc->cwd, path);
}

/* root-hints:, zonefile: must be regular files (a zonefile may be absent). */
static int check_other(const struct scan *sc, const struct named_file *f,
		       const char *path)
{
	const char *what = f->key == KEY_ROOT_HINTS ? "the root-hints file"
						    : "the zonefile";
	struct stat st;
	int r;

	if (stat(path, &st) != 0) {
		if (f->key == KEY_ZONEFILE && errno == ENOENT) {
			return 0; /* unbound fetches it and writes it there */
		}
		return open_error(errno, what, path, sc->diag);
	}
	r = check_mode(&st, what, path, sc->diag);

	if (r < 0) {
		return r;
	}
	if (access(path, R_OK) != 0) {
		return open_error(errno, what, path, sc->diag);
	}
	return 0;
}

static int scan_unbound_conf(struct dki_setup *s, const char *conf,
			     const char *chroot_default, char **ret_chroot,
			     struct dk_diag *diag)
{
	struct scan sc = { 0 };
	char cwd[PATH_MAX];
	int r;

	sc.setup = s;
	sc.diag = diag;
	sc.cwd = strdup(getcwd(cwd, sizeof(cwd)) ? cwd : "/");
	sc.chroot = chroot_default ? strdup(chroot_default) : NULL;
	if (!sc.cwd || (chroot_default && !sc.chroot)) {
		free(sc.cwd);
		free(sc.chroot);
		return DK_ENOMEM;
	}
	r = scan_conf(&sc, conf, 0);
	/* libunbound reads the named files once it has parsed them all. */
	for (size_t i = 0; i < sc.nfiles && r == 0; i++) {
		struct named_file *f = &sc.files[i];
		char *path = named_path(&sc, f->path);

		if (!path) {
			r = DK_ENOMEM;
			break;
		}
		switch (f->key) {
		case KEY_TA_FILE:
			r = read_anchor_file(s, DKI_ANCHOR_FILE, path, f->conf,
					     f->line, diag);
			break;
		case KEY_AUTO_TA_FILE:
			r = read_anchor_file(s, DKI_ANCHOR_AUTO, path, f->conf,
					     f->line, diag);
			break;
		case KEY_TRUSTED_KEYS_FILE:
			r = read_anchor_file(s, DKI_ANCHOR_BIND, path, f->conf,
					     f->line, diag);
			break;
		default:
			r = check_other(&sc, f, path);
			break;
		}
		free(path);
	}
	for (size_t i = 0; i < sc.nfiles; i++) {
		free(sc.files[i].path);
		free(sc.files[i].conf);
	}
	free(sc.files);
	free(sc.cwd);
	*ret_chroot = sc.chroot;
	return r;
}

/*
 * libunbound strips the chroot: of the unbound.conf from the front of an
 * anchor file's path (also one given with --anchor): check the file it
 * will open then.
 */
static int check_chrooted(const char *path, const char *chroot,
			  struct dk_diag *diag)
{
	char *abs = realpath(path, NULL), *buf = NULL;
	size_t n = chroot ? strlen(chroot) : 0, len;
	int r = 0;

	if (abs && n && strncmp(abs, chroot, n) == 0 && abs[n]) {
		r = read_regular(abs + n, "the trust anchor file", ANCHOR_MAX,
				 &buf, &len, NULL, diag);
		free(buf);
	}
	free(abs);
	return r;
}

int dki_setup_scan(const struct dk_resolver_opts *opts,
		   const char *chroot_default, struct dki_setup *ret,
		   struct dk_diag *diag)
{
	struct dki_setup s = { 0 };
	char *chroot = NULL;
	int r = 0;

	if (opts->anchor_file) {
		r = read_anchor_file(&s, DKI_ANCHOR_OPTION, opts->anchor_file,
				     NULL, 0, diag);
	}
	if (r == 0 && opts->unbound_conf) {
		r = scan_unbound_conf(&s, opts->unbound_conf, chroot_default,
				      &chroot, diag);
		if (r == 0 && opts->anchor_file) {
			r = check_chrooted(opts->anchor_file, chroot, diag);
		}
		free(chroot);
	}
	if (r == 0 && !opts->anchor_file && !opts->unbound_conf) {
		const char *def = NULL;

		if (access(DK_ROOT_ANCHOR_UNBOUND, R_OK) == 0) {
			def = DK_ROOT_ANCHOR_UNBOUND;
		} else if (access(DK_ROOT_ANCHOR_DNS_ROOT_DATA, R_OK) == 0) {
			def = DK_ROOT_ANCHOR_DNS_ROOT_DATA;
		}
		if (!def) {
			dki_diagf(
				diag,
				"no trust anchor: neither %s nor %s exists; "
				"run unbound-anchor, install dns-root-data, or "
				"give --anchor FILE",
				DK_ROOT_ANCHOR_UNBOUND,
				DK_ROOT_ANCHOR_DNS_ROOT_DATA);
			r = DK_ENOANCHOR;
		} else {
			r = read_anchor_file(&s, DKI_ANCHOR_DEFAULT, def, NULL,
					     0, diag);
		}
	}
	if (r < 0) {
		dki_setup_clear(&s);
		return r;
	}
	*ret = s;
	return 0;
}

int dki_setup_require_anchor(const struct dk_resolver_opts *opts,
			     const struct dki_setup *s, struct dk_diag *diag)
{
	if (s->nanchors > 0) {
		return 0;
	}
	dki_diagf(diag,
		  "no trust anchor: %s configures none (no trust-anchor-file:, "
		  "auto-trust-anchor-file:, trust-anchor: or "
		  "trusted-keys-file:), so nothing could validate; add one or "
		  "give --anchor FILE (the root's: %s)",
		  opts->unbound_conf ? opts->unbound_conf : "the set-up",
		  DK_ROOT_ANCHOR_DNS_ROOT_DATA);
	return DK_ENOANCHOR;
}

int dki_setup_copy(const struct dki_setup *src, struct dki_setup *dst)
{
	struct dki_setup s = { 0 };

	s.anchors = calloc(src->nanchors + 1, sizeof(*s.anchors));
	s.zones = calloc(src->nzones + 1, sizeof(*s.zones));
	if (!s.anchors || !s.zones) {
		free(s.anchors);
		free(s.zones);
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < src->nanchors; i++) {
		const struct dki_anchor *a = &src->anchors[i];
		struct dki_anchor *b = &s.anchors[i];

		*b = *a;
		b->zone = strdup(a->zone);
		b->file = a->file ? strdup(a->file) : NULL;
		b->conf = a->conf ? strdup(a->conf) : NULL;
		s.nanchors++;
		if (!b->zone || (a->file && !b->file) ||
		    (a->conf && !b->conf)) {
			dki_setup_clear(&s);
			return DK_ENOMEM;
		}
	}
	for (size_t i = 0; i < src->nzones; i++) {
		s.zones[i] = strdup(src->zones[i]);
		if (!s.zones[i]) {
			dki_setup_clear(&s);
			return DK_ENOMEM;
		}
		s.nzones++;
	}
	*dst = s;
	return 0;
}

void dki_anchor_refresh(struct dki_anchor *a)
{
	char *buf = NULL;
	size_t len = 0;
	time_t mtime = 0;

	if (!a->file ||
	    read_regular(a->file, "the trust anchor file", ANCHOR_MAX, &buf,
			 &len, &mtime, NULL) < 0) {
		return;
	}
	a->mtime = mtime;
	a->last_queried = state_value(buf, ";;last_queried: ");
	a->last_success = state_value(buf, ";;last_success: ");
	free(buf);
}
