/* Base64 and base64url decoders: never crash, and a decoded value
 * re-encodes to the very text it came from (padding aside), because the
 * decoders are strict on purpose: two strings must never name the same
 * bytes. */
#include <stdbool.h>

#include "base/b64.h"
#include "fuzz_util.h"

/* S without any trailing '=' characters, as a new string. */
static char *strip_padding(const char *s)
{
	size_t n = strlen(s);
	char *out;

	while (n && s[n - 1] == '=')
		n--;
	out = fuzz_cstr((const uint8_t *)s, n);
	return out;
}

static void round_trip(const char *s, int (*decode)(const char *, unsigned char **, size_t *),
                       char *(*encode)(const void *, size_t))
{
	unsigned char *out = NULL, *again = NULL;
	size_t outlen = 0, againlen = 0;
	char *enc, *a, *b;

	if (decode(s, &out, &outlen) < 0)
		return;
	if (out[outlen] != '\0')
		abort(); /* documented: NUL-terminated for convenience */
	enc = encode(out, outlen);
	if (!enc)
		abort();
	if (decode(enc, &again, &againlen) < 0)
		abort();
	if (againlen != outlen || memcmp(again, out, outlen) != 0)
		abort();
	a = strip_padding(s);
	b = strip_padding(enc);
	if (strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
	free(again);
	free(enc);
	free(out);
}

static bool in_url_alphabet(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	size_t n = strlen(s);
	const size_t limits[] = {0, 1, 16, 64, 4096};

	round_trip(s, b64url_decode, b64url_encode);
	round_trip(s, b64_decode, b64_encode);
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		bool want = n > 0 && n <= limits[i] && in_url_alphabet(s);
		if (b64url_valid(s, limits[i]) != want)
			abort();
	}
	free(s);
	return 0;
}
