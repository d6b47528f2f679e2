/* Base64 and base64url (RFC 4648) with strict decoders.
 *
 * Decoders reject anything outside their alphabet, including whitespace,
 * because every input here either came from a server or is about to become
 * part of a file path, and a lenient decoder would let two different
 * strings name the same bytes.
 */
#ifndef ACMEHOOK_B64_H
#define ACMEHOOK_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Base64url without padding. Returns a malloc'd string the caller frees,
 * or NULL on allocation failure. */
char *b64url_encode(const void *data, size_t len);

/* Decode base64url; trailing '=' padding is tolerated (but must then be
 * complete), anything else outside [A-Za-z0-9_-] is rejected, as is a
 * length of 4n+1 or non-zero unused trailing bits. On success returns 0
 * and stores a malloc'd buffer (NUL-terminated for convenience, the NUL not
 * counted in *OUTLEN) the caller frees; on failure returns -1 and leaves
 * the outputs untouched. */
int b64url_decode(const char *s, unsigned char **out, size_t *outlen);

/* Standard base64 with '=' padding. Malloc'd, NULL on allocation failure. */
char *b64_encode(const void *data, size_t len);

/* Decode standard base64: padding is either complete or entirely absent,
 * no whitespace. Same ownership rules as b64url_decode. */
int b64_decode(const char *s, unsigned char **out, size_t *outlen);

/* True when S is non-empty, at most MAX_LEN bytes and uses only
 * [A-Za-z0-9_-]; used to vet ACME tokens before they touch a path. */
bool b64url_valid(const char *s, size_t max_len);

#endif
