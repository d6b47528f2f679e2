/* A minimal assertion kit for the unit tests: each CHECK counts, a failure
 * prints file:line and the expression, and check_done() prints the closing
 * "N passed, N failed" line and returns the exit status. A test that made
 * no check at all fails: it proves nothing, and usually means its cases
 * were skipped by mistake. */
#ifndef ACMEHOOK_TEST_CHECK_H
#define ACMEHOOK_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(expr)                                                         \
	do {                                                                \
		if (expr) {                                                 \
			check_passed++;                                     \
		} else {                                                    \
			check_failed++;                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #expr);                           \
		}                                                           \
	} while (0)

#define CHECK_STR(a, b)                                                     \
	do {                                                                \
		const char *ca_ = (a), *cb_ = (b);                          \
		if (ca_ && cb_ && strcmp(ca_, cb_) == 0) {                  \
			check_passed++;                                     \
		} else {                                                    \
			check_failed++;                                     \
			fprintf(stderr, "%s:%d: %s == %s: got \"%s\", want \"%s\"\n", \
			        __FILE__, __LINE__, #a, #b, ca_ ? ca_ : "(null)", \
			        cb_ ? cb_ : "(null)");                      \
		}                                                           \
	} while (0)

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	if (check_passed + check_failed == 0) {
		fprintf(stderr, "no checks ran: a test must make at least one CHECK to pass\n");
		return 1;
	}
	return check_failed ? 1 : 0;
}

#endif
