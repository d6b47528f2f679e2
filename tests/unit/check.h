/* A minimal assertion kit for the unit tests: each CHECK counts, a failure
 * prints file:line and the expression, and check_done() prints the closing
 * "N passed, N failed" line and returns the exit status. */
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
	return check_failed ? 1 : 0;
}

#endif
