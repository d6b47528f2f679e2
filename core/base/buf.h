/* A growable byte buffer with an optional hard cap, used for every body
 * read from the network so a hostile peer cannot make us allocate without
 * bound. */
#ifndef ACMEHOOK_BUF_H
#define ACMEHOOK_BUF_H

#include <stddef.h>

struct buf {
	char *data;    /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t limit;  /* 0: unlimited; otherwise appends past it fail */
};

/* Append N bytes. Returns 0, or -1 on allocation failure or when the
 * limit would be passed (the buffer is then unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Take ownership of the contents (never NULL on success); resets B. */
char *buf_steal(struct buf *b);
void buf_reset(struct buf *b);
/* Wipes before freeing: buffers may hold keys or tokens. */
void buf_free(struct buf *b);

#endif
