/* DER (X.690 distinguished encoding) for the few structures the engine
 * builds and reads itself: CSRs, SubjectPublicKeyInfo and PKCS#8 keys.
 *
 * The writer appends TLVs to one buffer it owns and never lets grow past a
 * cap; constructed elements are opened with der_begin and closed with
 * der_end, which fills in the definite length. Errors are sticky: after
 * the first failure every call does nothing and der_finish reports it, so
 * a builder checks once at the end. The buffer may hold private keys, so
 * it is wiped whenever it is moved or freed.
 *
 * The reader is strict: low tag numbers only, definite lengths in their
 * shortest form, no element running past its parent, a nesting limit. It
 * never copies: contents point into the caller's bytes.
 */
#ifndef ACMEHOOK_BASE_DER_H
#define ACMEHOOK_BASE_DER_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/bn.h>

/* Universal tags and the constructed context-specific [N]. */
enum {
	DER_BOOLEAN = 0x01,
	DER_INTEGER = 0x02,
	DER_BIT_STRING = 0x03,
	DER_OCTET_STRING = 0x04,
	DER_NULL = 0x05,
	DER_OID = 0x06,
	DER_UTF8STRING = 0x0c,
	DER_IA5STRING = 0x16,
	DER_SEQUENCE = 0x30,
	DER_SET = 0x31,
};
#define DER_CONTEXT(n) (0xa0 | (n))          /* [N], constructed */
#define DER_CONTEXT_PRIM(n) (0x80 | (n))     /* [N] IMPLICIT, primitive */

/* Deeper nesting than this is refused by both sides; the structures here
 * need at most 7 levels. */
#define DER_MAX_DEPTH 16

struct der_writer {
	unsigned char *buf;               /* owned; wiped before free */
	size_t len, cap, max;
	size_t open[DER_MAX_DEPTH];       /* where each open element's contents start */
	int depth;
	bool failed;
};

/* An empty writer whose output may not exceed MAX bytes. */
void der_writer_init(struct der_writer *w, size_t max);
/* Wipe and free the buffer; fine on a finished or failed writer. */
void der_writer_free(struct der_writer *w);

/* Open a constructed element (or a primitive one whose contents are
 * written piecewise, such as a BIT STRING holding DER) of tag TAG. */
void der_begin(struct der_writer *w, unsigned char tag);
/* Close the innermost open element. */
void der_end(struct der_writer *w);
/* A complete element of tag TAG with the N content bytes at P. */
void der_put(struct der_writer *w, unsigned char tag, const void *p, size_t n);
/* N bytes at P, already DER, as they are. */
void der_put_raw(struct der_writer *w, const void *p, size_t n);
/* A non-negative INTEGER from the N-byte big-endian magnitude at P
 * (leading zeros dropped, a 0x00 added where the top bit is set). */
void der_put_uint(struct der_writer *w, const unsigned char *p, size_t n);
/* A non-negative INTEGER from BN (a negative one fails the writer). */
void der_put_bn(struct der_writer *w, const BIGNUM *bn);
/* A BIT STRING with no unused bits holding the N bytes at P. */
void der_put_bits(struct der_writer *w, const void *p, size_t n);

/* The encoding: 0 with *OUT (malloc'd, the caller owns and wipes it if it
 * holds secrets) and *LEN, or -1 when any call failed or an element is
 * still open. The writer is emptied either way. */
int der_finish(struct der_writer *w, unsigned char **out, size_t *len);

struct der_reader {
	const unsigned char *p;           /* borrowed */
	size_t len;
	int depth;
};

/* A reader over the N bytes at P. */
void der_reader_init(struct der_reader *r, const void *p, size_t n);
/* True when nothing is left. */
bool der_at_end(const struct der_reader *r);
/* The tag of the next element, or -1 at the end. */
int der_peek(const struct der_reader *r);
/* Read the next element, which must have tag TAG: 0 with *IN over its
 * contents (one level deeper) and R past it, or -1 with R unchanged. */
int der_get(struct der_reader *r, unsigned char tag, struct der_reader *in);
/* The next element whole (tag, length and contents) into *P and *N. */
int der_get_raw(struct der_reader *r, const unsigned char **p, size_t *n);
/* A non-negative INTEGER in minimal form: *P and *N get its magnitude
 * without the leading 0x00 (N is 0 for zero). */
int der_get_uint(struct der_reader *r, const unsigned char **p, size_t *n);
/* An INTEGER that must equal the small non-negative VALUE. */
int der_get_small(struct der_reader *r, unsigned value);
/* A BIT STRING with no unused bits: *P and *N get its bytes. */
int der_get_bits(struct der_reader *r, const unsigned char **p, size_t *n);
/* True when the next element has tag TAG and exactly the N content bytes
 * at P (an OID, NULL or another fixed value); it is then consumed. */
bool der_get_fixed(struct der_reader *r, unsigned char tag, const void *p, size_t n);

#endif
