/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the fuzz targets: the libFuzzer entry point and a check that
 * aborts (so that libFuzzer and the replay driver both report it).
 */
#ifndef DANEKIT_FUZZ_H
#define DANEKIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/* A NUL-terminated copy of @data (NULL on allocation failure). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		for (size_t i = 0; i < size; i++) {
			s[i] = (char)data[i];
		}
		s[size] = '\0';
	}
	return s;
}

#endif
