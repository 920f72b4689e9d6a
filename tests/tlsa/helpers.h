/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the tlsa tests: the fixtures made by mkfixtures.sh (their
 * folder is $DK_TLSA_FIXTURES), hex, files, and running the danekit
 * binary ($DANEKIT).
 */
#ifndef DK_TESTS_TLSA_HELPERS_H
#define DK_TESTS_TLSA_HELPERS_H

#include <stddef.h>
#include <stdint.h>

/* One line of expected.tsv: association data computed with openssl. */
struct fx_row {
	char *file; /* relative to the fixtures folder */
	char *kind; /* cert, privkey, pubkey, csr */
	int usage, selector, mtype;
	char *hex; /* lower-case hex, or "-": danekit must refuse */
};

/* The folder of the fixtures (absolute). */
const char *fx_dir(void);

/* "<fixtures>/<rel>", malloc()ed. */
char *fx_path(const char *rel);

/* All rows of expected.tsv, loaded once per process. */
const struct fx_row *fx_rows(size_t *ret_n);

/* The row of (file, usage, selector, mtype), or NULL. */
const struct fx_row *fx_find(const char *file, int usage, int selector,
			     int mtype);

/* Number of certificates of a file per kinds.tsv (-1 if not listed). */
int fx_ncerts(const char *file);

/*
 * Is @file a lone certificate that names no trust anchor (neither a CA
 * nor self-signed, per openssl in mkfixtures.sh: lone-leaf.txt)?
 */
int fx_lone_leaf(const char *file);

/* Hex <-> bytes, malloc()ed. fx_unhex returns NULL on bad hex. */
uint8_t *fx_unhex(const char *hex, size_t *ret_len);
char *fx_hex(const uint8_t *d, size_t n);

/* A whole file, malloc()ed (plus a NUL byte), or NULL. */
char *fx_slurp(const char *path, size_t *ret_len);

/*
 * A file <fixtures>/tmp/@name holding @text (names are unique per test);
 * its malloc()ed path.
 */
char *fx_tmpfile(const char *name, const char *text);

/* The result of running danekit. */
struct fx_run {
	int status; /* exit status, or 128 + signal */
	char *out;  /* stdout, NUL-terminated */
	size_t outlen;
	char *err; /* stderr, NUL-terminated */
	size_t errlen;
};

/*
 * Run "$DANEKIT ARGS..." (NULL-terminated) in the fixtures folder, with
 * standard input from @stdin_path (NULL: /dev/null; "|PATH": the file
 * PATH through a pipe).
 */
void fx_run(struct fx_run *r, const char *stdin_path, ...);
void fx_run_argv(struct fx_run *r, const char *stdin_path,
		 const char *const *args);
void fx_run_free(struct fx_run *r);

/*
 * When set, the next fx_run() drops CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH from the child's capability bounding set before it
 * runs danekit, so that file permissions bind root too (an unreadable
 * file is unreadable). Reset by fx_run().
 */
extern int fx_no_dac_override;

/* Number of '\n' in @s. */
size_t fx_lines(const char *s);

#endif
