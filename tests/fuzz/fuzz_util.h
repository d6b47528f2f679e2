/* Helpers shared by the fuzz harnesses. Everything is static inline so
 * each harness stays a single translation unit with no extra prototypes. */
#ifndef ACMEHOOK_FUZZ_UTIL_H
#define ACMEHOOK_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (it ends at the first NUL byte,
 * as it would for any C string parser). Aborts on allocation failure so
 * an out-of-memory condition is never mistaken for a rejected input. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Write the input to a fresh file under /tmp; PATH (at least 64 bytes)
 * gets its name. The caller unlinks it. Returns 0 or -1. */
static inline int fuzz_tempfile(const uint8_t *data, size_t size, char *path, size_t cap)
{
	int fd;
	size_t off = 0;

	if (snprintf(path, cap, "/tmp/acmehook-fuzz-XXXXXX") >= (int)cap)
		return -1;
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	close(fd);
	return 0;
}

#endif
