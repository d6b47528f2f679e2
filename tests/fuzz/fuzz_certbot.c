/* certbot's files: the first byte picks the parser, the rest is the input.
 *   0  crypto_key_from_jwk (private_key.json): a key it returns is RSA or EC
 *   1  certbot_regr_parse (regr.json): the URL is https and printable
 *   2  cobj_parse, cobj_decode of every value, and for each single value
 *      cobj_put, cobj_parse, cobj_decode must give the same value back
 * Refusals are one non-empty line. */
#include "base/buf.h"
#include "base/crypto.h"
#include "conf/configobj.h"
#include "conf/internal.h"
#include "fuzz_util.h"
#include "store/certbot_account.h"

static void refusal(const struct error *e)
{
	if (!e->msg[0] || strchr(e->msg, '\n'))
		abort();
}

static void jwk(const char *text, size_t len)
{
	struct error e = {0};
	EVP_PKEY *key = crypto_key_from_jwk(text, len, &e);

	if (!key) {
		refusal(&e);
		return;
	}
	if (!EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "EC"))
		abort();
	EVP_PKEY_free(key);
}

static void regr(const char *text, size_t len)
{
	struct error e = {0};
	char *url = NULL;

	if (certbot_regr_parse(text, len, &url, &e) < 0) {
		refusal(&e);
		return;
	}
	if (strncmp(url, "https://", 8) != 0)
		abort();
	for (const char *p = url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			abort();
	free(url);
}

/* VALUE written by cobj_put reads back as VALUE. */
static void round_trip(const char *value)
{
	struct buf b = {0};
	struct cobj_file f = {0};
	struct error e = {0};
	char **back = NULL;
	bool list;

	if (cobj_put(&b, "k", value, &e) < 0) {
		refusal(&e);
		return;
	}
	if (cobj_parse(b.data, "round-trip", &f, &e) < 0 || f.n != 1 || !f.l[0].key ||
	    cobj_decode(f.l[0].value, &back, &list, "round-trip", &e) < 0 || list || !back[0] ||
	    back[1] || strcmp(back[0], value) != 0)
		abort();
	conf_strv_free(back);
	cobj_free(&f);
	buf_free(&b);
}

static void configobj(const char *text)
{
	struct cobj_file f = {0};
	struct error e = {0};

	if (cobj_parse(text, "fuzz.conf", &f, &e) < 0) {
		refusal(&e);
		return;
	}
	for (size_t i = 0; i < f.n; i++) {
		char **v = NULL;
		bool list;
		struct error d = {0};
		if (!f.l[i].key)
			continue;
		if (cobj_decode(f.l[i].value, &v, &list, "fuzz.conf", &d) < 0) {
			refusal(&d);
			continue;
		}
		if (!v)
			abort();
		for (size_t k = 0; v[k]; k++)
			round_trip(v[k]);
		conf_strv_free(v);
	}
	cobj_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = fuzz_cstr(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		jwk(text, strlen(text));
		break;
	case 1:
		regr(text, strlen(text));
		break;
	default:
		configobj(text);
		break;
	}
	free(text);
	return 0;
}
