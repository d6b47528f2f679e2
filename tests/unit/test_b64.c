/* Base64 and base64url against the RFC 4648 §10 vectors, and the strict
 * decoders against the inputs they must refuse. */
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "check.h"

static void check_std(const char *plain, const char *encoded)
{
	unsigned char *dec = NULL;
	size_t len = 0;
	char *enc = b64_encode(plain, strlen(plain));

	CHECK_STR(enc, encoded);
	CHECK(b64_decode(encoded, &dec, &len) == 0);
	CHECK(dec && len == strlen(plain) && memcmp(dec, plain, len) == 0);
	free(enc);
	free(dec);
}

static bool url_rejects(const char *s)
{
	unsigned char *dec = NULL;
	size_t len = 0;
	int r = b64url_decode(s, &dec, &len);

	free(dec);
	return r == -1 && dec == NULL;
}

static bool std_rejects(const char *s)
{
	unsigned char *dec = NULL;
	size_t len = 0;
	int r = b64_decode(s, &dec, &len);

	free(dec);
	return r == -1 && dec == NULL;
}

int main(void)
{
	static const unsigned char odd[] = { 0xfb, 0xff };
	static const unsigned char odd3[] = { 0xfb, 0xff, 0xbf };
	unsigned char all[256], *dec = NULL;
	size_t len = 0;
	char *enc;

	/* RFC 4648 §10. */
	check_std("", "");
	check_std("f", "Zg==");
	check_std("fo", "Zm8=");
	check_std("foo", "Zm9v");
	check_std("foob", "Zm9vYg==");
	check_std("fooba", "Zm9vYmE=");
	check_std("foobar", "Zm9vYmFy");

	/* Standard base64: padding may also be absent, never partial. */
	CHECK(b64_decode("Zm9vYg", &dec, &len) == 0 && len == 4 && memcmp(dec, "foob", 4) == 0);
	free(dec);
	dec = NULL;
	CHECK(std_rejects("Zm9vYg="));
	CHECK(std_rejects("Zm9vYg==="));
	CHECK(std_rejects("Zm9v Yg=="));
	CHECK(std_rejects("Zm9vYg==\n"));
	CHECK(std_rejects("Zm9v_w=="));
	CHECK(std_rejects("Zm9vY"));

	/* Bytes that differ between the alphabets. */
	enc = b64_encode(odd, sizeof(odd));
	CHECK_STR(enc, "+/8=");
	free(enc);
	enc = b64url_encode(odd, sizeof(odd));
	CHECK_STR(enc, "-_8");
	CHECK(b64url_decode(enc, &dec, &len) == 0 && len == 2 && memcmp(dec, odd, 2) == 0);
	free(enc);
	free(dec);
	dec = NULL;
	enc = b64url_encode(odd3, sizeof(odd3));
	CHECK_STR(enc, "-_-_");
	free(enc);
	/* Padding is tolerated on base64url input. */
	CHECK(b64url_decode("-_8=", &dec, &len) == 0 && len == 2 && memcmp(dec, odd, 2) == 0);
	free(dec);
	dec = NULL;

	/* Every byte value survives a round trip at every length mod 3. */
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)(255 - i);
	for (size_t n = 253; n <= 256; n++) {
		enc = b64url_encode(all, n);
		CHECK(enc && strlen(enc) == (n * 4 + 2) / 3);
		CHECK(enc && !strchr(enc, '=') && !strchr(enc, '+') && !strchr(enc, '/'));
		CHECK(b64url_decode(enc, &dec, &len) == 0 && len == n && memcmp(dec, all, n) == 0);
		free(enc);
		free(dec);
		dec = NULL;
	}

	CHECK(url_rejects("+_8"));
	CHECK(url_rejects("-/8"));
	CHECK(url_rejects("-_ 8"));
	CHECK(url_rejects(" -_8"));
	CHECK(url_rejects("-_8\n"));
	CHECK(url_rejects("Zm9vY"));      /* 4n+1 */
	CHECK(url_rejects("Z"));
	CHECK(url_rejects("-_8=="));      /* padding past the quantum */
	CHECK(url_rejects("-_9"));        /* non-zero unused bits */
	CHECK(url_rejects(NULL));

	CHECK(!b64url_valid("", 10));
	CHECK(!b64url_valid(NULL, 10));
	CHECK(b64url_valid("abcXYZ019-_", 11));
	CHECK(!b64url_valid("abcXYZ019-_", 10));
	CHECK(!b64url_valid("abc+", 10));
	CHECK(!b64url_valid("abc/", 10));
	CHECK(!b64url_valid("ab=", 10));
	CHECK(!b64url_valid("../x", 10));
	CHECK(!b64url_valid("a b", 10));
	return check_done();
}
