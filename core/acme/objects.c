#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/objects.h"
#include "base/ident.h"
#include "base/b64.h"

static const char *const status_names[] = {
	[OBJ_ST_NONE] = "none",
	[OBJ_ST_PENDING] = "pending",
	[OBJ_ST_READY] = "ready",
	[OBJ_ST_PROCESSING] = "processing",
	[OBJ_ST_VALID] = "valid",
	[OBJ_ST_INVALID] = "invalid",
	[OBJ_ST_DEACTIVATED] = "deactivated",
	[OBJ_ST_EXPIRED] = "expired",
	[OBJ_ST_REVOKED] = "revoked",
};

#define BIT(s) (1u << (s))

/* The statuses RFC 8555 §7.1.6 gives each object. */
static unsigned allowed_statuses(const char *what)
{
	if (strcmp(what, "order") == 0)
		return BIT(OBJ_ST_PENDING) | BIT(OBJ_ST_READY) | BIT(OBJ_ST_PROCESSING) |
		       BIT(OBJ_ST_VALID) | BIT(OBJ_ST_INVALID);
	if (strcmp(what, "authorization") == 0)
		return BIT(OBJ_ST_PENDING) | BIT(OBJ_ST_VALID) | BIT(OBJ_ST_INVALID) |
		       BIT(OBJ_ST_DEACTIVATED) | BIT(OBJ_ST_EXPIRED) | BIT(OBJ_ST_REVOKED);
	if (strcmp(what, "challenge") == 0)
		return BIT(OBJ_ST_PENDING) | BIT(OBJ_ST_PROCESSING) | BIT(OBJ_ST_VALID) |
		       BIT(OBJ_ST_INVALID);
	if (strcmp(what, "account") == 0)
		return BIT(OBJ_ST_VALID) | BIT(OBJ_ST_DEACTIVATED) | BIT(OBJ_ST_REVOKED);
	return 0;
}

const char *obj_status_name(enum obj_status st)
{
	if ((size_t)st >= sizeof(status_names) / sizeof(status_names[0]))
		return "unknown";
	return status_names[st];
}

/* One error for every malformed object: what it is, where it came from,
 * and which field is wrong. */
static int bad(struct error *e, const char *what, const char *url, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(struct error *e, const char *what, const char *url, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err_set(e, EXIT_OP, "malformed %s from %s: %s", what, url ? url : "the CA", detail);
}

static const char *str_member(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static bool is_https(const char *s)
{
	if (!s || strncmp(s, "https://", 8) != 0 || !s[8])
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* Copy member KEY of J, which must be an https URL, into *OUT; an absent
 * member is an error only when REQUIRED. */
static int url_member(const cJSON *j, const char *key, bool required, const char *what,
                      const char *url, char **out, struct error *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	if (!v && !required)
		return 0;
	if (!cJSON_IsString(v) || !is_https(v->valuestring))
		return bad(e, what, url, "\"%s\" is %s", key, v ? "not an https URL" : "missing");
	if (!(*out = strdup(v->valuestring)))
		return err_nomem(e);
	return 0;
}

int obj_status_of(const cJSON *j, const char *what, const char *url, enum obj_status *out,
                  struct error *e)
{
	const char *s = str_member(j, "status");

	if (!cJSON_IsObject(j))
		return bad(e, what, url, "not a JSON object");
	if (!s)
		return bad(e, what, url, "\"status\" is missing or not a string");
	for (size_t i = 1; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (strcmp(s, status_names[i]) == 0 && (allowed_statuses(what) & BIT(i))) {
			*out = (enum obj_status)i;
			return 0;
		}
	}
	return bad(e, what, url, "\"status\" \"%.40s\" is not one of its statuses", s);
}

/* ------------------------------------------------------------ directory */

void obj_directory_free(struct obj_directory *d)
{
	if (!d)
		return;
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->terms);
	free(d->renewal_info);
	for (size_t i = 0; i < d->n_profiles; i++)
		free(d->profiles[i]);
	free(d->profiles);
	memset(d, 0, sizeof(*d));
}

/* meta.profiles (RFC 9773's companion draft, as Let's Encrypt serves it):
 * an object whose member names are the profiles and whose values describe
 * them. Only the names matter here; they go into newOrder and a renewal
 * file, so they are held to a short token. */
static int profiles_parse(const cJSON *p, const char *url, struct obj_directory *d,
                          struct error *e)
{
	static const char what[] = "ACME directory";
	const cJSON *it;
	size_t n = 0;

	if (!p)
		return 0;
	if (!cJSON_IsObject(p))
		return bad(e, what, url, "\"meta.profiles\" is not an object");
	cJSON_ArrayForEach(it, p)
		n++;
	if (n > 64)
		return bad(e, what, url, "\"meta.profiles\" lists %zu profiles", n);
	d->profiles = calloc(n + 1, sizeof(*d->profiles));
	if (!d->profiles)
		return err_nomem(e);
	cJSON_ArrayForEach(it, p) {
		const char *name = it->string;
		size_t len = name ? strlen(name) : 0;
		if (len == 0 || len > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
		                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != len)
			return bad(e, what, url, "\"meta.profiles\" has a profile name that is not "
			                         "1 to 64 letters, digits, '-', '_' or '.'");
		if (!(d->profiles[d->n_profiles] = strdup(name)))
			return err_nomem(e);
		d->n_profiles++;
	}
	return 0;
}

bool obj_directory_has_profile(const struct obj_directory *d, const char *profile)
{
	for (size_t i = 0; i < d->n_profiles; i++)
		if (strcmp(d->profiles[i], profile) == 0)
			return true;
	return false;
}

int obj_directory_check_profile(const struct obj_directory *d, const char *profile,
                                struct error *e)
{
	char offered[512] = "";
	size_t len = 0;

	if (obj_directory_has_profile(d, profile))
		return 0;
	if (!d->profiles)
		return err_set(e, EXIT_USAGE, "--preferred-profile %s: this CA offers no profiles",
		               profile);
	for (size_t i = 0; i < d->n_profiles && len < sizeof(offered); i++) {
		int w = snprintf(offered + len, sizeof(offered) - len, "%s%s", i ? ", " : "",
		                 d->profiles[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return err_set(e, EXIT_USAGE, "--preferred-profile %s: the CA offers no such profile "
	                              "(it offers: %s)", profile, d->n_profiles ? offered : "none");
}

int obj_directory_parse(const cJSON *j, const char *url, struct obj_directory *out,
                        struct error *e)
{
	static const char what[] = "ACME directory";
	struct obj_directory d = {0};
	const cJSON *meta, *v;
	int ret = -1;

	if (!cJSON_IsObject(j)) {
		bad(e, what, url, "not a JSON object");
		goto out;
	}
	if (url_member(j, "newNonce", true, what, url, &d.new_nonce, e) < 0 ||
	    url_member(j, "newAccount", true, what, url, &d.new_account, e) < 0 ||
	    url_member(j, "newOrder", true, what, url, &d.new_order, e) < 0 ||
	    url_member(j, "revokeCert", false, what, url, &d.revoke_cert, e) < 0 ||
	    url_member(j, "keyChange", false, what, url, &d.key_change, e) < 0 ||
	    url_member(j, "renewalInfo", false, what, url, &d.renewal_info, e) < 0)
		goto out;
	meta = cJSON_GetObjectItemCaseSensitive(j, "meta");
	if (meta && !cJSON_IsObject(meta)) {
		bad(e, what, url, "\"meta\" is not an object");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(meta, "termsOfService");
	if (v && !cJSON_IsString(v)) {
		bad(e, what, url, "\"meta.termsOfService\" is not a string");
		goto out;
	}
	if (v && !(d.terms = strdup(v->valuestring))) {
		err_nomem(e);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(meta, "externalAccountRequired");
	if (v && !cJSON_IsBool(v)) {
		bad(e, what, url, "\"meta.externalAccountRequired\" is not a boolean");
		goto out;
	}
	d.eab_required = cJSON_IsTrue(v);
	if (profiles_parse(cJSON_GetObjectItemCaseSensitive(meta, "profiles"), url, &d, e) < 0)
		goto out;
	*out = d;
	memset(&d, 0, sizeof(d));
	ret = 0;
out:
	obj_directory_free(&d);
	return ret;
}

const char *obj_directory_url(const struct obj_directory *d, const char *name)
{
	if (strcmp(name, "newNonce") == 0)
		return d->new_nonce;
	if (strcmp(name, "newAccount") == 0)
		return d->new_account;
	if (strcmp(name, "newOrder") == 0)
		return d->new_order;
	if (strcmp(name, "revokeCert") == 0)
		return d->revoke_cert;
	if (strcmp(name, "keyChange") == 0)
		return d->key_change;
	if (strcmp(name, "renewalInfo") == 0)
		return d->renewal_info;
	return NULL;
}

/* -------------------------------------------------------------- account */

void obj_account_free(struct obj_account *a)
{
	if (!a)
		return;
	free(a->orders);
	memset(a, 0, sizeof(*a));
}

int obj_account_parse(const cJSON *j, const char *url, struct obj_account *out,
                      struct error *e)
{
	struct obj_account a = {0};

	if (obj_status_of(j, "account", url, &a.status, e) < 0 ||
	    url_member(j, "orders", false, "account", url, &a.orders, e) < 0) {
		obj_account_free(&a);
		return -1;
	}
	*out = a;
	return 0;
}

/* ---------------------------------------------------------------- order */

static void ids_free(struct obj_identifier *ids, size_t n)
{
	for (size_t i = 0; ids && i < n; i++) {
		free(ids[i].type);
		free(ids[i].value);
	}
	free(ids);
}

static void urls_free(char **urls, size_t n)
{
	for (size_t i = 0; urls && i < n; i++)
		free(urls[i]);
	free(urls);
}

void obj_order_free(struct obj_order *o)
{
	if (!o)
		return;
	ids_free(o->ids, o->n_ids);
	urls_free(o->authzs, o->n_authzs);
	free(o->finalize);
	free(o->certificate);
	memset(o, 0, sizeof(*o));
}

static int identifier(const cJSON *j, const char *what, const char *url,
                      struct obj_identifier *out, struct error *e)
{
	const char *type = str_member(j, "type"), *value = str_member(j, "value");

	if (!cJSON_IsObject(j) || !type || !value || !*type || !*value)
		return bad(e, what, url, "an identifier lacks a \"type\" or \"value\" string");
	/* Identifiers end up in log lines and error messages as they are. */
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return bad(e, what, url, "an identifier has a control character");
	if (!(out->type = strdup(type)) || !(out->value = strdup(value)))
		return err_nomem(e);
	return 0;
}

/* An array member KEY of J with at least MIN elements; its size in *N. */
static const cJSON *array_member(const cJSON *j, const char *key, int min, const char *what,
                                 const char *url, size_t *n, struct error *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	int size = cJSON_GetArraySize(v);

	if (!cJSON_IsArray(v) || size < min || size > 1000) {
		bad(e, what, url, "\"%s\" is %s", key,
		    !v ? "missing" : !cJSON_IsArray(v) ? "not an array" : "of a wrong size");
		return NULL;
	}
	*n = (size_t)size;
	return v;
}

/* Copy the https URLs of array ARR (N of them) into *OUT. */
static int url_array(const cJSON *arr, size_t n, const char *key, const char *what,
                     const char *url, char ***out, struct error *e)
{
	const cJSON *v;
	size_t k = 0;

	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return err_nomem(e);
	cJSON_ArrayForEach(v, arr) {
		if (!cJSON_IsString(v) || !is_https(v->valuestring))
			return bad(e, what, url, "an element of \"%s\" is not an https URL", key);
		if (!((*out)[k++] = strdup(v->valuestring)))
			return err_nomem(e);
	}
	return 0;
}

int obj_order_parse(const cJSON *j, const char *url, struct obj_order *out, struct error *e)
{
	struct obj_order o = {0};
	const cJSON *ids, *auths, *v;
	size_t n = 0, na = 0;
	int ret = -1;

	if (obj_status_of(j, "order", url, &o.status, e) < 0)
		goto out;
	if (!(ids = array_member(j, "identifiers", 1, "order", url, &n, e)) ||
	    !(auths = array_member(j, "authorizations", 0, "order", url, &na, e)))
		goto out;
	if (!(o.ids = calloc(n, sizeof(*o.ids)))) {
		err_nomem(e);
		goto out;
	}
	cJSON_ArrayForEach(v, ids) {
		if (identifier(v, "order", url, &o.ids[o.n_ids++], e) < 0)
			goto out;
	}
	o.n_authzs = na;
	if (url_array(auths, na, "authorizations", "order", url, &o.authzs, e) < 0 ||
	    url_member(j, "finalize", true, "order", url, &o.finalize, e) < 0 ||
	    url_member(j, "certificate", false, "order", url, &o.certificate, e) < 0)
		goto out;
	*out = o;
	memset(&o, 0, sizeof(o));
	ret = 0;
out:
	obj_order_free(&o);
	return ret;
}

static bool has_name(const struct obj_order *o, const char *name)
{
	for (size_t i = 0; i < o->n_ids; i++)
		if (ident_matches(o->ids[i].type, o->ids[i].value, name))
			return true;
	return false;
}

bool obj_order_for(const struct obj_order *o, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!has_name(o, names[i]))
			return false;
	for (size_t i = 0; i < o->n_ids; i++) {
		bool found = false;
		for (size_t k = 0; k < n && !found; k++)
			found = ident_matches(o->ids[i].type, o->ids[i].value, names[k]);
		if (!found)
			return false;
	}
	return n > 0;
}

/* ----------------------------------------------------------- order list */

void obj_order_list_free(struct obj_order_list *l)
{
	if (!l)
		return;
	urls_free(l->urls, l->n);
	memset(l, 0, sizeof(*l));
}

int obj_order_list_parse(const cJSON *j, const char *url, struct obj_order_list *out,
                         struct error *e)
{
	struct obj_order_list l = {0};
	const cJSON *arr;
	size_t n = 0;

	if (!cJSON_IsObject(j)) {
		bad(e, "order list", url, "not a JSON object");
		return -1;
	}
	if (!(arr = array_member(j, "orders", 0, "order list", url, &n, e)))
		return -1;
	l.n = n;
	if (url_array(arr, n, "orders", "order list", url, &l.urls, e) < 0) {
		obj_order_list_free(&l);
		return -1;
	}
	*out = l;
	return 0;
}

/* ------------------------------------------------------------ challenge */

void obj_challenge_free(struct obj_challenge *c)
{
	if (!c)
		return;
	free(c->type);
	free(c->url);
	free(c->token);
	memset(c, 0, sizeof(*c));
}

/* The challenge types whose token we write to a file or hash into a DNS
 * value. */
static bool uses_token(const char *type)
{
	return strcmp(type, "http-01") == 0 || strcmp(type, "dns-01") == 0 ||
	       strcmp(type, "tls-alpn-01") == 0;
}

int obj_challenge_parse(const cJSON *j, const char *url, struct obj_challenge *out,
                        struct error *e)
{
	struct obj_challenge c = {0};
	const char *type = str_member(j, "type"), *token = str_member(j, "token");
	int ret = -1;

	if (!cJSON_IsObject(j)) {
		bad(e, "challenge", url, "not a JSON object");
		goto out;
	}
	if (!type || !*type) {
		bad(e, "challenge", url, "\"type\" is missing or not a string");
		goto out;
	}
	if (!(c.type = strdup(type))) {
		err_nomem(e);
		goto out;
	}
	if (obj_status_of(j, "challenge", url, &c.status, e) < 0 ||
	    url_member(j, "url", true, "challenge", url, &c.url, e) < 0)
		goto out;
	if (uses_token(type)) {
		/* The token becomes a file name and a DNS value: only
		 * base64url characters may pass, and at least 128 bits of
		 * them (RFC 8555 §8.1). */
		if (!token || strlen(token) < OBJ_TOKEN_MIN || !b64url_valid(token, OBJ_TOKEN_MAX)) {
			bad(e, "challenge", url, "the %s token is %s; refusing it", type,
			    !token ? "missing" : "not 22 to 256 base64url characters");
			goto out;
		}
		if (!(c.token = strdup(token))) {
			err_nomem(e);
			goto out;
		}
	}
	*out = c;
	memset(&c, 0, sizeof(c));
	ret = 0;
out:
	obj_challenge_free(&c);
	return ret;
}

/* -------------------------------------------------------- authorization */

void obj_authz_free(struct obj_authz *z)
{
	if (!z)
		return;
	free(z->id.type);
	free(z->id.value);
	for (size_t i = 0; z->challs && i < z->n_challs; i++)
		obj_challenge_free(&z->challs[i]);
	free(z->challs);
	memset(z, 0, sizeof(*z));
}

int obj_authz_parse(const cJSON *j, const char *url, struct obj_authz *out, struct error *e)
{
	struct obj_authz z = {0};
	const cJSON *chs, *ch, *wc;
	size_t n = 0;
	int ret = -1;

	if (obj_status_of(j, "authorization", url, &z.status, e) < 0 ||
	    identifier(cJSON_GetObjectItemCaseSensitive(j, "identifier"), "authorization", url,
	               &z.id, e) < 0)
		goto out;
	wc = cJSON_GetObjectItemCaseSensitive(j, "wildcard");
	if (wc && !cJSON_IsBool(wc)) {
		bad(e, "authorization", url, "\"wildcard\" is not a boolean");
		goto out;
	}
	z.wildcard = cJSON_IsTrue(wc);
	if (!(chs = array_member(j, "challenges", 0, "authorization", url, &n, e)))
		goto out;
	if (!(z.challs = calloc(n ? n : 1, sizeof(*z.challs)))) {
		err_nomem(e);
		goto out;
	}
	cJSON_ArrayForEach(ch, chs) {
		if (obj_challenge_parse(ch, url, &z.challs[z.n_challs], e) < 0) {
			err_prefix(e, "%s%s", z.wildcard ? "*." : "", z.id.value);
			goto out;
		}
		z.n_challs++;
	}
	*out = z;
	memset(&z, 0, sizeof(z));
	ret = 0;
out:
	obj_authz_free(&z);
	return ret;
}

const struct obj_challenge *obj_authz_challenge(const struct obj_authz *z, const char *type)
{
	for (size_t i = 0; i < z->n_challs; i++)
		if (strcmp(z->challs[i].type, type) == 0)
			return &z->challs[i];
	return NULL;
}

/* ------------------------------------------------------------ raw text */

bool obj_json_has_nul(const char *text, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (!in_string) {
			in_string = c == '"';
			continue;
		}
		if (c == '"') {
			in_string = false;
		} else if (c == '\\') {
			if (i + 1 < len && text[i + 1] == 'u' && i + 5 < len &&
			    memcmp(text + i + 2, "0000", 4) == 0)
				return true;
			i++; /* the escaped character, so \" and \\ do not count */
		}
	}
	return false;
}
