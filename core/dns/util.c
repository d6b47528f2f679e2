/* Helpers shared by the DNS client's files; see util.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/util.h"

static const char *const rcode_names[] = {
	[0] = "NOERROR",   [1] = "FORMERR",   [2] = "SERVFAIL", [3] = "NXDOMAIN", [4] = "NOTIMP",
	[5] = "REFUSED",   [6] = "YXDOMAIN",  [7] = "YXRRSET",  [8] = "NXRRSET",  [9] = "NOTAUTH",
	[10] = "NOTZONE",  [11] = "DSOTYPENI", [16] = "BADSIG",  [17] = "BADKEY",  [18] = "BADTIME",
	[19] = "BADMODE",  [20] = "BADNAME",  [21] = "BADALG",  [22] = "BADTRUNC", [23] = "BADCOOKIE",
};

const char *dns_rcode_name(int rcode)
{
	if (rcode >= 0 && (size_t)rcode < sizeof(rcode_names) / sizeof(rcode_names[0]) &&
	    rcode_names[rcode])
		return rcode_names[rcode];
	return "UNKNOWN";
}

void dns_log(struct log *lg, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!lg)
		return;
	va_start(ap, fmt);
	log_vmsg(lg, lvl, fmt, ap);
	va_end(ap);
}

long dns_timeout(const struct dns_client *c, long timeout_s)
{
	if (timeout_s > 0)
		return timeout_s;
	return c->timeout_seconds > 0 ? c->timeout_seconds : 5;
}

long dns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dns_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int dns_strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));
	char *copy;

	if (!nv)
		return -1;
	*v = nv;
	copy = strdup(s);
	if (!copy) {
		nv[*n] = NULL;
		return -1;
	}
	nv[(*n)++] = copy;
	nv[*n] = NULL;
	return 0;
}

bool dns_strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int dns_normal_name(const char *name, const char *what, char **out, struct error *e)
{
	uint8_t w[DNS_MAX_WIRE_NAME];
	char text[DNS_NAME_TEXT], *copy;
	int n = name ? dns_name_to_wire(name, w) : -1;

	if (n < 0 || dns_name_read(w, (size_t)n, 0, true, text, sizeof(text), NULL) < 0)
		return err_set(e, EXIT_USAGE, "invalid DNS %s \"%s\"", what, name ? name : "");
	copy = strdup(text);
	if (!copy)
		return err_nomem(e);
	*out = copy;
	return 0;
}

int dns_parent_name(const char *name, char **out, struct error *e)
{
	uint8_t w[DNS_MAX_WIRE_NAME];
	char text[DNS_NAME_TEXT], *copy;
	int n = dns_name_to_wire(name, w);

	*out = NULL;
	if (n <= 1 || w[0] + 1 >= n - 1)
		return 0;
	if (dns_name_read(w + 1 + w[0], (size_t)n - 1 - w[0], 0, true, text, sizeof(text), NULL) < 0)
		return 0;
	copy = strdup(text);
	if (!copy)
		return err_nomem(e);
	*out = copy;
	return 0;
}

int dns_rr_owner(const struct dns_msg *m, const struct dns_rr *rr, char *out, size_t cap)
{
	return dns_name_read(m->wire, m->len, rr->name_off, true, out, cap, NULL);
}
