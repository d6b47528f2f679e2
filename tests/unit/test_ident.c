/* Identifiers: which strings are addresses, their canonical text (RFC
 * 5952 for IPv6), how a CA's identifier is matched to a name, and the
 * IDNA 2008 A-labels of internationalized names (RFC 3492 and UTS #46
 * examples). */
#include <stdlib.h>
#include <string.h>

#include "base/ident.h"
#include "check.h"

static void canon(const char *in, const char *want)
{
	char out[IDENT_IP_MAX];

	CHECK(ident_ip_canonical(in, out) == 0);
	CHECK_STR(out, want);
}

static void ascii(const char *in, const char *want)
{
	struct error e = {0};
	char *out = NULL;

	CHECK(ident_dns_ascii(in, "-d", &out, &e) == 0);
	CHECK_STR(out, want);
	free(out);
}

static void ascii_refused(const char *in)
{
	struct error e = {0};
	char *out = NULL;

	CHECK(ident_dns_ascii(in, "-d", &out, &e) < 0);
	CHECK(out == NULL && e.exit_code == EXIT_USAGE && strstr(e.msg, "internationalized"));
}

int main(void)
{
	unsigned char b[16];
	size_t len = 0;

	CHECK(ident_is_ip("192.0.2.1"));
	CHECK(ident_is_ip("2001:db8::1"));
	CHECK(ident_is_ip("[2001:db8::1]"));
	CHECK(ident_is_ip("[192.0.2.1]"));
	CHECK(!ident_is_ip("example.com"));
	CHECK(!ident_is_ip("192.0.2"));
	CHECK(!ident_is_ip("::1::2"));
	CHECK(!ident_is_ip("[::1"));
	CHECK(!ident_is_ip("[]"));
	CHECK(!ident_is_ip("1.2.3.4.example"));
	CHECK_STR(ident_type("192.0.2.1"), "ip");
	CHECK_STR(ident_type("a.example"), "dns");

	canon("192.0.2.1", "192.0.2.1");
	canon("[2001:DB8:0:0:0:0:0:1]", "2001:db8::1");
	canon("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
	canon("0:0:0:0:0:0:0:1", "::1");
	CHECK(ident_ip_bytes("192.0.2.1", b, &len) == 0 && len == 4 && b[0] == 192 && b[3] == 1);
	CHECK(ident_ip_bytes("::1", b, &len) == 0 && len == 16 && b[15] == 1);
	CHECK(ident_ip_bytes("nope", b, &len) < 0);

	CHECK(ident_matches("ip", "2001:db8::1", "2001:DB8:0::1"));
	CHECK(ident_matches("dns", "A.Example", "a.example"));
	CHECK(!ident_matches("dns", "192.0.2.1", "192.0.2.1"));
	CHECK(!ident_matches("ip", "192.0.2.1", "192.0.2.2"));
	CHECK(!ident_matches("ip", "a.example", "a.example"));
	CHECK(!ident_matches("email", "a.example", "a.example"));

	ascii("Example.COM", "example.com");
	ascii("*.Example.com", "*.example.com");
	ascii("bücher.example", "xn--bcher-kva.example");
	ascii("*.bücher.example", "*.xn--bcher-kva.example");
	ascii("BÜCHER.example", "xn--bcher-kva.example");
	ascii("bu\xcc\x88" "cher.example", "xn--bcher-kva.example"); /* NFD input */
	ascii("fa\xc3\x9f.de", "xn--fa-hia.de");               /* non-transitional: ß kept */
	ascii("\xe4\xbe\x8b\xe5\xad\x90.test", "xn--fsqu00a.test");
	ascii_refused("\xcc\x81" "abc.example");                /* leading combining mark */
	ascii_refused("a\xff.example");                         /* not UTF-8 */
	return check_done();
}
