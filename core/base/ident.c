/* ACME identifiers: which kind a name is, and its canonical form. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "base/ident.h"

/* NAME without the brackets of "[2001:db8::1]", into INNER. */
static const char *unbracket(const char *name, char *inner, size_t size)
{
	size_t n = strlen(name);

	if (n < 3 || n - 2 >= size || name[0] != '[' || name[n - 1] != ']')
		return name;
	memcpy(inner, name + 1, n - 2);
	inner[n - 2] = '\0';
	return inner;
}

int ident_ip_bytes(const char *name, unsigned char out[16], size_t *len)
{
	char inner[64];
	const char *p = unbracket(name, inner, sizeof(inner));

	if (inet_pton(AF_INET, p, out) == 1) {
		*len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, p, out) == 1) {
		*len = 16;
		return 0;
	}
	return -1;
}

bool ident_is_ip(const char *name)
{
	unsigned char addr[16];
	size_t len;

	return ident_ip_bytes(name, addr, &len) == 0;
}

int ident_ip_canonical(const char *name, char out[IDENT_IP_MAX])
{
	unsigned char addr[16];
	size_t len;

	if (ident_ip_bytes(name, addr, &len) < 0)
		return -1;
	/* glibc's inet_ntop writes RFC 5952's form: lower-case hex, the
	 * longest run of zero groups compressed. */
	return inet_ntop(len == 4 ? AF_INET : AF_INET6, addr, out, IDENT_IP_MAX) ? 0 : -1;
}

const char *ident_type(const char *name)
{
	return ident_is_ip(name) ? "ip" : "dns";
}

bool ident_matches(const char *type, const char *value, const char *name)
{
	char a[IDENT_IP_MAX], b[IDENT_IP_MAX];

	if (strcmp(type, "ip") == 0)
		return ident_ip_canonical(value, a) == 0 && ident_ip_canonical(name, b) == 0 &&
		       strcmp(a, b) == 0;
	return strcmp(type, "dns") == 0 && !ident_is_ip(name) && strcasecmp(value, name) == 0;
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* A-labels of BODY (no "*." prefix), prefixed with PREFIX, or NULL when out
 * of memory; *RC is libidn2's status. Non-transitional processing (IDNA
 * 2008 with UTS #46's mapping, as browsers do): "ß" stays "ß" and gets an
 * A-label of its own. The input is NFC-normalized first, so a name typed
 * in decomposed form gives the same A-label. */
static char *to_alabels(const char *prefix, const char *body, int *rc)
{
	char *ascii = NULL, *res = NULL;

	*rc = idn2_to_ascii_8z(body, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (*rc != IDN2_OK)
		return NULL;
	res = malloc(strlen(prefix) + strlen(ascii) + 1);
	if (res) {
		strcpy(res, prefix);
		strcat(res, ascii);
	}
	idn2_free(ascii);
	return res;
}

int ident_dns_ascii(const char *name, const char *origin, char **out, struct error *e)
{
	bool wildcard = strncmp(name, "*.", 2) == 0;
	const char *body = wildcard ? name + 2 : name;
	char *res;
	int rc = IDN2_OK;

	res = is_ascii(body) ? strdup(name) : to_alabels(wildcard ? "*." : "", body, &rc);
	if (rc != IDN2_OK)
		return err_set(e, EXIT_USAGE,
		               "%s: \"%s\" is not a valid internationalized domain name: %s", origin,
		               name, idn2_strerror(rc));
	if (!res)
		return err_nomem(e);
	for (char *p = res; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	*out = res;
	return 0;
}
