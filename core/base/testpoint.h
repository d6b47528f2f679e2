/* Pause points for tests of concurrency and crashes.
 *
 * Built only with the CMake option ACMEHOOK_TESTPOINTS=ON (the test suite's
 * build). Then testpoint(NAME) looks at ACMEHOOK_TESTPOINT, a comma list of
 * "POINT", "POINT:pause" or "POINT:kill":
 *   pause  create $ACMEHOOK_TESTPOINT_DIR/POINT.reached, then wait (at most
 *          120 s) until $ACMEHOOK_TESTPOINT_DIR/POINT.go exists;
 *   kill   raise SIGKILL at once, as a crash or a power cut would.
 * Without the option testpoint() is empty and reads no environment, so a
 * release build cannot be steered by it. */
#ifndef ACMEHOOK_BASE_TESTPOINT_H
#define ACMEHOOK_BASE_TESTPOINT_H

#include <stdbool.h>

#ifdef ACMEHOOK_TESTPOINTS
void testpoint(const char *name);
static inline bool testpoints_compiled(void)
{
	return true;
}
#else
static inline void testpoint(const char *name)
{
	(void)name;
}
static inline bool testpoints_compiled(void)
{
	return false;
}
#endif

#endif
