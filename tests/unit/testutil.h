/* File helpers shared by the unit tests: building paths, staging files
 * into temporary directories and removing them again. Static inline, so a
 * test that uses only some of them compiles without warnings. */
#ifndef ACMEHOOK_TEST_UTIL_H
#define ACMEHOOK_TEST_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* snprintf for paths: a test path that does not fit is a broken test. */
static inline void pathf(char *dst, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void pathf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		abort();
}

/* Remove PATH and everything below it (directories made unwritable by a
 * test are made writable first). */
static inline void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char sub[4096];

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		pathf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rm_rf(sub);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/* A whole file, malloc'd and NUL-terminated; NULL when unreadable. */
static inline char *slurp_len(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

static inline char *slurp(const char *path)
{
	return slurp_len(path, NULL);
}

/* Write LEN bytes to PATH and give it MODE. */
static inline int write_data(const char *path, const char *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) != 0 || !ok)
		return -1;
	return chmod(path, mode);
}

static inline int write_file(const char *path, const char *text, mode_t mode)
{
	return write_data(path, text, strlen(text), mode);
}

/* Copy SRC to DST with MODE. */
static inline int copy_file(const char *src, const char *dst, mode_t mode)
{
	size_t len = 0;
	char *data = slurp_len(src, &len);
	int rc;

	if (!data)
		return -1;
	rc = write_data(dst, data, len, mode);
	free(data);
	return rc;
}

/* The permission bits of P (0 when it does not exist). */
static inline mode_t mode_of(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (st.st_mode & 07777) : 0;
}

/* The entries of DIR other than "." and "..", or -1 when it cannot be read. */
static inline int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

#endif
