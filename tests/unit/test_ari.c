/* Renewal due dates: the lifetime rule (a third left, or half for
 * lifetimes of 10 days or less), RFC 3339 times, renewal window answers
 * (good and malformed), the moment picked inside a window, the RFC 9773
 * certificate identifier, and the directory's renewalInfo and profiles. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "acme/ari.h"
#include "acme/objects.h"
#include "base/crypto.h"
#include "check.h"
#include "cli/due.h"

#define DAY 86400

static void test_lifetime(void)
{
	time_t nb = 1767225600;

	/* 90 days: due with less than 30 days left. */
	CHECK(!due_by_lifetime(nb, nb + 90 * DAY, nb + 59 * DAY));
	CHECK(!due_by_lifetime(nb, nb + 90 * DAY, nb + 60 * DAY));
	CHECK(due_by_lifetime(nb, nb + 90 * DAY, nb + 60 * DAY + 1));
	/* 11 days is not short-lived: a third. */
	CHECK(!due_by_lifetime(nb, nb + 11 * DAY, nb + 6 * DAY));
	CHECK(due_by_lifetime(nb, nb + 11 * DAY, nb + 8 * DAY));
	/* 10 days and less: half. */
	CHECK(!due_by_lifetime(nb, nb + 10 * DAY, nb + 4 * DAY));
	CHECK(due_by_lifetime(nb, nb + 10 * DAY, nb + 5 * DAY + 1));
	CHECK(!due_by_lifetime(nb, nb + 6 * DAY, nb + 3 * DAY - 1));
	CHECK(due_by_lifetime(nb, nb + 6 * DAY, nb + 3 * DAY + 1));
	/* Expired or not yet valid. */
	CHECK(due_by_lifetime(nb, nb + 90 * DAY, nb + 91 * DAY));
	CHECK(!due_by_lifetime(nb, nb + 90 * DAY, nb - DAY));
}

static void test_times(void)
{
	time_t t = 0;

	CHECK(ari_time_parse("2026-01-01T00:00:00Z", &t) == 0 && t == 1767225600);
	CHECK(ari_time_parse("2026-01-01T00:00:00.123456Z", &t) == 0 && t == 1767225600);
	CHECK(ari_time_parse("2026-01-01T01:30:00+01:30", &t) == 0 && t == 1767225600);
	CHECK(ari_time_parse("2025-12-31T23:00:00-01:00", &t) == 0 && t == 1767225600);
	CHECK(ari_time_parse("2026-01-01t00:00:00z", &t) == 0 && t == 1767225600);
	t = 5;
	CHECK(ari_time_parse("2026-01-01", &t) < 0);
	CHECK(ari_time_parse("2026-01-01T00:00:00", &t) < 0);
	CHECK(ari_time_parse("2026-01-01T00:00:00Zjunk", &t) < 0);
	CHECK(ari_time_parse("2026-13-01T00:00:00Z", &t) < 0);
	CHECK(ari_time_parse("2026-01-01T24:00:00Z", &t) < 0);
	CHECK(ari_time_parse("2026-01-01T00:00:00.Z", &t) < 0);
	CHECK(ari_time_parse("yesterday", &t) < 0);
	CHECK(ari_time_parse("", &t) < 0);
	CHECK(t == 5);
}

static int parse(const char *text, struct ari_window *w, struct error *e)
{
	return ari_window_parse(text, strlen(text), "https://ca.example/ari/x.y", w, e);
}

static void test_window(void)
{
	struct ari_window w = {0};
	struct error e = {0};
	time_t at;

	CHECK(parse("{\"suggestedWindow\": {\"start\": \"2026-01-01T00:00:00Z\", "
	            "\"end\": \"2026-01-03T00:00:00Z\"}, "
	            "\"explanationURL\": \"https://ca.example/why\"}", &w, &e) == 0);
	CHECK(w.start == 1767225600 && w.end == 1767225600 + 2 * DAY);
	CHECK_STR(w.explanation, "https://ca.example/why");
	/* Never before the window; always after it; in it, from the pick on. */
	CHECK(!ari_window_due(&w, w.start - 1, 0, &at) && at == w.start);
	CHECK(ari_window_due(&w, w.start, 0, &at));
	CHECK(ari_window_due(&w, w.end + 1, 12345, &at));
	CHECK(!ari_window_due(&w, w.start + DAY - 1, DAY, &at) && at == w.start + DAY);
	CHECK(ari_window_due(&w, w.start + DAY, DAY, &at));
	for (unsigned long r = 0; r < 1000; r += 7) {
		CHECK(ari_window_due(&w, w.end, r * 104729ul, &at));
		CHECK(at >= w.start && at <= w.end);
	}
	ari_window_free(&w);

	/* A window of one instant. */
	CHECK(parse("{\"suggestedWindow\": {\"start\": \"2026-01-01T00:00:00Z\", "
	            "\"end\": \"2026-01-01T00:00:00Z\"}}", &w, &e) == 0);
	CHECK(w.explanation == NULL);
	CHECK(ari_window_due(&w, w.start, 99, &at) && at == w.start);
	ari_window_free(&w);

	w.start = 42;
	e = (struct error){0};
	CHECK(parse("not json", &w, &e) < 0 && strstr(e.msg, "not a JSON object"));
	e = (struct error){0};
	CHECK(parse("{}", &w, &e) < 0 && strstr(e.msg, "no suggestedWindow"));
	e = (struct error){0};
	CHECK(parse("{\"suggestedWindow\": {\"start\": \"2026-01-01T00:00:00Z\"}}", &w, &e) < 0);
	e = (struct error){0};
	CHECK(parse("{\"suggestedWindow\": {\"start\": \"soon\", \"end\": \"later\"}}", &w,
	            &e) < 0 && strstr(e.msg, "not an RFC 3339 time"));
	e = (struct error){0};
	CHECK(parse("{\"suggestedWindow\": {\"start\": \"2026-01-02T00:00:00Z\", "
	            "\"end\": \"2026-01-01T00:00:00Z\"}}", &w, &e) < 0 &&
	      strstr(e.msg, "before it starts") && strstr(e.msg, "https://ca.example/ari/x.y"));
	CHECK(w.start == 42);
}

/* RFC 9773 Appendix A: AKI keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:
 * 84:7B:A0:AE:2C:DE:01:C8:D4 and serial 00:87:65:43:21 give
 * "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE". */
static void test_cert_id(void)
{
	static const unsigned char kid[] = {0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40,
	                                    0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0,
	                                    0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4};
	X509 *c = X509_new(), *bare = X509_new();
	AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	struct error e = {0};
	char *id;

	CHECK(c && bare && aki && serial);
	CHECK(ASN1_INTEGER_set_int64(serial, 0x87654321) == 1);
	CHECK(X509_set_serialNumber(c, serial) == 1);
	CHECK(X509_set_serialNumber(bare, serial) == 1);
	/* Without an authority key identifier there is no identifier. */
	id = crypto_cert_ari_id(bare, &e);
	CHECK(id == NULL && strstr(e.msg, "authority key identifier"));
	X509_free(bare);
	aki->keyid = ASN1_OCTET_STRING_new();
	CHECK(aki->keyid && ASN1_OCTET_STRING_set(aki->keyid, kid, sizeof(kid)) == 1);
	CHECK(X509_add1_ext_i2d(c, NID_authority_key_identifier, aki, 0, 0) == 1);
	e = (struct error){0};
	id = crypto_cert_ari_id(c, &e);
	CHECK_STR(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	free(id);
	ASN1_INTEGER_free(serial);
	AUTHORITY_KEYID_free(aki);
	X509_free(c);
}

static int dir(const char *text, struct obj_directory *d, struct error *e)
{
	cJSON *j = cJSON_Parse(text);
	int ret = obj_directory_parse(j, "https://ca.example/dir", d, e);

	cJSON_Delete(j);
	return ret;
}

#define URLS "\"newNonce\": \"https://ca.example/n\", \"newAccount\": \"https://ca.example/a\", " \
             "\"newOrder\": \"https://ca.example/o\""

static void test_directory(void)
{
	struct obj_directory d = {0};
	struct error e = {0};

	CHECK(dir("{" URLS ", \"renewalInfo\": \"https://ca.example/ari\", \"meta\": "
	          "{\"profiles\": {\"classic\": \"90 days\", \"shortlived\": \"6 days\"}}}",
	          &d, &e) == 0);
	CHECK_STR(obj_directory_url(&d, "renewalInfo"), "https://ca.example/ari");
	CHECK(d.n_profiles == 2 && obj_directory_has_profile(&d, "shortlived"));
	CHECK(obj_directory_check_profile(&d, "classic", &e) == 0);
	CHECK(obj_directory_check_profile(&d, "tiny", &e) < 0 && e.exit_code == EXIT_USAGE);
	CHECK(strstr(e.msg, "tiny") && strstr(e.msg, "classic, shortlived"));
	obj_directory_free(&d);

	e = (struct error){0};
	CHECK(dir("{" URLS "}", &d, &e) == 0);
	CHECK(obj_directory_url(&d, "renewalInfo") == NULL && d.profiles == NULL);
	CHECK(obj_directory_check_profile(&d, "classic", &e) < 0 &&
	      strstr(e.msg, "offers no profiles") && e.exit_code == EXIT_USAGE);
	obj_directory_free(&d);

	e = (struct error){0};
	CHECK(dir("{" URLS ", \"renewalInfo\": \"http://ca.example/ari\"}", &d, &e) < 0);
	e = (struct error){0};
	CHECK(dir("{" URLS ", \"meta\": {\"profiles\": [\"classic\"]}}", &d, &e) < 0 &&
	      strstr(e.msg, "meta.profiles"));
	e = (struct error){0};
	CHECK(dir("{" URLS ", \"meta\": {\"profiles\": {\"a b\": \"x\"}}}", &d, &e) < 0);
}

int main(void)
{
	test_lifetime();
	test_times();
	test_window();
	test_cert_id();
	test_directory();
	return check_done();
}
