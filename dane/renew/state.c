/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rollover state file: when each TLSA record was first seen published
 * on every authoritative server, so that the age rule of RFC 7671 section
 * 8.1 (wait until caches hold the new RRset) is measured, not assumed.
 *
 * One record a line: OWNER USAGE SELECTOR MTYPE HEX FIRST-SEEN (seconds
 * since the epoch). Lines starting with '#' are comments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dane/renew/state.h"

char *dk_rollover_default_state_file(void)
{
	const char *x = getenv("XDG_STATE_HOME");
	const char *h = getenv("HOME");
	char *s = NULL;

	if (x && *x == '/') {
		if (asprintf(&s, "%s/danekit/rollover.state", x) < 0) {
			return NULL;
		}
	} else if (h && *h) {
		if (asprintf(&s, "%s/.local/state/danekit/rollover.state", h) <
		    0) {
			return NULL;
		}
	}
	return s;
}

void dkr_state_free(struct dkr_state *st)
{
	if (!st) {
		return;
	}
	for (size_t i = 0; i < st->n; i++) {
		free(st->ents[i].owner);
		free(st->ents[i].rdata);
	}
	free(st->ents);
	st->ents = NULL;
	st->n = 0;
}

static int add_ent(struct dkr_state *st, const char *owner, const char *rdata,
		   time_t t)
{
	struct dkr_state_ent *e = realloc(st->ents, (st->n + 1) * sizeof(*e));

	if (!e) {
		return DK_ENOMEM;
	}
	st->ents = e;
	e[st->n].owner = strdup(owner);
	e[st->n].rdata = strdup(rdata);
	e[st->n].first_seen = t;
	if (!e[st->n].owner || !e[st->n].rdata) {
		free(e[st->n].owner);
		free(e[st->n].rdata);
		return DK_ENOMEM;
	}
	st->n++;
	return 0;
}

/*
 * Open @path for reading without ever blocking (a FIFO) and only when it
 * is a regular file. 0 and *@ret_fd (-1 when @path is missing); DK_EEXIST
 * (not a regular file); DK_EIO (cannot be opened: errno kept).
 */
static int open_regular(const char *path, int *ret_fd, struct dk_diag *diag)
{
	struct stat sb;
	int fd, e;

	*ret_fd = -1;
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT) {
			return 0;
		}
		e = errno;
		dki_diagf(diag, "cannot read the state file %s: %s", path,
			  strerror(e));
		errno = e;
		return DK_EIO;
	}
	if (S_ISDIR(sb.st_mode)) {
		dki_diagf(diag,
			  "the state file %s is a folder: name a file in it",
			  path);
		return DK_EEXIST;
	}
	if (!S_ISREG(sb.st_mode)) {
		dki_diagf(diag,
			  "the state file %s is %s, not a regular file: it is "
			  "never read or replaced",
			  path, dkr_file_kind((unsigned)sb.st_mode));
		return DK_EEXIST;
	}
	/* O_NONBLOCK: should it become a FIFO meanwhile, open() returns */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT) {
			return 0;
		}
		dki_diagf(diag, "cannot read the state file %s: %s", path,
			  strerror(e));
		errno = e;
		return DK_EIO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		dki_diagf(diag,
			  "the state file %s is not a regular file: it is "
			  "never read or replaced",
			  path);
		return DK_EEXIST;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*ret_fd = fd;
	return 0;
}

/* Does the file open on @fd start like a state file (or is it empty)? */
static int is_state(int fd)
{
	char head[sizeof(DKR_STATE_MAGIC) - 1];
	size_t n = 0;

	while (n < sizeof(head)) {
		ssize_t r = pread(fd, head + n, sizeof(head) - n, (off_t)n);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			return -1;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
	}
	return n == 0 || (n == sizeof(head) &&
			  memcmp(head, DKR_STATE_MAGIC, sizeof(head)) == 0);
}

static int check_fd(const char *path, int fd, struct dk_diag *diag)
{
	int s = is_state(fd);

	if (s < 0) {
		dki_diagf(diag, "cannot read the state file %s: %s", path,
			  strerror(errno));
		return DK_EIO;
	}
	if (s == 0) {
		dki_diagf(diag,
			  "%s is not a danekit state file (its first line is "
			  "not \"" DKR_STATE_MAGIC "...\"): it is never "
			  "overwritten; name another file",
			  path);
		return DK_EDATA;
	}
	return 0;
}

int dk_rollover_state_check(const char *path, struct dk_diag *diag)
{
	int fd = -1, r;

	if (!path || !*path) {
		return DK_EINVAL;
	}
	r = open_regular(path, &fd, diag);
	if (r == DK_EIO) {
		return 0; /* unreadable: dk_rollover_check() keeps no state */
	}
	if (r < 0 || fd < 0) {
		return r;
	}
	r = check_fd(path, fd, diag);
	close(fd);
	return r == DK_EIO ? 0 : r;
}

int dkr_state_load(const char *path, struct dkr_state *st, struct dk_diag *diag)
{
	FILE *f;
	char line[4096];
	int fd = -1, r;

	st->ents = NULL;
	st->n = 0;
	r = open_regular(path, &fd, diag);
	if (r < 0 || fd < 0) {
		return r;
	}
	r = check_fd(path, fd, diag);
	if (r < 0) {
		close(fd);
		return r;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return DK_ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		char owner[300], hex[2100];
		unsigned u, s, m;
		long long t;
		char rdata[2200];

		if (line[0] == '#' || line[0] == '\n') {
			continue;
		}
		if (sscanf(line, "%299s %u %u %u %2099s %lld", owner, &u, &s,
			   &m, hex, &t) != 6 ||
		    u > 255 || s > 255 || m > 255) {
			continue; /* a damaged line only loses its record */
		}
		snprintf(rdata, sizeof(rdata), "%u %u %u %s", u, s, m, hex);
		if (add_ent(st, owner, rdata, (time_t)t) < 0) {
			fclose(f);
			dkr_state_free(st);
			return DK_ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

static int mkdir_p(char *dir)
{
	char *p;

	for (p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				*p = '/';
				return -1;
			}
			*p = '/';
		}
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		return -1;
	}
	return 0;
}

int dkr_state_save(const char *path, const struct dkr_state *st,
		   struct dk_diag *diag)
{
	char *buf = NULL, *dir, *slash, *real = NULL;
	size_t len = 0;
	struct stat sb;
	FILE *out;
	int r, fd = -1;

	/* A symbolic link to a state file: the file it names is replaced. */
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		real = realpath(path, NULL);
		if (!real) {
			dki_diagf(diag, "the state file %s is a dangling link",
				  path);
			return DK_EEXIST;
		}
		path = real;
	}
	/* Checked again, and an unreadable file too: never overwrite what
	 * is not known to be a state file. */
	r = open_regular(path, &fd, diag);
	if (r == 0 && fd >= 0) {
		r = check_fd(path, fd, diag);
		close(fd);
	}
	if (r < 0) {
		free(real);
		return r;
	}
	dir = strdup(path);
	if (!dir) {
		free(real);
		return DK_ENOMEM;
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir) != 0) {
			dki_diagf(diag, "cannot make the folder %s: %s", dir,
				  strerror(errno));
			free(dir);
			free(real);
			return DK_EACCES;
		}
	}
	free(dir);
	out = open_memstream(&buf, &len);
	if (!out) {
		free(real);
		return DK_ENOMEM;
	}
	fprintf(out,
		DKR_STATE_MAGIC ": when each TLSA record was "
				"first seen on every\n# authoritative server. "
				"OWNER USAGE SELECTOR MTYPE DATA FIRST-SEEN\n");
	for (size_t i = 0; i < st->n; i++) {
		fprintf(out, "%s %s %lld\n", st->ents[i].owner,
			st->ents[i].rdata, (long long)st->ents[i].first_seen);
	}
	if (fclose(out) != 0) {
		free(buf);
		free(real);
		return DK_ENOMEM;
	}
	r = dkr_write_file(path, buf, len, 0600, 0, diag);
	free(buf);
	free(real);
	return r;
}

time_t dkr_state_seen(struct dkr_state *st, const char *owner,
		      const char *rdata, time_t now, int *changed)
{
	for (size_t i = 0; i < st->n; i++) {
		if (strcmp(st->ents[i].owner, owner) == 0 &&
		    strcmp(st->ents[i].rdata, rdata) == 0) {
			return st->ents[i].first_seen;
		}
	}
	if (add_ent(st, owner, rdata, now) == 0) {
		*changed = 1;
	}
	return now;
}

void dkr_state_prune(struct dkr_state *st, const char *owner,
		     const char *const *keep, size_t nkeep, int *changed)
{
	size_t j = 0;

	for (size_t i = 0; i < st->n; i++) {
		int found = strcmp(st->ents[i].owner, owner) != 0;

		for (size_t k = 0; !found && k < nkeep; k++) {
			found = strcmp(st->ents[i].rdata, keep[k]) == 0;
		}
		if (found) {
			st->ents[j++] = st->ents[i];
		} else {
			free(st->ents[i].owner);
			free(st->ents[i].rdata);
			*changed = 1;
		}
	}
	st->n = j;
}
