/* Test points (see testpoint.h); compiled only for the test suite. */
#include "base/testpoint.h"

#ifdef ACMEHOOK_TESTPOINTS

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The action ACMEHOOK_TESTPOINT asks of point NAME, or NULL when it does
 * not name it. Copied into ACTION (CAP bytes). */
static const char *wanted(const char *spec, const char *name, char *action, size_t cap)
{
	size_t n = strlen(name);

	for (const char *p = spec; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len >= n && strncmp(p, name, n) == 0 && (len == n || p[n] == ':')) {
			size_t alen = len == n ? 0 : len - n - 1;
			if (alen == 0)
				snprintf(action, cap, "pause");
			else
				snprintf(action, cap, "%.*s", (int)alen, p + n + 1);
			return action;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static void pause_at(const char *name)
{
	const char *dir = getenv("ACMEHOOK_TESTPOINT_DIR");
	char reached[PATH_MAX], go[PATH_MAX];
	struct timespec step = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
	int fd;

	if (!dir || !*dir) {
		fprintf(stderr, "acmehook: testpoint %s: ACMEHOOK_TESTPOINT_DIR is not set\n", name);
		return;
	}
	snprintf(reached, sizeof(reached), "%s/%s.reached", dir, name);
	snprintf(go, sizeof(go), "%s/%s.go", dir, name);
	fd = open(reached, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "acmehook: testpoint %s: cannot create %s: %s\n", name, reached,
		        strerror(errno));
		return;
	}
	close(fd);
	/* 12000 steps of 10 ms: a test that never releases the point does
	 * not hang the run for ever. */
	for (int i = 0; i < 12000 && access(go, F_OK) != 0; i++)
		nanosleep(&step, NULL);
}

void testpoint(const char *name)
{
	const char *spec = getenv("ACMEHOOK_TESTPOINT");
	char action[16];

	if (!spec || !wanted(spec, name, action, sizeof(action)))
		return;
	if (strcmp(action, "kill") == 0)
		raise(SIGKILL);
	else if (strcmp(action, "pause") == 0)
		pause_at(name);
	else
		fprintf(stderr, "acmehook: testpoint %s: unknown action \"%s\"\n", name, action);
}

#endif
