/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay driver for the fuzz targets, for builds without libFuzzer (gcc,
 * or clang without the fuzzer runtime): feeds every file named on the
 * command line, or found in a folder named there, to
 * LLVMFuzzerTestOneInput() once. A crash, sanitizer report or failed
 * check ends the process; otherwise it says how many inputs ran.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *nb;

			cap = cap ? 2 * cap : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				fprintf(stderr, "%s: out of memory\n", path);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			break;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* Like libFuzzer: an exact-size heap copy, so overreads show. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		if (getenv("FUZZ_REPLAY_VERBOSE")) {
			fprintf(stderr, "%s (%zu bytes)\n", path, len);
		}
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int skip(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	size_t runs = 0;
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		struct dirent **ents = NULL;
		int n;

		if (stat(argv[i], &sb) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			bad |= run_file(argv[i]) < 0;
			runs++;
			continue;
		}
		n = scandir(argv[i], &ents, skip, alphasort);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 ents[j]->d_name);
			bad |= run_file(path) < 0;
			runs++;
			free(ents[j]);
		}
		free(ents);
	}
	printf("%zu inputs replayed\n", runs);
	return bad ? 1 : 0;
}
