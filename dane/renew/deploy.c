/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Staged deployment: the renewed pair goes into the service's deploy
 * location only once its TLSA records are secure, served by every
 * authoritative server and aged (dk_rollover_check()); until then it
 * waits in the state folder, and dk_hook_resume() finishes it. The old
 * key's records go once the new chain has been live for twice the TTL.
 *
 * State folder:
 *   lock         flock()ed for the whole of a run
 *   staged.pem   "# danekit staged renewal" header lines, then the
 *                private key and the chain in PEM; mode 0600; replaced
 *                whole (temporary file, fsync, rename)
 *   deployed     the last installation: fingerprint, time, TTL, reload
 *                status, and the old records still to retire
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dane/renew/internal.h"

#define STAGED_MAGIC "# danekit staged renewal 1\n"
#define DEPLOYED_MAGIC "# danekit deployment 1\n"
#define LOCK_WAIT_SECONDS 60

/* ------------------------------------------------------------------ */
/* Results                                                             */

const char *dk_hook_action_name(enum dk_hook_action action)
{
	switch (action) {
	case DK_HOOK_NOTHING:
		return "nothing";
	case DK_HOOK_DEPLOYED:
		return "deployed";
	case DK_HOOK_ALREADY:
		return "already-deployed";
	case DK_HOOK_STAGED:
		return "staged";
	case DK_HOOK_FAILED:
		return "failed";
	}
	return "?";
}

static void free_strs(char **a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i]);
	}
	free(a);
}

void dk_hook_result_free(struct dk_hook_result *r)
{
	if (!r) {
		return;
	}
	free(r->why);
	free(r->fingerprint);
	for (size_t i = 0; i < r->nreports; i++) {
		dk_rollover_report_free(r->reports[i]);
	}
	free(r->reports);
	free_strs(r->published, r->npublished);
	free_strs(r->pending, r->npending);
	free_strs(r->retired, r->nretired);
	free_strs(r->to_retire, r->nto_retire);
	free_strs(r->notes, r->nnotes);
	free(r);
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0) {
		return NULL;
	}
	return s;
}

static void set_why(struct dk_hook_result *res, const char *fmt, ...)
	DK_PRINTF(2, 3);

static void set_why(struct dk_hook_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(res->why);
	res->why = vfmt(fmt, ap);
	va_end(ap);
}

static void note(struct dk_hook_result *res, const char *fmt, ...)
	DK_PRINTF(2, 3);

static void note(struct dk_hook_result *res, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	if (s && dkr_push((void ***)&res->notes, &res->nnotes, s) < 0) {
		free(s);
	}
}

static void rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		snprintf(buf, len, "%lld", (long long)t);
	}
}

/* ------------------------------------------------------------------ */
/* Records with their owner                                            */

struct rec {
	char *owner; /* absolute */
	struct dk_tlsa *t;
};

struct recs {
	struct rec *v;
	size_t n;
};

static void recs_free(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].owner);
		dk_tlsa_free(rs->v[i].t);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

static int recs_has(const struct recs *rs, const char *owner,
		    const struct dk_tlsa *t)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (strcasecmp(rs->v[i].owner, owner) == 0 &&
		    dk_tlsa_cmp(rs->v[i].t, t) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Add a copy of @owner and take @t (freed on failure and on duplicates). */
static int recs_take(struct recs *rs, const char *owner, struct dk_tlsa *t)
{
	struct rec *v;
	char *o;

	if (!t) {
		return DK_ENOMEM;
	}
	o = dkr_absolute(owner);
	if (!o) {
		dk_tlsa_free(t);
		return DK_ENOMEM;
	}
	if (recs_has(rs, o, t)) {
		free(o);
		dk_tlsa_free(t);
		return 0;
	}
	v = realloc(rs->v, (rs->n + 1) * sizeof(*v));
	if (!v) {
		free(o);
		dk_tlsa_free(t);
		return DK_ENOMEM;
	}
	rs->v = v;
	v[rs->n].owner = o;
	v[rs->n].t = t;
	rs->n++;
	return 0;
}

/* "OWNER U S M HEX" (the state files' form), malloc()ed. */
static char *rec_line(const struct rec *r)
{
	char *rd = dkr_rdata(r->t), *s = NULL;

	if (rd && asprintf(&s, "%s %s", r->owner, rd) < 0) {
		s = NULL;
	}
	free(rd);
	return s;
}

/* Parse "OWNER U S M HEX". */
static int rec_parse(struct recs *rs, const char *line)
{
	const char *sp = strchr(line, ' ');
	struct dk_tlsa *t = NULL;
	char *owner;
	int r;

	if (!sp) {
		return DK_EDATA;
	}
	owner = strndup(line, (size_t)(sp - line));
	if (!owner) {
		return DK_ENOMEM;
	}
	r = dk_tlsa_parse(sp + 1, &t, NULL, NULL);
	if (r == 0) {
		r = recs_take(rs, owner, t);
	}
	free(owner);
	return r;
}

/* A zone-file line for output. */
static char *zone_line(const struct rec *r, uint32_t ttl)
{
	char *s = NULL;

	if (dk_tlsa_format(r->t, DK_TLSA_FMT_ZONE, r->owner, ttl ? ttl : 3600,
			   &s) < 0) {
		return NULL;
	}
	return s;
}

static void push_line(char ***arr, size_t *n, const struct rec *r, uint32_t ttl)
{
	char *s = zone_line(r, ttl);

	if (s && dkr_push((void ***)arr, n, s) < 0) {
		free(s);
	}
}

/* ------------------------------------------------------------------ */
/* Key and chain                                                       */

struct pair {
	EVP_PKEY *key;	     /* private */
	struct dk_input *in; /* the chain, leaf first */
	char *fp;	     /* SHA-256 of the leaf, hex */
	char *key_pem;	     /* PKCS#8 PEM */
	char *chain_pem;     /* leaf + intermediates, PEM */
};

static void pair_free(struct pair *p)
{
	if (!p) {
		return;
	}
	EVP_PKEY_free(p->key);
	dk_input_free(p->in);
	free(p->fp);
	if (p->key_pem) {
		OPENSSL_cleanse(p->key_pem, strlen(p->key_pem));
	}
	free(p->key_pem);
	free(p->chain_pem);
	free(p);
}

static int no_password(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return 0;
}

static int read_all(const char *path, char **ret_buf, size_t *ret_len,
		    struct dk_diag *diag)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int e;

	if (!f) {
		e = errno;
		dki_diagf(diag, "%s: %s", path, strerror(e));
		return e == ENOENT		   ? DK_ENOENT
		       : e == EACCES || e == EPERM ? DK_EACCES
						   : DK_EIO;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		dki_diagf(diag, "%s: not a regular file", path);
		return DK_EIO;
	}
	for (;;) {
		size_t got;

		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > DK_INPUT_MAX + 8192) {
				free(buf);
				fclose(f);
				dki_diagf(diag, "%s: too large", path);
				return DK_ETOOBIG;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return DK_ENOMEM;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0) {
			break;
		}
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		dki_diagf(diag, "%s: read error", path);
		return DK_EIO;
	}
	fclose(f);
	if (!buf) {
		buf = malloc(1);
		if (!buf) {
			return DK_ENOMEM;
		}
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* The CERTIFICATE blocks of a PEM text, as one PEM text (malloc()ed). */
static int certs_only(const char *buf, size_t len, char **ret_pem,
		      size_t *ret_n)
{
	BIO *in = BIO_new_mem_buf(buf, (int)len);
	BIO *out = BIO_new(BIO_s_mem());
	size_t n = 0;
	int r = 0;

	if (!in || !out) {
		BIO_free(in);
		BIO_free(out);
		return DK_ENOMEM;
	}
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;

		if (!PEM_read_bio(in, &name, &header, &data, &dlen)) {
			break;
		}
		if (strcmp(name, "CERTIFICATE") == 0 ||
		    strcmp(name, "TRUSTED CERTIFICATE") == 0) {
			const unsigned char *p = data;
			X509 *x = d2i_X509(NULL, &p, dlen);

			if (!x || !PEM_write_bio_X509(out, x)) {
				r = DK_EDATA;
			}
			X509_free(x);
			n++;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		if (r < 0) {
			break;
		}
	}
	ERR_clear_error();
	if (r == 0) {
		char *mem;
		long mlen = BIO_get_mem_data(out, &mem);

		*ret_pem = malloc((size_t)mlen + 1);
		if (!*ret_pem) {
			r = DK_ENOMEM;
		} else {
			memcpy(*ret_pem, mem, (size_t)mlen);
			(*ret_pem)[mlen] = '\0';
			*ret_n = n;
		}
	}
	BIO_free(in);
	BIO_free(out);
	return r;
}

/* The first private key of a PEM text, or NULL. */
static EVP_PKEY *key_of(const char *buf, size_t len)
{
	BIO *in = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *k = NULL;

	if (in) {
		k = PEM_read_bio_PrivateKey(in, NULL, no_password, NULL);
	}
	BIO_free(in);
	ERR_clear_error();
	return k;
}

static char *hex(const unsigned char *d, size_t n)
{
	char *s = malloc(2 * n + 1);

	for (size_t i = 0; s && i < n; i++) {
		snprintf(s + 2 * i, 3, "%02x", d[i]);
	}
	return s;
}

static char *fingerprint(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!x || !X509_digest(x, EVP_sha256(), md, &n)) {
		ERR_clear_error();
		return NULL;
	}
	return hex(md, n);
}

static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *s = NULL;
	long n;

	if (!b) {
		return NULL;
	}
	if (PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		n = BIO_get_mem_data(b, &mem);
		s = malloc((size_t)n + 1);
		if (s) {
			memcpy(s, mem, (size_t)n);
			s[n] = '\0';
		}
		OPENSSL_cleanse(mem, (size_t)n);
	}
	BIO_free(b);
	ERR_clear_error();
	return s;
}

/* Does the private key @k belong to the leaf of @in? */
static int key_fits(EVP_PKEY *k, const struct dk_input *in)
{
	EVP_PKEY *pub = dk_input_get0_pubkey(in);
	int r = k && pub && EVP_PKEY_eq(k, pub) == 1;

	ERR_clear_error();
	return r;
}

/*
 * A pair from a chain text and a private key; @key may be NULL when
 * @key_paths names candidate key files (the first that fits is taken).
 */
static int pair_make(const char *chain_buf, size_t chain_len, EVP_PKEY *key,
		     struct pair **ret, struct dk_diag *diag)
{
	struct pair *p = calloc(1, sizeof(*p));
	size_t n = 0;
	int r;

	if (!p) {
		EVP_PKEY_free(key);
		return DK_ENOMEM;
	}
	p->key = key;
	r = certs_only(chain_buf, chain_len, &p->chain_pem, &n);
	if (r == 0 && n == 0) {
		dki_diagf(diag, "no certificate");
		r = DK_EDATA;
	}
	if (r == 0) {
		r = dk_input_load((const uint8_t *)p->chain_pem,
				  strlen(p->chain_pem), &p->in, diag);
	}
	if (r == 0 && !(p->fp = fingerprint(dk_input_get0_cert(p->in, 0)))) {
		dki_diagf(diag, "the certificate cannot be read by OpenSSL");
		r = DK_EDATA;
	}
	if (r == 0 && p->key) {
		if (!key_fits(p->key, p->in)) {
			dki_diagf(diag, "the private key does not belong to "
					"the certificate");
			r = DK_EDATA;
		} else if (!(p->key_pem = key_pem(p->key))) {
			r = DK_ECRYPTO;
		}
	}
	if (r < 0) {
		pair_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static int errno_dk(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return DK_ENOENT;
	case EACCES:
	case EPERM:
	case EROFS:
		return DK_EACCES;
	case ENOMEM:
		return DK_ENOMEM;
	default:
		return DK_EIO;
	}
}

static int mkdirs(const char *path, struct dk_diag *diag)
{
	char *p = strdup(path);
	struct stat st;
	int r = 0;

	if (!p) {
		return DK_ENOMEM;
	}
	for (char *s = p + 1; r == 0; s++) {
		if (*s != '/' && *s != '\0') {
			continue;
		}
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			int e = errno;

			dki_diagf(diag, "cannot make the folder %s: %s", p,
				  strerror(e));
			r = errno_dk(e);
		}
		*s = c;
		if (!c) {
			break;
		}
	}
	if (r == 0 && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))) {
		dki_diagf(diag, "%s is not a folder", path);
		r = DK_EIO;
	}
	free(p);
	return r;
}

static char *in_dir(const char *dir, const char *file)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s", dir, file) < 0) {
		return NULL;
	}
	return s;
}

/* Take the state folder's lock, waiting up to LOCK_WAIT_SECONDS. */
static int lock_state(const struct dk_hook_conf *conf, int *ret_fd,
		      struct dk_diag *diag)
{
	char *path;
	int fd, r;

	r = mkdirs(conf->state_dir, diag);
	if (r < 0) {
		return r;
	}
	path = in_dir(conf->state_dir, "lock");
	if (!path) {
		return DK_ENOMEM;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;

		dki_diagf(diag, "%s: %s", path, strerror(e));
		free(path);
		return errno_dk(e);
	}
	for (int i = 0; i < LOCK_WAIT_SECONDS * 10; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			free(path);
			*ret_fd = fd;
			return 0;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			break;
		}
		usleep(100000);
	}
	dki_diagf(diag, "%s: another run holds the lock", path);
	free(path);
	close(fd);
	return DK_ETIMEDOUT;
}

static void unlock_state(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

/* ------------------------------------------------------------------ */
/* The staged pair                                                     */

struct staged {
	struct pair *pair;
	char *client;
	char *domain;
	time_t staged_at;
};

static void staged_free(struct staged *s)
{
	if (!s) {
		return;
	}
	pair_free(s->pair);
	free(s->client);
	free(s->domain);
	free(s);
}

/* A state file's text is built in a memory stream, then written whole. */
struct state_text {
	FILE *f;
	char *buf;
	size_t len;
};

static int state_begin(struct state_text *t, const char *magic)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	if (!t->f) {
		return DK_ENOMEM;
	}
	fputs(magic, t->f);
	return 0;
}

/* Write the text to the state folder's file @name (mode 0600, whole or
 * not at all), then wipe it: it may hold a private key. */
static int state_commit(const struct dk_hook_conf *conf, const char *name,
			struct state_text *t, struct dk_diag *diag)
{
	char *path = in_dir(conf->state_dir, name);
	int r = DK_ENOMEM;

	if (fclose(t->f) == 0 && path) {
		r = dkr_write_file(path, t->buf, t->len, 0600, 0, diag);
	}
	if (t->buf) {
		OPENSSL_cleanse(t->buf, t->len);
	}
	free(t->buf);
	free(path);
	return r;
}

static int staged_write(const struct dk_hook_conf *conf, const struct staged *s,
			struct dk_diag *diag)
{
	struct state_text t;

	if (state_begin(&t, STAGED_MAGIC) < 0) {
		return DK_ENOMEM;
	}
	fprintf(t.f, "# client %s\n# domain %s\n# staged %lld\n# leaf %s\n",
		s->client ? s->client : "-", s->domain ? s->domain : "-",
		(long long)s->staged_at, s->pair->fp);
	fputs(s->pair->key_pem, t.f);
	fputs(s->pair->chain_pem, t.f);
	return state_commit(conf, "staged.pem", &t, diag);
}

static void header_value(const char *buf, const char *key, char **ret)
{
	char pat[32];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\n# %s ", key);
	p = strstr(buf, pat);
	if (!p) {
		return;
	}
	p += strlen(pat);
	e = strchr(p, '\n');
	*ret = e ? strndup(p, (size_t)(e - p)) : NULL;
}

/*
 * Read the state folder's file @name, which must start with @magic:
 * 0 and *@ret_buf (NUL-terminated) and *@ret_path; 0 and *@ret_buf NULL
 * when there is no such file; < 0 with @diag.
 */
static int state_file_read(const struct dk_hook_conf *conf, const char *name,
			   const char *magic, const char *what, char **ret_buf,
			   size_t *ret_len, char **ret_path,
			   struct dk_diag *diag)
{
	char *path = in_dir(conf->state_dir, name), *buf = NULL;
	struct dk_diag d = { "" };
	size_t len = 0;
	int r;

	*ret_buf = NULL;
	if (!path) {
		return DK_ENOMEM;
	}
	r = read_all(path, &buf, &len, &d);
	if (r == DK_ENOENT) {
		free(path);
		return 0;
	}
	if (r < 0) {
		dki_diagf(diag, "%s", d.why);
		free(path);
		return r;
	}
	if (strncmp(buf, magic, strlen(magic)) != 0) {
		dki_diagf(diag, "%s is not a danekit %s", path, what);
		OPENSSL_cleanse(buf, len);
		free(buf);
		free(path);
		return DK_EDATA;
	}
	*ret_buf = buf;
	*ret_len = len;
	*ret_path = path;
	return 0;
}

/* The staged pair, or *@ret NULL when there is none. */
static int staged_read(const struct dk_hook_conf *conf, struct staged **ret,
		       struct dk_diag *diag)
{
	char *path = NULL, *buf = NULL, *when = NULL;
	size_t len = 0;
	struct staged *s;
	struct dk_diag d = { "" };
	int r;

	*ret = NULL;
	r = state_file_read(conf, "staged.pem", STAGED_MAGIC, "staged renewal",
			    &buf, &len, &path, diag);
	if (r < 0 || !buf) {
		return r;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		free(path);
		free(buf);
		return DK_ENOMEM;
	}
	header_value(buf + strlen(STAGED_MAGIC) - 1, "client", &s->client);
	header_value(buf + strlen(STAGED_MAGIC) - 1, "domain", &s->domain);
	header_value(buf + strlen(STAGED_MAGIC) - 1, "staged", &when);
	s->staged_at = when ? (time_t)strtoll(when, NULL, 10) : 0;
	free(when);
	r = pair_make(buf, len, key_of(buf, len), &s->pair, &d);
	if (r == 0 && !s->pair->key) {
		r = DK_EDATA;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (r < 0) {
		dki_diagf(diag, "%s: %s", path, d.why[0] ? d.why : "damaged");
		free(path);
		staged_free(s);
		return DK_EDATA;
	}
	free(path);
	*ret = s;
	return 0;
}

static int staged_remove(const struct dk_hook_conf *conf)
{
	char *path = in_dir(conf->state_dir, "staged.pem");
	int r = 0;

	if (!path) {
		return DK_ENOMEM;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		r = errno_dk(errno);
	}
	free(path);
	return r;
}

/* ------------------------------------------------------------------ */
/* The last deployment                                                 */

struct deployed {
	char *fp;
	time_t at;
	uint32_t ttl;
	long min_age;
	int reload_failed;
	struct recs retire; /* old records still to go */
};

static void deployed_free(struct deployed *d)
{
	if (!d) {
		return;
	}
	free(d->fp);
	recs_free(&d->retire);
	free(d);
}

static int deployed_write(const struct dk_hook_conf *conf,
			  const struct deployed *d, struct dk_diag *diag)
{
	struct state_text t;

	if (state_begin(&t, DEPLOYED_MAGIC) < 0) {
		return DK_ENOMEM;
	}
	fprintf(t.f, "leaf %s\nat %lld\nttl %u\nmin-age %ld\nreload %s\n",
		d->fp, (long long)d->at, d->ttl, d->min_age,
		d->reload_failed ? "failed" : "ok");
	for (size_t i = 0; i < d->retire.n; i++) {
		char *l = rec_line(&d->retire.v[i]);

		fprintf(t.f, "retire %s\n", l ? l : "");
		free(l);
	}
	return state_commit(conf, "deployed", &t, diag);
}

static int deployed_read(const struct dk_hook_conf *conf, struct deployed **ret,
			 struct dk_diag *diag)
{
	char *path = NULL, *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	struct deployed *d;
	int r;

	*ret = NULL;
	r = state_file_read(conf, "deployed", DEPLOYED_MAGIC,
			    "deployment record", &buf, &len, &path, diag);
	if (r < 0 || !buf) {
		return r;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		free(buf);
		free(path);
		return DK_ENOMEM;
	}
	d->min_age = -1;
	for (line = strtok_r(buf + strlen(DEPLOYED_MAGIC), "\n", &save);
	     line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "leaf ", 5) == 0) {
			free(d->fp);
			d->fp = strdup(line + 5);
		} else if (strncmp(line, "at ", 3) == 0) {
			d->at = (time_t)strtoll(line + 3, NULL, 10);
		} else if (strncmp(line, "ttl ", 4) == 0) {
			d->ttl = (uint32_t)strtoul(line + 4, NULL, 10);
		} else if (strncmp(line, "min-age ", 8) == 0) {
			d->min_age = strtol(line + 8, NULL, 10);
		} else if (strncmp(line, "reload ", 7) == 0) {
			d->reload_failed = strcmp(line + 7, "failed") == 0;
		} else if (strncmp(line, "retire ", 7) == 0) {
			r = rec_parse(&d->retire, line + 7);
		}
	}
	free(buf);
	if (r < 0 || !d->fp) {
		dki_diagf(diag, "%s is damaged", path);
		free(path);
		deployed_free(d);
		return r == DK_ENOMEM ? r : DK_EDATA;
	}
	free(path);
	*ret = d;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The deploy location                                                 */

/* The chain the service reads now (NULL when nothing is deployed). */
static struct dk_input *deployed_chain(const struct dk_hook_conf *conf)
{
	const char *path = conf->deploy_fullchain  ? conf->deploy_fullchain
			   : conf->deploy_combined ? conf->deploy_combined
						   : conf->deploy_cert;
	struct dk_input *in = NULL;
	char *buf = NULL, *pem = NULL, *chain = NULL;
	size_t len = 0, n = 0, clen = 0;

	if (read_all(path, &buf, &len, NULL) < 0) {
		return NULL;
	}
	if (certs_only(buf, len, &pem, &n) == 0 && n > 0) {
		if (!conf->deploy_fullchain && !conf->deploy_combined &&
		    conf->deploy_chain &&
		    read_all(conf->deploy_chain, &chain, &clen, NULL) == 0) {
			char *all = NULL;
			size_t cn = 0;

			if (certs_only(chain, clen, &all, &cn) == 0) {
				char *both = NULL;

				if (asprintf(&both, "%s%s", pem, all) >= 0) {
					free(pem);
					pem = both;
				}
				free(all);
			}
			free(chain);
		}
		if (dk_input_load((const uint8_t *)pem, strlen(pem), &in,
				  NULL) < 0) {
			in = NULL;
		}
	}
	if (buf) {
		OPENSSL_cleanse(buf, len);
	}
	free(buf);
	free(pem);
	return in;
}

struct out_file {
	const char *path;
	char *data;
	size_t len;
	unsigned mode;
	char *tmp;    /* the new content, before the rename */
	char *backup; /* a hard link to the old file, for the roll-back */
	int replaced;
};

static int x509_pem(X509 *x, BIO *b)
{
	return x && PEM_write_bio_X509(b, x) ? 0 : DK_ECRYPTO;
}

/* The PEM text of certificates [from, to) of @in. */
static char *certs_pem(const struct dk_input *in, size_t from, size_t to)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *s = NULL;
	long n;
	int r = 0;

	if (!b) {
		return NULL;
	}
	for (size_t i = from; i < to && r == 0; i++) {
		r = x509_pem(dk_input_get0_cert(in, i), b);
	}
	if (r == 0) {
		n = BIO_get_mem_data(b, &mem);
		s = malloc((size_t)n + 1);
		if (s) {
			memcpy(s, mem, (size_t)n);
			s[n] = '\0';
		}
	}
	BIO_free(b);
	ERR_clear_error();
	return s;
}

static void outs_free(struct out_file *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (o[i].data) {
			OPENSSL_cleanse(o[i].data, o[i].len);
		}
		free(o[i].data);
		if (o[i].tmp) {
			unlink(o[i].tmp);
		}
		free(o[i].tmp);
		if (o[i].backup) {
			unlink(o[i].backup);
		}
		free(o[i].backup);
	}
}

static int write_tmp(struct out_file *o, const struct dk_hook_conf *conf,
		     struct dk_diag *diag)
{
	struct stat st;
	int fd, e;

	if (lstat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		dki_diagf(diag,
			  "%s is %s, not a regular file: only regular files "
			  "are ever replaced",
			  o->path, dkr_file_kind((unsigned)st.st_mode));
		return DK_EIO;
	}
	if (asprintf(&o->tmp, "%s.danekit-tmp.XXXXXX", o->path) < 0) {
		o->tmp = NULL;
		return DK_ENOMEM;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		e = errno;
		free(o->tmp);
		o->tmp = NULL;
		dki_diagf(diag, "cannot write next to %s: %s", o->path,
			  strerror(e));
		return errno_dk(e);
	}
	if (fchmod(fd, (mode_t)o->mode) != 0 ||
	    ((conf->owner_uid >= 0 || conf->group_gid >= 0) &&
	     fchown(fd, (uid_t)conf->owner_uid, (gid_t)conf->group_gid) != 0)) {
		goto fail;
	}
	if (dkr_write_fd(fd, o->data, o->len) != 0) {
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	if (fd >= 0) {
		close(fd);
	}
	dki_diagf(diag, "cannot write %s: %s", o->tmp, strerror(e));
	return errno_dk(e);
}

static void fsync_dir(const char *path)
{
	char *d = strdup(path), *slash;
	int fd;

	if (!d) {
		return;
	}
	slash = strrchr(d, '/');
	if (slash) {
		if (slash == d) {
			slash[1] = '\0';
		} else {
			*slash = '\0';
		}
		fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	free(d);
}

/*
 * Install @p into the deploy location: every file is written beside its
 * target first (mode, owner, fsync), then all are renamed into place; if
 * a rename fails, the files already replaced get their old content back.
 * Both files change or neither does.
 */
static int install(const struct dk_hook_conf *conf, const struct pair *p,
		   struct dk_diag *diag)
{
	struct out_file o[5];
	size_t n = 0, nc = dk_input_cert_count(p->in);
	char *full = NULL, *leaf = NULL, *inter = NULL;
	int r = 0;

	memset(o, 0, sizeof(o));
	full = certs_pem(p->in, 0, nc);
	leaf = certs_pem(p->in, 0, 1);
	inter = certs_pem(p->in, 1, nc);
	if (!full || !leaf || !inter) {
		r = DK_ENOMEM;
		goto out;
	}
	if (conf->deploy_key) {
		o[n].path = conf->deploy_key;
		o[n].data = strdup(p->key_pem);
		o[n].mode = conf->key_mode;
		n++;
	}
	if (conf->deploy_combined) {
		o[n].path = conf->deploy_combined;
		if (asprintf(&o[n].data, "%s%s", p->key_pem, full) < 0) {
			o[n].data = NULL;
		}
		o[n].mode = conf->key_mode;
		n++;
	}
	if (conf->deploy_fullchain) {
		o[n].path = conf->deploy_fullchain;
		o[n].data = strdup(full);
		o[n].mode = conf->cert_mode;
		n++;
	}
	if (conf->deploy_cert) {
		o[n].path = conf->deploy_cert;
		o[n].data = strdup(leaf);
		o[n].mode = conf->cert_mode;
		n++;
	}
	if (conf->deploy_chain) {
		o[n].path = conf->deploy_chain;
		o[n].data = strdup(inter);
		o[n].mode = conf->cert_mode;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		if (!o[i].data) {
			r = DK_ENOMEM;
			goto out;
		}
		o[i].len = strlen(o[i].data);
	}
	/* 1. the new contents beside the targets */
	for (size_t i = 0; i < n && r == 0; i++) {
		r = write_tmp(&o[i], conf, diag);
	}
	/* 2. hard links to the old contents, for a roll-back */
	for (size_t i = 0; i < n && r == 0; i++) {
		if (access(o[i].path, F_OK) != 0) {
			continue;
		}
		if (asprintf(&o[i].backup, "%s.danekit-old", o[i].path) < 0) {
			o[i].backup = NULL;
			r = DK_ENOMEM;
			break;
		}
		unlink(o[i].backup);
		if (link(o[i].path, o[i].backup) != 0) {
			int e = errno;

			dki_diagf(diag, "cannot keep a copy of %s: %s",
				  o[i].path, strerror(e));
			free(o[i].backup);
			o[i].backup = NULL;
			r = errno_dk(e);
		}
	}
	/* 3. all into place, back to back */
	for (size_t i = 0; i < n && r == 0; i++) {
		if (rename(o[i].tmp, o[i].path) != 0) {
			int e = errno;

			dki_diagf(diag, "cannot replace %s: %s", o[i].path,
				  strerror(e));
			r = errno_dk(e);
			break;
		}
		free(o[i].tmp);
		o[i].tmp = NULL;
		o[i].replaced = 1;
	}
	if (r < 0) {
		/* roll back what was replaced */
		for (size_t i = 0; i < n; i++) {
			if (!o[i].replaced) {
				continue;
			}
			if (o[i].backup) {
				if (rename(o[i].backup, o[i].path) == 0) {
					free(o[i].backup);
					o[i].backup = NULL;
				}
			} else {
				unlink(o[i].path);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		fsync_dir(o[i].path);
	}
out:
	outs_free(o, n);
	free(full);
	free(leaf);
	free(inter);
	return r;
}

/* Run the reload command; its output goes to stderr. 0 or -1. */
static int run_reload(const char *cmd, struct dk_diag *diag)
{
	pid_t pid;
	int st = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		dki_diagf(diag, "cannot run the reload command: %s",
			  strerror(errno));
		return -1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(2, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			dki_diagf(diag, "waiting for the reload command: %s",
				  strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		dki_diagf(diag, "the reload command '%s' failed (%s %d)", cmd,
			  WIFEXITED(st) ? "exit status" : "signal",
			  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Records of a pair, and publishing                                   */

/* A publisher is configured: a TSIG key for DNS UPDATE, or another
 * publisher (dk_hook_conf_finish() checked its settings). */
static int has_publisher(const struct dk_hook_conf *conf)
{
	return conf->publish_via != DK_PUBLISH_VIA_UPDATE || conf->tsig_key;
}

/* The records that cover @p at every TLSA name: 3 1 1, and 2 1 1 of the
 * issuer with dane-ta. */
static int pair_records(const struct dk_hook_conf *conf,
			const struct dk_input *in, struct recs *rs,
			struct dk_diag *diag)
{
	int r = 0;

	for (size_t i = 0; i < conf->ntlsa_names && r == 0; i++) {
		struct dk_tlsa *t = NULL;

		r = dk_tlsa_make(in, DK_TLSA_DANE_EE, DK_TLSA_SPKI,
				 DK_TLSA_SHA256, -1, &t, diag);
		if (r == 0) {
			r = recs_take(rs, conf->tlsa_names[i], t);
		}
		if (r == 0 && conf->dane_ta) {
			if (dk_input_cert_count(in) < 2) {
				dki_diagf(diag,
					  "dane-ta = yes, but the chain holds "
					  "no issuer certificate");
				return DK_EDATA;
			}
			t = NULL;
			r = dk_tlsa_make(in, DK_TLSA_DANE_TA, DK_TLSA_SPKI,
					 DK_TLSA_SHA256, 1, &t, diag);
			if (r == 0) {
				r = recs_take(rs, conf->tlsa_names[i], t);
			}
		}
	}
	return r;
}

/* 3 1 1 records of the next keys (the client's and the configured). */
static int next_key_records(const struct dk_hook_conf *conf,
			    const char *client_next, const struct dk_input *cur,
			    struct recs *rs, struct dk_hook_result *res)
{
	int r = 0;

	for (size_t k = 0; k <= conf->nnext_keys && r == 0; k++) {
		const char *path =
			k < conf->nnext_keys ? conf->next_keys[k] : client_next;
		struct dk_input *in = NULL;

		if (!path) {
			continue;
		}
		if (access(path, R_OK) != 0 ||
		    dk_input_read_file(path, &in, NULL) < 0) {
			if (k < conf->nnext_keys) {
				note(res,
				     "next-key %s cannot be read: its "
				     "record is not published ahead",
				     path);
			}
			continue;
		}
		/* the pair's own key needs no pre-publication */
		if (cur && EVP_PKEY_eq(dk_input_get0_pubkey(in),
				       dk_input_get0_pubkey(cur)) == 1) {
			ERR_clear_error();
			dk_input_free(in);
			continue;
		}
		ERR_clear_error();
		for (size_t i = 0; i < conf->ntlsa_names && r == 0; i++) {
			struct dk_tlsa *t = NULL;

			r = dk_tlsa_make(in, DK_TLSA_DANE_EE, DK_TLSA_SPKI,
					 DK_TLSA_SHA256, -1, &t, NULL);
			if (r == 0) {
				r = recs_take(rs, conf->tlsa_names[i], t);
			}
		}
		dk_input_free(in);
	}
	return r;
}

/*
 * Publish (@remove = 0) or remove records by the configured publisher
 * (DNS UPDATE, the PowerDNS API or a command), one owner at a time.
 * Records done go to @done; a failure leaves the rest and says why.
 * Returns 0, or the first failure (DK_ECONNREFUSED, DK_ETIMEDOUT:
 * try again; DK_EREFUSED...: a person must act).
 */
static int publish(struct dk_resolver *resolver,
		   const struct dk_hook_conf *conf, const struct recs *rs,
		   int remove, char ***done, size_t *ndone,
		   struct dk_diag *diag)
{
	const char *argv[] = { "/bin/sh", "-c", conf->publish_exec, NULL };
	struct dk_tsig_key *key = NULL;
	char *target = NULL, *api_key = NULL;
	int r = 0, first = 0;

	if (conf->publish_via == DK_PUBLISH_VIA_PDNS_API) {
		struct dk_diag kd = { "" };

		r = dk_api_key_read(conf->api_key_file, &api_key, &kd);
		if (r < 0) {
			dki_diagf(diag, "%s: %s", conf->api_key_file,
				  kd.why[0] ? kd.why : dk_strerror(r));
			return r;
		}
	} else if (conf->publish_via == DK_PUBLISH_VIA_UPDATE) {
		r = dk_tsig_key_read(conf->tsig_key, &key, diag);
		if (r < 0) {
			return r;
		}
	}
	for (size_t i = 0; i < rs->n; i++) {
		struct dk_tlsa **set;
		size_t n = 0;
		int seen = 0;

		for (size_t k = 0; k < i; k++) {
			seen |= strcasecmp(rs->v[k].owner, rs->v[i].owner) == 0;
		}
		if (seen) {
			continue;
		}
		set = calloc(rs->n, sizeof(*set));
		if (!set) {
			r = DK_ENOMEM;
			break;
		}
		for (size_t k = i; k < rs->n; k++) {
			if (strcasecmp(rs->v[k].owner, rs->v[i].owner) == 0) {
				set[n++] = rs->v[k].t;
			}
		}
		/* an alias: the records live at the name after CNAMEs */
		free(target);
		target = NULL;
		if (dk_rollover_owner_ttl(resolver, rs->v[i].owner,
					  &(uint32_t){ 0 }, &target,
					  NULL) < 0) {
			target = NULL;
		}
		/* a concurrent change (prerequisite failed): read again */
		for (int attempt = 0; attempt < 3; attempt++) {
			struct dk_publish_opts po = { 0 };
			struct dk_publish_plan *plan = NULL;
			struct dk_diag pd = { "" };

			po.zone = conf->zone;
			po.server = conf->server;
			po.ttl = conf->ttl;
			po.timeout = dk_resolver_timeout(resolver);
			po.via = conf->publish_via;
			po.api_url = conf->api_url;
			po.api_key = api_key;
			po.exec_argv = conf->publish_exec ? argv : NULL;
			r = dk_publish_plan(resolver,
					    target ? target : rs->v[i].owner,
					    remove ? NULL : set, remove ? 0 : n,
					    remove ? set : NULL, remove ? n : 0,
					    &po, &plan, &pd);
			if (r == 0) {
				r = dk_publish_send(plan, key, po.timeout, &pd);
			}
			if (r == 0) {
				struct dk_tlsa **ch =
					remove ? plan->remove : plan->add;
				size_t nch =
					remove ? plan->nremove : plan->nadd;

				for (size_t k = 0; k < nch; k++) {
					struct rec x = { plan->owner, ch[k] };

					push_line(done, ndone, &x, plan->ttl);
				}
			} else if (!first) {
				dki_diagf(diag, "%s: %s", rs->v[i].owner,
					  pd.why[0] ? pd.why : dk_strerror(r));
			}
			dk_publish_plan_free(plan);
			if (r != DK_ECONFLICT) {
				break;
			}
		}
		free(set);
		if (r < 0) {
			first = 1;
			break;
		}
	}
	dk_tsig_key_free(key);
	dk_api_key_free(api_key);
	free(target);
	return r;
}

/* ------------------------------------------------------------------ */
/* The decision                                                        */

static void worst_status(struct dk_hook_result *res, enum dk_dnssec_status s)
{
	/* bogus > insecure/indeterminate > secure */
	if (s == DK_DNSSEC_BOGUS) {
		res->dnssec = s;
	} else if (s != DK_DNSSEC_SECURE && res->dnssec != DK_DNSSEC_BOGUS) {
		res->dnssec = s;
	}
}

/*
 * Check every TLSA name for the pair @p (and every other certificate of
 * the set): 1 when all are safe, 0 when not (res says why), < 0 on error.
 * The records of the deployed chain that the pair does not need go to
 * @retire.
 */
static int check_safe(struct dk_resolver *resolver,
		      const struct dk_hook_conf *conf, const struct pair *p,
		      const struct dk_input *current, struct recs *retire,
		      uint32_t *ret_ttl, struct dk_hook_result *res,
		      struct dk_diag *diag)
{
	struct dk_input **others;
	time_t now = time(NULL), from = 0;
	const struct dk_rollover_report *first_bad = NULL;
	uint32_t ttl = 0;
	int safe = 1, r = 0;

	others = calloc(conf->ncerts + 1, sizeof(*others));
	if (!others) {
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < conf->ncerts; i++) {
		struct dk_diag d = { "" };

		r = dk_input_read_file(conf->certs[i], &others[i], &d);
		if (r < 0) {
			dki_diagf(diag, "cert %s: %s", conf->certs[i],
				  d.why[0] ? d.why : dk_strerror(r));
			goto out;
		}
	}
	res->dnssec = DK_DNSSEC_SECURE;
	for (size_t n = 0; n < conf->ntlsa_names; n++) {
		for (size_t i = 0; i <= conf->ncerts; i++) {
			struct dk_rollover_opts ro = { 0 };
			struct dk_rollover_report *rep = NULL;
			struct dk_diag d = { "" };

			ro.next = i == 0 ? p->in : others[i - 1];
			ro.current = i == 0 ? current : NULL;
			ro.auth_port = conf->auth_port;
			ro.no_auth_check = conf->no_auth_check;
			ro.min_age = conf->min_age;
			ro.state_file = conf->state_file;
			/* (no ro.now: the check's own clock, so that a record
			 * is first seen after its lookups, not before) */
			r = dk_rollover_check(resolver, conf->tlsa_names[n],
					      &ro, &rep, &d);
			if (r == DK_EEXIST || r == DK_EDATA || r == DK_EINVAL ||
			    r == DK_ENOMEM) {
				/* the state file or the name: not for later */
				dki_diagf(diag, "%s: %s", conf->tlsa_names[n],
					  d.why[0] ? d.why : dk_strerror(r));
				goto out;
			}
			if (r < 0) {
				/* the lookup itself failed: try again */
				res->tempfail = 1;
				safe = 0;
				note(res, "%s: %s", conf->tlsa_names[n],
				     d.why[0] ? d.why : dk_strerror(r));
				if (r == DK_ENOMEM) {
					goto out;
				}
				r = 0;
				continue;
			}
			if (dkr_push((void ***)&res->reports, &res->nreports,
				     rep) < 0) {
				dk_rollover_report_free(rep);
				r = DK_ENOMEM;
				goto out;
			}
			worst_status(res, rep->status);
			if (rep->ttl > ttl) {
				ttl = rep->ttl;
			}
			if (rep->stage == DK_ROLLOVER_INCOMPLETE) {
				res->tempfail = 1;
			}
			if (!dk_rollover_stage_safe(rep->stage)) {
				time_t t = 0;

				safe = 0;
				if (!first_bad) {
					first_bad = rep;
				}
				if (rep->stage == DK_ROLLOVER_WAITING) {
					t = now + (rep->min_age - rep->age);
				} else if (rep->stage !=
					   DK_ROLLOVER_NOT_SECURE) {
					t = now + rep->min_age;
				}
				if (t > from) {
					from = t;
				}
				continue;
			}
			if (i != 0 || !retire) {
				continue;
			}
			/* old records of this service that no other
			 * certificate of the set needs */
			for (size_t k = 0; k < rep->nremove; k++) {
				int needed = 0;

				for (size_t o = 0; o < conf->ncerts; o++) {
					needed |= dk_tlsa_match(rep->remove[k],
								others[o],
								NULL) > 0;
				}
				if (!needed) {
					r = recs_take(
						retire,
						rep->target ? rep->target
							    : rep->owner,
						dk_tlsa_dup(rep->remove[k]));
					if (r < 0) {
						goto out;
					}
				}
			}
		}
	}
	if (!safe) {
		res->deploy_from = from;
		if (first_bad) {
			set_why(res, "%s: %s: %s", first_bad->owner,
				dk_rollover_stage_name(first_bad->stage),
				first_bad->why ? first_bad->why : "not safe");
		} else {
			set_why(res, "%s",
				res->nnotes ? res->notes[0]
					    : "a lookup failed");
		}
	}
	*ret_ttl = ttl;
out:
	for (size_t i = 0; i < conf->ncerts; i++) {
		dk_input_free(others[i]);
	}
	free(others);
	return r < 0 ? r : safe;
}

/* Which wanted records are not in the secure RRsets the checks saw. */
static void list_pending(struct dk_hook_result *res, const struct recs *want,
			 uint32_t ttl)
{
	for (size_t i = 0; i < want->n; i++) {
		int there = 0;

		for (size_t k = 0; k < res->nreports && !there; k++) {
			const struct dk_rollover_report *rep = res->reports[k];

			if (strcasecmp(rep->owner, want->v[i].owner) != 0 ||
			    rep->status != DK_DNSSEC_SECURE) {
				continue;
			}
			for (size_t m = 0; m < rep->nrecords; m++) {
				there |= dk_tlsa_cmp(rep->records[m].tlsa,
						     want->v[i].t) == 0;
			}
		}
		if (!there) {
			push_line(&res->pending, &res->npending, &want->v[i],
				  ttl);
		}
	}
}

/* Publish @rs; a failure becomes a note (and tempfail or *@refused). */
static int publish_step(struct dk_resolver *resolver,
			const struct dk_hook_conf *conf, const struct recs *rs,
			struct dk_hook_result *res, int *refused)
{
	struct dk_diag d = { "" };
	int r;

	if (!has_publisher(conf) || !rs->n) {
		return 0;
	}
	r = publish(resolver, conf, rs, 0, &res->published, &res->npublished,
		    &d);
	if (r == DK_ENOMEM) {
		return r;
	}
	if (r == DK_ECONNREFUSED || r == DK_ETIMEDOUT || r == DK_ESERVFAIL ||
	    r == DK_ERESOLVER || r == DK_ECONFLICT) {
		res->tempfail = 1;
		note(res,
		     "publishing failed, will try again (danekit hook "
		     "resume): %s",
		     d.why);
		return 1;
	}
	if (r < 0) {
		*refused = 1;
		note(res, "publishing failed: %s", d.why);
		return 1;
	}
	return 0;
}

/*
 * One step for the staged pair @s: publish its records, check them, and
 * install, reload and record the deployment when they are safe. The
 * records of the next keys are published after the check (a change of
 * the RRset would hold this deployment back until every server has it).
 */
static int step_staged(struct dk_resolver *resolver,
		       const struct dk_hook_conf *conf, struct staged *s,
		       const char *client_next, struct dk_hook_result *res,
		       struct dk_diag *diag)
{
	struct recs want = { NULL, 0 }, ahead = { NULL, 0 },
		    retire = { NULL, 0 };
	struct dk_input *current = deployed_chain(conf);
	struct deployed dep = { 0 };
	struct dk_diag d = { "" };
	uint32_t ttl = 0;
	char when[40];
	int r, safe, refused = 0, unpublished;

	res->staged_at = s->staged_at;
	free(res->fingerprint);
	res->fingerprint = strdup(s->pair->fp);
	r = pair_records(conf, s->pair->in, &want, &d);
	if (r == 0) {
		r = next_key_records(conf, client_next, s->pair->in, &ahead,
				     res);
	}
	if (r < 0) {
		dki_diagf(diag, "%s", d.why[0] ? d.why : dk_strerror(r));
		goto out;
	}
	r = publish_step(resolver, conf, &want, res, &refused);
	if (r < 0) {
		goto out;
	}
	safe = check_safe(resolver, conf, s->pair, current, &retire, &ttl, res,
			  diag);
	if (safe < 0) {
		r = safe;
		goto out;
	}
	list_pending(res, &want, conf->ttl ? conf->ttl : ttl);
	if (!safe) {
		unpublished =
			publish_step(resolver, conf, &ahead, res, &refused);
		if (unpublished < 0) {
			r = unpublished;
			goto out;
		}
		if (unpublished || !has_publisher(conf)) {
			list_pending(res, &ahead, conf->ttl ? conf->ttl : ttl);
		}
		res->action = res->dnssec == DK_DNSSEC_SECURE && !refused
				      ? DK_HOOK_STAGED
				      : DK_HOOK_FAILED;
		if (res->deploy_from) {
			rfc3339(res->deploy_from, when, sizeof(when));
			note(res,
			     "expected to deploy from %s (danekit hook "
			     "resume)",
			     when);
		}
		if (refused && res->dnssec == DK_DNSSEC_SECURE) {
			set_why(res, "%s", res->notes[0]);
		}
		r = 0;
		goto out;
	}
	d.why[0] = '\0';
	r = install(conf, s->pair, &d);
	if (r < 0) {
		res->action = DK_HOOK_FAILED;
		set_why(res,
			"cannot install into the deploy location: %s; the "
			"renewal stays staged",
			d.why[0] ? d.why : dk_strerror(r));
		r = 0;
		goto out;
	}
	{
		/* old records of an earlier deployment not retired yet */
		struct deployed *prev = NULL;

		if (deployed_read(conf, &prev, NULL) == 0 && prev) {
			for (size_t i = 0; i < prev->retire.n; i++) {
				if (dk_tlsa_match(prev->retire.v[i].t,
						  s->pair->in, NULL) > 0) {
					continue;
				}
				if (recs_take(
					    &retire, prev->retire.v[i].owner,
					    dk_tlsa_dup(prev->retire.v[i].t)) <
				    0) {
					break;
				}
			}
		}
		deployed_free(prev);
	}
	dep.fp = s->pair->fp;
	dep.at = time(NULL);
	dep.ttl = ttl;
	dep.min_age = conf->min_age;
	dep.retire = retire;
	if (conf->reload) {
		d.why[0] = '\0';
		if (run_reload(conf->reload, &d) < 0) {
			dep.reload_failed = 1;
			note(res, "%s; run danekit hook resume to try again",
			     d.why);
		} else {
			res->reloaded = 1;
		}
	}
	d.why[0] = '\0';
	r = deployed_write(conf, &dep, &d);
	retire = dep.retire;
	if (r < 0) {
		note(res, "the deployment could not be recorded: %s", d.why);
		r = 0;
	}
	staged_remove(conf);
	unpublished = publish_step(resolver, conf, &ahead, res, &refused);
	if (unpublished < 0) {
		r = unpublished;
		goto out;
	}
	if (unpublished || !has_publisher(conf)) {
		list_pending(res, &ahead, conf->ttl ? conf->ttl : ttl);
	}
	res->action = dep.reload_failed ? DK_HOOK_FAILED : DK_HOOK_DEPLOYED;
	rfc3339(dep.at, when, sizeof(when));
	set_why(res,
		"deployed %.16s at %s: its records are secure on every "
		"name server and aged%s",
		s->pair->fp, when,
		dep.reload_failed ? ", but the reload command failed"
		: conf->reload	  ? "; reloaded"
				  : "");
	if (retire.n) {
		res->retire_from =
			dep.at +
			(conf->min_age >= 0 ? conf->min_age : 2 * (long)ttl);
	}
out:
	recs_free(&want);
	recs_free(&ahead);
	recs_free(&retire);
	dk_input_free(current);
	return r;
}

/* Remove the records of a pair that was staged and is now replaced. */
static void drop_superseded(struct dk_resolver *resolver,
			    const struct dk_hook_conf *conf,
			    const struct staged *old, const struct pair *new,
			    struct dk_hook_result *res)
{
	struct recs o = { NULL, 0 }, n = { NULL, 0 }, gone = { NULL, 0 };
	struct dk_input *current = deployed_chain(conf);
	struct dk_diag d = { "" };

	if (pair_records(conf, old->pair->in, &o, NULL) < 0 ||
	    pair_records(conf, new->in, &n, NULL) < 0) {
		goto out;
	}
	for (size_t i = 0; i < o.n; i++) {
		if (recs_has(&n, o.v[i].owner, o.v[i].t) ||
		    (current && dk_tlsa_match(o.v[i].t, current, NULL) > 0)) {
			continue;
		}
		if (recs_take(&gone, o.v[i].owner, dk_tlsa_dup(o.v[i].t)) < 0) {
			goto out;
		}
	}
	if (gone.n && publish(resolver, conf, &gone, 1, &res->retired,
			      &res->nretired, &d) < 0) {
		note(res, "the records of the replaced staged key stay: %s",
		     d.why);
	}
out:
	recs_free(&o);
	recs_free(&n);
	recs_free(&gone);
	dk_input_free(current);
}

/* ------------------------------------------------------------------ */
/* The client's pair                                                   */

static int file_ok(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       st.st_size > 0 && access(path, R_OK) == 0;
}

static int client_pair(const struct dk_hook_conf *conf,
		       const struct dk_acme_hook *hook, struct pair **ret,
		       struct dk_diag *diag)
{
	const char *cpath = file_ok(hook->fullchain) ? hook->fullchain
			    : file_ok(hook->cert)    ? hook->cert
						     : NULL;
	char *buf = NULL, *kbuf = NULL, *extra = NULL;
	size_t len = 0, klen = 0, elen = 0;
	struct dk_diag d = { "" };
	struct pair *p = NULL;
	EVP_PKEY *key = NULL;
	int r, stale = 0;

	if (!cpath) {
		const char *name =
			hook->fullchain ? hook->fullchain : hook->cert;

		dki_diagf(diag, "%s: %s", name ? name : "certificate",
			  name && access(name, F_OK) == 0
				  ? "empty or unreadable"
				  : "no such file");
		return name && access(name, F_OK) == 0 ? DK_EACCES : DK_ENOENT;
	}
	r = read_all(cpath, &buf, &len, diag);
	if (r < 0) {
		return r;
	}
	/* a leaf alone: its issuers from the chain file */
	if (cpath == hook->cert && file_ok(hook->chain) &&
	    !strstr(strstr(buf, "-----END CERTIFICATE-----")
			    ? strstr(buf, "-----END CERTIFICATE-----") + 1
			    : buf,
		    "-----BEGIN CERTIFICATE-----") &&
	    read_all(hook->chain, &extra, &elen, NULL) == 0) {
		char *both = NULL;

		if (asprintf(&both, "%s\n%s", buf, extra) >= 0) {
			free(buf);
			buf = both;
			len = strlen(buf);
		}
		free(extra);
	}
	r = pair_make(buf, len, NULL, &p, &d);
	free(buf);
	if (r < 0) {
		dki_diagf(diag, "%s: %s", cpath, d.why);
		return r;
	}
	/* the key: the client's file, else a configured next key (in CSR
	 * mode a client may pass a stale key file, or none) */
	if (file_ok(hook->key) &&
	    read_all(hook->key, &kbuf, &klen, NULL) == 0) {
		key = key_of(kbuf, klen);
		OPENSSL_cleanse(kbuf, klen);
		free(kbuf);
		if (key && !key_fits(key, p->in)) {
			EVP_PKEY_free(key);
			key = NULL;
			stale = 1;
		}
	}
	for (size_t i = 0; !key && i < conf->nnext_keys; i++) {
		if (read_all(conf->next_keys[i], &kbuf, &klen, NULL) < 0) {
			continue;
		}
		key = key_of(kbuf, klen);
		OPENSSL_cleanse(kbuf, klen);
		free(kbuf);
		if (key && !key_fits(key, p->in)) {
			EVP_PKEY_free(key);
			key = NULL;
		}
	}
	if (!key) {
		dki_diagf(diag,
			  "no private key for %s: %s%s; name the key you "
			  "prepared (its CSR mode) with next-key = FILE",
			  cpath, hook->key ? hook->key : "the client gave none",
			  !hook->key	       ? ""
			  : stale	       ? " holds another key"
			  : file_ok(hook->key) ? " holds no usable private key"
					       : " does not exist");
		pair_free(p);
		return DK_EDATA;
	}
	p->key = key;
	p->key_pem = key_pem(key);
	if (!p->key_pem) {
		pair_free(p);
		return DK_ECRYPTO;
	}
	*ret = p;
	return 0;
}

static int result_new(struct dk_hook_result **ret)
{
	*ret = calloc(1, sizeof(**ret));
	if (!*ret) {
		return DK_ENOMEM;
	}
	(*ret)->dnssec = DK_DNSSEC_SECURE;
	return 0;
}

int dk_hook_deploy(struct dk_resolver *resolver,
		   const struct dk_hook_conf *conf,
		   const struct dk_acme_hook *hook,
		   struct dk_hook_result **ret_result, struct dk_diag *diag)
{
	struct dk_hook_result *res = NULL;
	struct staged *old = NULL, *s = NULL;
	struct pair *p = NULL;
	struct dk_input *current = NULL;
	int r, fd = -1;

	if (!resolver || !conf || !hook || !ret_result || !conf->state_dir ||
	    !conf->ntlsa_names) {
		return DK_EINVAL;
	}
	r = result_new(&res);
	if (r < 0) {
		return r;
	}
	if (!hook->deploy) {
		set_why(res, "nothing to do for this hook call");
		*ret_result = res;
		return 0;
	}
	r = client_pair(conf, hook, &p, diag);
	if (r < 0) {
		goto fail;
	}
	r = lock_state(conf, &fd, diag);
	if (r == 0) {
		r = dk_rollover_state_check(conf->state_file, diag);
	}
	if (r < 0) {
		goto fail;
	}
	res->fingerprint = strdup(p->fp);
	/* the same certificate again: nothing twice */
	current = deployed_chain(conf);
	if (current && dk_input_get0_cert(current, 0) &&
	    X509_cmp(dk_input_get0_cert(current, 0),
		     dk_input_get0_cert(p->in, 0)) == 0) {
		struct staged *st = NULL;

		res->action = DK_HOOK_ALREADY;
		set_why(res, "%.16s is deployed already: nothing to do", p->fp);
		/* a staged pair older than the deployed one is stale */
		if (staged_read(conf, &st, NULL) == 0 && st &&
		    strcmp(st->pair->fp, p->fp) == 0) {
			staged_remove(conf);
		}
		staged_free(st);
		goto done;
	}
	r = staged_read(conf, &old, diag);
	if (r < 0 && r != DK_EDATA) {
		goto fail;
	}
	if (old && strcmp(old->pair->fp, p->fp) == 0) {
		/* staged already: keep it as it is (and its age) */
		s = old;
		old = NULL;
		note(res, "%.16s was staged already", p->fp);
	} else {
		s = calloc(1, sizeof(*s));
		if (!s) {
			r = DK_ENOMEM;
			goto fail;
		}
		s->pair = p;
		p = NULL;
		s->client = strdup(dk_acme_client_name(hook->client));
		s->domain = hook->domain ? strdup(hook->domain) : NULL;
		s->staged_at = time(NULL);
		r = staged_write(conf, s, diag);
		if (r < 0) {
			goto fail;
		}
		if (old) {
			note(res,
			     "replaces the staged renewal %.16s of the "
			     "same service",
			     old->pair->fp);
			if (has_publisher(conf)) {
				drop_superseded(resolver, conf, old, s->pair,
						res);
			}
		}
	}
	r = step_staged(resolver, conf, s, hook->next_key, res, diag);
	if (r < 0) {
		goto fail;
	}
	if (res->action == DK_HOOK_STAGED) {
		char *w = res->why;
		char when[40];

		res->why = NULL;
		if (res->deploy_from) {
			rfc3339(res->deploy_from, when, sizeof(when));
		}
		set_why(res, "staged %.16s, waiting for %s%s%s", s->pair->fp,
			w ? w : "its records",
			res->deploy_from ? "; expected to deploy from " : "",
			res->deploy_from ? when : "");
		free(w);
	}
done:
	dk_input_free(current);
	staged_free(s);
	staged_free(old);
	pair_free(p);
	unlock_state(fd);
	*ret_result = res;
	return 0;
fail:
	dk_input_free(current);
	staged_free(s);
	staged_free(old);
	pair_free(p);
	unlock_state(fd);
	dk_hook_result_free(res);
	return r;
}

/* Is the service at conf->live_address presenting @fp's key? 1, 0, -1. */
static int live_has(struct dk_resolver *resolver,
		    const struct dk_hook_conf *conf, const char *owner,
		    const struct dk_input *deployed, struct dk_diag *diag)
{
	const char *host;
	unsigned port = 0;
	X509 *x = NULL;
	int r;

	/* _PORT._tcp.HOST */
	if (owner[0] != '_' || sscanf(owner + 1, "%u", &port) != 1 ||
	    !(host = strstr(owner, "._tcp.")) || !port || port > 65535) {
		return -1;
	}
	host += 6;
	r = dk_renew_fetch_cert(resolver, host, conf->live_address, port,
				port == 25 || port == 587,
				dk_resolver_timeout(resolver), &x, diag);
	if (r < 0) {
		return -1;
	}
	r = EVP_PKEY_eq(X509_get0_pubkey(x), dk_input_get0_pubkey(deployed)) ==
	    1;
	ERR_clear_error();
	X509_free(x);
	return r;
}

/* Retire the old records of the last deployment when their time came. */
static int step_retire(struct dk_resolver *resolver,
		       const struct dk_hook_conf *conf, struct deployed *dep,
		       struct dk_hook_result *res)
{
	long min_age = dep->min_age >= 0 ? dep->min_age : 2 * (long)dep->ttl;
	time_t now = time(NULL), due = dep->at + min_age;
	struct dk_input *current = deployed_chain(conf);
	struct recs left = { NULL, 0 };
	struct dk_diag d = { "" };
	char when[40];
	int r = 0, changed = 0;

	if (!dep->retire.n) {
		goto out;
	}
	res->retire_from = due;
	if (now < due) {
		rfc3339(due, when, sizeof(when));
		note(res,
		     "the old records go from %s (the new chain must be live "
		     "for %ld s first)",
		     when, min_age);
		goto out;
	}
	{
		char *fp = current ? fingerprint(dk_input_get0_cert(current, 0))
				   : NULL;
		int same = fp && strcmp(fp, dep->fp) == 0;

		free(fp);
		if (!same) {
			note(res, "the deploy location no longer holds the "
				  "deployed chain: the old records stay");
			goto out;
		}
	}
	if (conf->live_address) {
		int live = live_has(resolver, conf, dep->retire.v[0].owner,
				    current, &d);

		if (live != 1) {
			note(res,
			     "the service at %s does not present the new key "
			     "yet%s%s: the old records stay",
			     conf->live_address, d.why[0] ? ": " : "", d.why);
			res->tempfail |= live < 0;
			goto out;
		}
	}
	/* never a record the deployed chain needs */
	for (size_t i = 0; i < dep->retire.n; i++) {
		if (dk_tlsa_match(dep->retire.v[i].t, current, NULL) > 0) {
			continue;
		}
		r = recs_take(&left, dep->retire.v[i].owner,
			      dk_tlsa_dup(dep->retire.v[i].t));
		if (r < 0) {
			goto out;
		}
	}
	if (has_publisher(conf) && left.n) {
		r = publish(resolver, conf, &left, 1, &res->retired,
			    &res->nretired, &d);
		if (r == DK_ENOMEM) {
			goto out;
		}
		if (r < 0) {
			res->tempfail = 1;
			note(res,
			     "removing the old records failed, will try "
			     "again: %s",
			     d.why);
			r = 0;
			goto out;
		}
		recs_free(&dep->retire);
		changed = 1;
	} else if (left.n) {
		/* no publisher: list those still published */
		struct recs still = { NULL, 0 };

		for (size_t i = 0; i < left.n; i++) {
			struct dk_answer *a = NULL;
			const ldns_rr_list *rrs;
			int there = 0;

			if (dk_lookup(resolver, left.v[i].owner,
				      LDNS_RR_TYPE_TLSA, &a, NULL) < 0) {
				res->tempfail = 1;
				there = 1;
			} else {
				rrs = dki_answer_get0_rrset(a);
				for (size_t k = 0;
				     k < ldns_rr_list_rr_count(rrs) && !there;
				     k++) {
					ldns_rr *rr = ldns_rr_list_rr(rrs, k);
					ldns_buffer *b = ldns_buffer_new(256);
					struct dk_tlsa *t = NULL;

					for (size_t m = 0;
					     b && m < ldns_rr_rd_count(rr);
					     m++) {
						ldns_rdf2buffer_wire(
							b, ldns_rr_rdf(rr, m));
					}
					if (b &&
					    dk_tlsa_from_wire(
						    ldns_buffer_begin(b),
						    ldns_buffer_position(b),
						    &t) == 0) {
						there = dk_tlsa_cmp(
								t,
								left.v[i].t) ==
							0;
					}
					dk_tlsa_free(t);
					ldns_buffer_free(b);
				}
			}
			dk_answer_free(a);
			if (there) {
				push_line(&res->to_retire, &res->nto_retire,
					  &left.v[i], dep->ttl);
				r = recs_take(&still, left.v[i].owner,
					      dk_tlsa_dup(left.v[i].t));
				if (r < 0) {
					recs_free(&still);
					goto out;
				}
			}
		}
		if (still.n != dep->retire.n) {
			recs_free(&dep->retire);
			dep->retire = still;
			changed = 1;
		} else {
			recs_free(&still);
		}
	} else {
		recs_free(&dep->retire);
		changed = 1;
	}
	if (!dep->retire.n) {
		res->retire_from = 0;
	}
	if (changed) {
		d.why[0] = '\0';
		if (deployed_write(conf, dep, &d) < 0) {
			note(res,
			     "the deployment record could not be "
			     "updated: %s",
			     d.why);
		}
	}
out:
	recs_free(&left);
	dk_input_free(current);
	return r;
}

int dk_hook_resume(struct dk_resolver *resolver,
		   const struct dk_hook_conf *conf,
		   struct dk_hook_result **ret_result, struct dk_diag *diag)
{
	struct dk_hook_result *res = NULL;
	struct staged *s = NULL;
	struct deployed *dep = NULL;
	int r, fd = -1;

	if (!resolver || !conf || !ret_result || !conf->state_dir ||
	    !conf->ntlsa_names) {
		return DK_EINVAL;
	}
	r = result_new(&res);
	if (r < 0) {
		return r;
	}
	r = lock_state(conf, &fd, diag);
	if (r == 0) {
		r = dk_rollover_state_check(conf->state_file, diag);
	}
	if (r < 0) {
		goto fail;
	}
	r = staged_read(conf, &s, diag);
	if (r < 0) {
		goto fail;
	}
	if (s) {
		r = step_staged(resolver, conf, s, NULL, res, diag);
		if (r < 0) {
			goto fail;
		}
		if (res->action == DK_HOOK_STAGED) {
			char *w = res->why;

			res->why = NULL;
			set_why(res, "%.16s stays staged, waiting for %s",
				s->pair->fp, w ? w : "its records");
			free(w);
		}
	} else {
		set_why(res, "nothing staged");
	}
	r = deployed_read(conf, &dep, diag);
	if (r < 0) {
		goto fail;
	}
	if (dep && !s && dep->reload_failed && conf->reload) {
		struct dk_diag d = { "" };

		if (run_reload(conf->reload, &d) == 0) {
			dep->reload_failed = 0;
			res->reloaded = 1;
			res->action = DK_HOOK_DEPLOYED;
			set_why(res,
				"reloaded %.16s (the last reload had "
				"failed)",
				dep->fp);
			deployed_write(conf, dep, NULL);
		} else {
			res->action = DK_HOOK_FAILED;
			set_why(res, "%s", d.why);
		}
	}
	if (dep && res->action != DK_HOOK_DEPLOYED) {
		r = step_retire(resolver, conf, dep, res);
		if (r < 0) {
			goto fail;
		}
	} else if (!dep && res->action == DK_HOOK_DEPLOYED) {
		/* just deployed: its retirement comes later */
	}
	if (!s && dep) {
		/* the configured next keys: their records go out ahead */
		struct recs ahead = { NULL, 0 };
		struct dk_input *cur = deployed_chain(conf);
		int refused = 0, unpublished;

		r = next_key_records(conf, NULL, cur, &ahead, res);
		if (r == 0) {
			unpublished = publish_step(resolver, conf, &ahead, res,
						   &refused);
			if (unpublished > 0) {
				for (size_t i = 0; i < ahead.n; i++) {
					push_line(&res->pending, &res->npending,
						  &ahead.v[i],
						  conf->ttl ? conf->ttl
							    : dep->ttl);
				}
			}
			r = unpublished < 0 ? unpublished : 0;
		}
		recs_free(&ahead);
		/* their first sight on every server starts their clock */
		for (size_t k = 0; r == 0 && k < conf->nnext_keys; k++) {
			struct dk_input *in = NULL;

			if (dk_input_read_file(conf->next_keys[k], &in, NULL) <
				    0 ||
			    (cur &&
			     EVP_PKEY_eq(dk_input_get0_pubkey(in),
					 dk_input_get0_pubkey(cur)) == 1)) {
				ERR_clear_error();
				dk_input_free(in);
				continue;
			}
			for (size_t n = 0; n < conf->ntlsa_names; n++) {
				struct dk_rollover_opts ro = { 0 };
				struct dk_rollover_report *rep = NULL;

				ro.next = in;
				ro.auth_port = conf->auth_port;
				ro.no_auth_check = conf->no_auth_check;
				ro.min_age = conf->min_age;
				ro.state_file = conf->state_file;
				if (dk_rollover_check(resolver,
						      conf->tlsa_names[n], &ro,
						      &rep, NULL) < 0) {
					res->tempfail = 1;
					continue;
				}
				note(res, "next key %s at %s: %s",
				     conf->next_keys[k], rep->owner,
				     dk_rollover_stage_name(rep->stage));
				dk_rollover_report_free(rep);
			}
			dk_input_free(in);
		}
		dk_input_free(cur);
		if (r < 0) {
			goto fail;
		}
	}
	if (res->action == DK_HOOK_NOTHING && dep) {
		char when[40];

		rfc3339(dep->at, when, sizeof(when));
		set_why(res, "nothing staged; %.16s deployed at %s%s", dep->fp,
			when,
			dep->retire.n ? ", old records still to retire"
				      : ", no old record left");
	}
	deployed_free(dep);
	staged_free(s);
	unlock_state(fd);
	*ret_result = res;
	return 0;
fail:
	deployed_free(dep);
	staged_free(s);
	unlock_state(fd);
	dk_hook_result_free(res);
	return r;
}
