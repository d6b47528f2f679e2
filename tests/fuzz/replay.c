/* Replays fuzz corpora as ordinary tests where libFuzzer is not
 * available: every file of every directory (or file) named on the command
 * line goes through LLVMFuzzerTestOneInput once, after a few built-in
 * edge inputs. Each input is copied into a buffer of exactly its size so
 * a sanitizer build catches reads past the end, as libFuzzer would. A
 * crash or abort fails the test; an input that returns counts as passed. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long passed;

static void run_one(const uint8_t *data, size_t size)
{
	/* malloc(0) may return NULL; give the target a real pointer anyway. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy) {
		fprintf(stderr, "replay: out of memory for a %zu-byte input\n", size);
		exit(1);
	}
	if (size)
		memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
	passed++;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;
		if (len == cap) {
			uint8_t *p = realloc(data, cap ? cap * 2 : 4096);
			if (!p) {
				fprintf(stderr, "replay: out of memory reading %s\n", path);
				exit(1);
			}
			data = p;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	run_one(data, len);
	free(data);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of DIR in name order, so runs are reproducible. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	if (!d) {
		fprintf(stderr, "replay: cannot open directory %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char **p;
		if (de->d_name[0] == '.')
			continue;
		p = realloc(names, (n + 1) * sizeof(*names));
		if (!p || !(p[n] = strdup(de->d_name))) {
			fprintf(stderr, "replay: out of memory listing %s\n", dir);
			exit(1);
		}
		names = p;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path) < 0)
			ret = -1;
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	static uint8_t big[64 * 1024];
	int failed = 0;

	run_one((const uint8_t *)"", 0);
	run_one((const uint8_t *)"\0", 1);
	memset(big, 'A', sizeof(big));
	run_one(big, sizeof(big));

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			failed++;
		} else if (S_ISDIR(st.st_mode) ? run_dir(argv[i]) < 0 : run_file(argv[i]) < 0) {
			failed++;
		}
	}
	printf("%lu passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
