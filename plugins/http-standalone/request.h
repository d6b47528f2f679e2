/* The HTTP/1.x request head the standalone server reads: only what an
 * ACME validator sends (GET or HEAD of /.well-known/acme-challenge/TOKEN)
 * is understood; everything is bounded by REQ_HEAD_MAX. Pure: no I/O, so
 * it is fuzzed on its own (tests/fuzz/standalone). */
#ifndef ACMEHOOK_STANDALONE_REQUEST_H
#define ACMEHOOK_STANDALONE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define REQ_HEAD_MAX 4096 /* request line and headers together */
#define REQ_TOKEN_MAX 256

enum req_status {
	REQ_MORE,     /* the head is not complete yet: read on */
	REQ_DONE,     /* a complete, well-formed head */
	REQ_BAD,      /* malformed: answer 400 */
	REQ_TOO_LONG, /* no end of head within REQ_HEAD_MAX: answer 431 */
};

struct req {
	bool head;                        /* HEAD rather than GET */
	bool method_ok;                   /* GET or HEAD; otherwise answer 405 */
	bool challenge;                   /* the target is a challenge path */
	char token[REQ_TOKEN_MAX + 1];    /* its token, when challenge */
	int minor;                        /* HTTP/1.MINOR */
};

/* Parse the LEN bytes at BUF (not NUL-terminated) received so far. On
 * REQ_DONE *OUT describes the request; otherwise *OUT is untouched. */
enum req_status req_parse(const char *buf, size_t len, struct req *out);

#endif
