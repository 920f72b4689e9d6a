/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dkt.h"
#include "helpers.h"

const char *fx_dir(void)
{
	const char *d = getenv("DK_TLSA_FIXTURES");

	cr_assert(d && *d,
		  "DK_TLSA_FIXTURES is not set (run through meson test)");
	return d;
}

char *fx_path(const char *rel)
{
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s", fx_dir(), rel) > 0);
	return p;
}

char *fx_slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		return NULL;
	}
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			cr_assert(buf);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			break;
		}
	}
	fclose(f);
	buf[len] = '\0';
	if (ret_len) {
		*ret_len = len;
	}
	return buf;
}

static struct fx_row *rows;
static size_t nrows;

struct kind_row {
	char *file;
	int ncerts;
};
static struct kind_row *kinds;
static size_t nkinds;

static char *next_field(char **p)
{
	char *s = *p, *t = strchr(s, '\t');

	if (t) {
		*t = '\0';
		*p = t + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

static void load(void)
{
	char *path, *text, *line, *save = NULL;

	if (rows) {
		return;
	}
	path = fx_path("expected.tsv");
	text = fx_slurp(path, NULL);
	cr_assert(text, "cannot read %s", path);
	free(path);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct fx_row r;
		char *p = line;

		r.file = strdup(next_field(&p));
		r.kind = strdup(next_field(&p));
		r.usage = atoi(next_field(&p));
		r.selector = atoi(next_field(&p));
		r.mtype = atoi(next_field(&p));
		r.hex = strdup(next_field(&p));
		cr_assert(*r.hex, "expected.tsv: short line for %s", r.file);
		rows = realloc(rows, (nrows + 1) * sizeof(*rows));
		cr_assert(rows);
		rows[nrows++] = r;
	}
	free(text);
	cr_assert(nrows > 1000, "expected.tsv holds only %zu rows", nrows);

	path = fx_path("kinds.tsv");
	text = fx_slurp(path, NULL);
	cr_assert(text, "cannot read %s", path);
	free(path);
	save = NULL;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = line;
		struct kind_row k;

		k.file = strdup(next_field(&p));
		(void)next_field(&p);
		k.ncerts = atoi(next_field(&p));
		kinds = realloc(kinds, (nkinds + 1) * sizeof(*kinds));
		cr_assert(kinds);
		kinds[nkinds++] = k;
	}
	free(text);
}

const struct fx_row *fx_rows(size_t *ret_n)
{
	load();
	*ret_n = nrows;
	return rows;
}

const struct fx_row *fx_find(const char *file, int usage, int selector,
			     int mtype)
{
	load();
	for (size_t i = 0; i < nrows; i++) {
		if (strcmp(rows[i].file, file) == 0 && rows[i].usage == usage &&
		    rows[i].selector == selector && rows[i].mtype == mtype) {
			return &rows[i];
		}
	}
	return NULL;
}

int fx_ncerts(const char *file)
{
	load();
	for (size_t i = 0; i < nkinds; i++) {
		if (strcmp(kinds[i].file, file) == 0) {
			return kinds[i].ncerts;
		}
	}
	return -1;
}

int fx_lone_leaf(const char *file)
{
	char *path = fx_path("lone-leaf.txt");
	FILE *f = fopen(path, "r");
	char line[512];
	int found = 0;

	cr_assert(f, "%s is missing (run mkfixtures.sh)", path);
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = strcmp(line, file) == 0;
	}
	fclose(f);
	free(path);
	return found;
}

uint8_t *fx_unhex(const char *hex, size_t *ret_len)
{
	size_t n = strlen(hex);
	uint8_t *d;

	if (n % 2) {
		return NULL;
	}
	d = malloc(n / 2 + 1);
	cr_assert(d);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			free(d);
			return NULL;
		}
		d[i] = (uint8_t)v;
	}
	*ret_len = n / 2;
	return d;
}

char *fx_hex(const uint8_t *d, size_t n)
{
	char *s = malloc(2 * n + 1);

	cr_assert(s);
	for (size_t i = 0; i < n; i++) {
		snprintf(s + 2 * i, 3, "%02x", d[i]);
	}
	s[2 * n] = '\0';
	return s;
}

char *fx_tmpfile(const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	/* tmp/ of the fixtures; each test uses its own names */
	cr_assert(asprintf(&path, "%s/tmp/%s", fx_dir(), name) > 0);
	unlink(path);
	f = fopen(path, "w");
	cr_assert(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	return path;
}

static char *read_fd(int fd, size_t *ret_len)
{
	struct stat sb;
	char *buf;
	size_t len = 0;

	cr_assert(fstat(fd, &sb) == 0);
	buf = malloc((size_t)sb.st_size + 1);
	cr_assert(buf);
	lseek(fd, 0, SEEK_SET);
	while (len < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)sb.st_size - len);

		cr_assert(n > 0);
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

int fx_no_dac_override;

void fx_run_argv(struct fx_run *r, const char *stdin_path,
		 const char *const *args)
{
	const char *exe = getenv("DANEKIT");
	char outname[] = "/tmp/dk-tlsa-out.XXXXXX";
	char errname[] = "/tmp/dk-tlsa-err.XXXXXX";
	int outfd, errfd, st;
	size_t n = 0;
	const char **argv;
	pid_t pid, writer = -1;
	int pipe_in = -1;

	cr_assert(exe && *exe, "DANEKIT is not set (run through meson test)");
	while (args[n]) {
		n++;
	}
	argv = calloc(n + 2, sizeof(*argv));
	cr_assert(argv);
	argv[0] = exe;
	memcpy(argv + 1, args, n * sizeof(*argv));
	outfd = mkstemp(outname);
	errfd = mkstemp(errname);
	cr_assert(outfd >= 0 && errfd >= 0);
	unlink(outname);
	unlink(errname);
	fflush(NULL);
	if (stdin_path && stdin_path[0] == '|') {
		/* standard input through a pipe, fed by a child process */
		int fd[2];

		cr_assert(pipe(fd) == 0);
		writer = fork();
		cr_assert(writer >= 0);
		if (writer == 0) {
			int src = open(stdin_path + 1, O_RDONLY);
			char buf[65536];
			ssize_t k;

			signal(SIGPIPE, SIG_IGN);
			close(fd[0]);
			while (src >= 0 &&
			       (k = read(src, buf, sizeof(buf))) > 0) {
				if (write(fd[1], buf, (size_t)k) != k) {
					break;
				}
			}
			_exit(0);
		}
		close(fd[1]);
		pipe_in = fd[0];
	}
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int in = pipe_in >= 0
				 ? pipe_in
				 : open(stdin_path ? stdin_path : "/dev/null",
					O_RDONLY);

		if (in < 0 || chdir(fx_dir()) != 0 || dup2(in, 0) < 0 ||
		    dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0) {
			_exit(127);
		}
		/* Root keeps no capability past the bounding set at exec. */
		if (fx_no_dac_override && geteuid() == 0 &&
		    (prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0 ||
		     prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0) !=
			     0)) {
			_exit(126);
		}
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	if (pipe_in >= 0) {
		close(pipe_in);
	}
	cr_assert(waitpid(pid, &st, 0) == pid);
	if (writer > 0) {
		int wst;

		cr_assert(waitpid(writer, &wst, 0) == writer);
	}
	free(argv);
	fx_no_dac_override = 0;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = read_fd(outfd, &r->outlen);
	r->err = read_fd(errfd, &r->errlen);
	dkt_json_seen(NULL, r->out, r->status);
	close(outfd);
	close(errfd);
}

void fx_run(struct fx_run *r, const char *stdin_path, ...)
{
	const char *args[64];
	size_t n = 0;
	va_list ap;

	va_start(ap, stdin_path);
	while ((args[n] = va_arg(ap, const char *)) != NULL) {
		n++;
		cr_assert(n < 63);
	}
	va_end(ap);
	fx_run_argv(r, stdin_path, args);
}

void fx_run_free(struct fx_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

size_t fx_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		n += *s == '\n';
	}
	return n;
}
