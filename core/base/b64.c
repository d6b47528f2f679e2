#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/b64.h"

static const char std_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *encode(const char *alphabet, bool pad, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t olen, i, o = 0;
	char *out;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	olen = (len + 2) / 3 * 4;
	out = malloc(olen + 1);
	if (!out)
		return NULL;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

static int sextet(bool url, char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Both alphabets take padding as all-or-nothing: either it is absent or it
 * completes the last quantum, so "QQ=" and "QQ===" are rejected. */
static int decode(bool url, const char *s, unsigned char **out, size_t *outlen)
{
	size_t len, npad = 0, dlen, i, o = 0;
	unsigned char *res = NULL;
	uint32_t acc = 0;
	int bits = 0;

	if (!s)
		return -1;
	len = strlen(s);
	while (len > 0 && s[len - 1] == '=') {
		len--;
		npad++;
	}
	if (len % 4 == 1)
		return -1;
	if (npad && (len + npad) % 4 != 0)
		return -1;
	if (npad > 2)
		return -1;
	dlen = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	res = malloc(dlen + 1);
	if (!res)
		return -1;
	for (i = 0; i < len; i++) {
		int v = sextet(url, s[i]);

		if (v < 0)
			goto fail;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			res[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	/* Leftover bits must be zero, so each byte string has exactly one
	 * encoding. */
	if (bits && (acc & ((1u << bits) - 1)) != 0)
		goto fail;
	res[o] = '\0';
	*out = res;
	*outlen = o;
	return 0;
fail:
	/* What was decoded so far may be part of a private key. */
	OPENSSL_cleanse(res, o);
	free(res);
	return -1;
}

char *b64url_encode(const void *data, size_t len)
{
	return encode(url_alphabet, false, data, len);
}

int b64url_decode(const char *s, unsigned char **out, size_t *outlen)
{
	return decode(true, s, out, outlen);
}

char *b64_encode(const void *data, size_t len)
{
	return encode(std_alphabet, true, data, len);
}

int b64_decode(const char *s, unsigned char **out, size_t *outlen)
{
	return decode(false, s, out, outlen);
}

bool b64url_valid(const char *s, size_t max_len)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; s[n]; n++) {
		if (n >= max_len || sextet(true, s[n]) < 0)
			return false;
	}
	return true;
}
