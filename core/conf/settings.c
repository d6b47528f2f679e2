/* struct settings: initial values, freeing, merging the sources, defaults,
 * and the names with their routes. The option fields are handled row by
 * row from conf/options.def. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/ident.h"
#include "conf/internal.h"
#include "base/ident.h"
#include "conf/settings.h"

#define MAX_DOMAINS 100 /* the most names an ACME CA accepts in one order */

struct preset {
	const char *name, *url;
};

static const struct preset presets[] = {
	{"letsencrypt", "https://acme-v02.api.letsencrypt.org/directory"},
	{"letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"},
	{"globalsign", "https://emea.acme.atlas.globalsign.com/directory"},
};

const char *config_server_url(const char *name)
{
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].name, name) == 0)
			return presets[i].url;
	return name;
}

/* --- helpers shared within conf/ ----------------------------------------- */

void conf_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int conf_strv_push(char ***v, const char *s)
{
	size_t n = 0;
	char **nv;

	while (*v && (*v)[n])
		n++;
	nv = realloc(*v, (n + 2) * sizeof(*nv));
	if (!nv)
		return -1;
	*v = nv;
	nv[n] = strdup(s);
	nv[n + 1] = NULL;
	return nv[n] ? 0 : -1;
}

int conf_strv_copy(char ***dst, char *const *src)
{
	for (size_t i = 0; src && src[i]; i++)
		if (conf_strv_push(dst, src[i]) < 0)
			return -1;
	return 0;
}

void conf_free_secret(char *p)
{
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

int conf_routes_push(struct route **v, size_t *n, const struct route *r)
{
	struct route *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	if (r && route_copy(&nv[*n], r) < 0)
		return -1;
	(*n)++;
	return 0;
}

struct named_route *conf_named_push(struct named_route **v, size_t *n, const char *name,
                                    const struct route *r)
{
	struct named_route *nv = realloc(*v, (*n + 1) * sizeof(*nv)), *it;

	if (!nv)
		return NULL;
	*v = nv;
	it = &nv[*n];
	memset(it, 0, sizeof(*it));
	if (!(it->name = strdup(name)) || (r && route_copy(&it->r, r) < 0)) {
		free(it->name);
		route_free(&it->r);
		return NULL;
	}
	(*n)++;
	return it;
}

static void named_free(struct named_route *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		route_free(&v[i].r);
	}
	free(v);
}

/* --- init and free ------------------------------------------------------- */

void settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
#define OPT_BOOL(lng, shrt, field, group, help) s->field = -1;
#define OPT_INT(lng, shrt, field, min, unset, dflt, group, metavar, help) s->field = unset;
#include "conf/options.def"
}

void settings_drop_domains(struct settings *s)
{
	for (size_t i = 0; i < s->n_domains; i++) {
		free(s->domains[i]);
		route_free(&s->routes[i]);
	}
	free(s->domains);
	free(s->routes);
	s->domains = NULL;
	s->routes = NULL;
	s->n_domains = 0;
}

void settings_free(struct settings *s)
{
	if (!s)
		return;
#define OPT_STR(lng, shrt, field, dflt, group, metavar, help) free(s->field);
#define OPT_SECRET(lng, shrt, field, group, metavar, help) conf_free_secret(s->field);
#include "conf/options.def"
	free(s->command);
	free(s->dns_lua_credentials);
	settings_drop_domains(s);
	route_free(&s->fallback);
	for (size_t i = 0; i < s->n_deploys; i++)
		route_free(&s->deploys[i]);
	free(s->deploys);
	conf_strv_free(s->args);
	conf_strv_free(s->dns_resolvers);
	named_free(s->instances, s->n_instances);
	named_free(s->patterns, s->n_patterns);
	settings_init(s);
}

/* --- names --------------------------------------------------------------- */

bool settings_is_ip(const char *name)
{
	return ident_is_ip(name);
}

/* Names are compared and stored in lower case, as DNS is case-blind and
 * CAs return them lower-cased. */
int settings_check_domain(const char *name, const char *origin, struct error *e)
{
	size_t n = strlen(name);
	const char *p = name;

	if (ident_is_ip(name))
		return 0;
	/* RFC 8738 has no wildcard addresses: "*.192.0.2.1" would go to the
	 * CA as a DNS name and be refused there. */
	if (strncmp(name, "*.", 2) == 0 && ident_is_ip(name + 2))
		return err_set(e, EXIT_USAGE,
		               "%s: \"%s\": a wildcard cannot cover an IP address; order the "
		               "address itself",
		               origin, name);
	if (n == 0 || n > 253)
		return err_set(e, EXIT_USAGE, "%s: invalid domain \"%s\"", origin, name);
	if (name[strcspn(name, " \t\n\v\f\r")] != '\0')
		return err_set(e, EXIT_USAGE,
		               "%s: invalid domain \"%s\": a name cannot contain blanks (separate "
		               "names with commas)",
		               origin, name);
	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	for (; *p; p++) {
		char c = *p;
		if (!(isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_'))
			return err_set(e, EXIT_USAGE,
			               "%s: invalid domain \"%s\": character '%c' not allowed", origin,
			               name, c);
	}
	if (name[n - 1] == '.' || strstr(name, "..") || name[0] == '.')
		return err_set(e, EXIT_USAGE, "%s: invalid domain \"%s\"", origin, name);
	/* Labels are 1 to 63 characters and neither start nor end with '-'
	 * (RFC 1035), which also keeps a mistyped flag from becoming a name. */
	for (const char *l = name; *l;) {
		size_t len = strcspn(l, ".");
		if (len > 63 || l[0] == '-' || l[len - 1] == '-')
			return err_set(e, EXIT_USAGE, "%s: invalid domain \"%s\": bad label \"%.*s\"",
			               origin, name, (int)len, l);
		l += len;
		if (*l == '.')
			l++;
	}
	return 0;
}

int settings_name_form(const char *name, const char *origin, char **out, struct error *e)
{
	char ip[IDENT_IP_MAX], *form = NULL;

	if (ident_ip_canonical(name, ip) == 0) {
		if (!(form = strdup(ip)))
			return err_nomem(e);
	} else if (ident_dns_ascii(name, origin, &form, e) < 0) {
		return -1;
	}
	if (settings_check_domain(form, origin, e) < 0) {
		free(form);
		return -1;
	}
	*out = form;
	return 0;
}

int settings_add_domain(struct settings *s, const char *name, const struct route *r,
                        struct error *e)
{
	char **nd, *lower = NULL;
	struct route *nr;
	int ret = -1;

	for (size_t i = 0; i < s->n_domains; i++)
		if (strcasecmp(s->domains[i], name) == 0)
			return 0; /* certbot ignores repeats */
	if (s->n_domains >= MAX_DOMAINS)
		return err_set(e, EXIT_USAGE, "too many domains: at most %d in one certificate",
		               MAX_DOMAINS);
	if (!(lower = strdup(name)))
		goto out;
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!(nd = realloc(s->domains, (s->n_domains + 2) * sizeof(*nd))))
		goto out;
	s->domains = nd;
	if (!(nr = realloc(s->routes, (s->n_domains + 1) * sizeof(*nr))))
		goto out;
	s->routes = nr;
	memset(&nr[s->n_domains], 0, sizeof(*nr));
	if (r && route_copy(&nr[s->n_domains], r) < 0)
		goto out;
	nd[s->n_domains++] = lower;
	nd[s->n_domains] = NULL;
	lower = NULL;
	ret = 0;
out:
	if (ret < 0)
		err_nomem(e);
	free(lower);
	return ret;
}

const struct route *settings_pattern_route(const struct settings *s, const char *name)
{
	const struct named_route *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < s->n_patterns; i++) {
		const char *p = s->patterns[i].name;
		if (strcasecmp(p, name) == 0)
			return &s->patterns[i].r;
		if (strncmp(p, "*.", 2) == 0) {
			size_t sl = strlen(p + 1), nl = strlen(name);
			/* "*.a.example" covers "x.a.example", "*.a.example" and deeper. */
			if (nl > sl && strcasecmp(name + nl - sl, p + 1) == 0 && sl > best_len) {
				best = &s->patterns[i];
				best_len = sl;
			}
		}
	}
	return best ? &best->r : NULL;
}

static int resolve_one(const struct settings *s, struct route *r, struct error *e)
{
	for (size_t i = 0; r->plugin && i < s->n_instances; i++) {
		if (strcmp(s->instances[i].name, r->plugin) == 0) {
			struct route c = {0};
			if (!s->instances[i].r.plugin)
				return err_set(e, EXIT_USAGE, "cli.ini: [instance %s] has no \"plugin =\" line",
				               s->instances[i].name);
			if (route_copy(&c, &s->instances[i].r) < 0)
				return err_nomem(e);
			free(c.name);
			if (!(c.name = strdup(s->instances[i].name))) {
				route_free(&c);
				return err_nomem(e);
			}
			route_free(r);
			*r = c;
			return 0;
		}
	}
	return 0;
}

/* An --installer naming a cli.ini instance takes the instance's plugin and
 * options; its own --installer-option values override the instance's. */
static int resolve_deploy(const struct settings *s, struct route *r, struct error *e)
{
	struct route given = {0};
	int ret = -1;

	if (route_copy(&given, r) < 0)
		return err_nomem(e);
	if (resolve_one(s, r, e) < 0)
		goto out;
	for (size_t k = 0; given.opts && given.opts[k]; k += 2)
		if (route_set_opt(r, given.opts[k], given.opts[k + 1]) < 0) {
			err_nomem(e);
			goto out;
		}
	ret = 0;
out:
	route_free(&given);
	return ret;
}

int settings_resolve_instances(struct settings *s, struct error *e)
{
	for (size_t i = 0; i < s->n_domains; i++)
		if (resolve_one(s, &s->routes[i], e) < 0)
			return -1;
	for (size_t i = 0; i < s->n_deploys; i++)
		if (resolve_deploy(s, &s->deploys[i], e) < 0)
			return -1;
	return resolve_one(s, &s->fallback, e);
}

/* --- merging ------------------------------------------------------------- */

static int dup_if_unset(char **dst, const char *src)
{
	if (*dst || !src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

/* The option fields, and the hand-kept ones beside them. */
static int merge_fields(struct settings *d, const struct settings *s, struct error *e)
{
#define OPT_STR(lng, shrt, field, dflt, group, metavar, help)                                    \
	if (dup_if_unset(&d->field, s->field) < 0)                                                \
		return err_nomem(e);
#define OPT_SECRET(lng, shrt, field, group, metavar, help)                                       \
	if (dup_if_unset(&d->field, s->field) < 0)                                                \
		return err_nomem(e);
#define OPT_BOOL(lng, shrt, field, group, help)                                                  \
	if (d->field < 0)                                                                         \
		d->field = s->field;
#define OPT_INT(lng, shrt, field, min, unset, dflt, group, metavar, help)                        \
	if (d->field == (unset))                                                                  \
		d->field = s->field;
#include "conf/options.def"
	if (dup_if_unset(&d->command, s->command) < 0 ||
	    dup_if_unset(&d->dns_lua_credentials, s->dns_lua_credentials) < 0)
		return err_nomem(e);
	if (!d->verbose_set && s->verbose_set) {
		d->verbose = s->verbose;
		d->verbose_set = true;
	}
	return 0;
}

/* Lists are taken whole from the first source that has them, except
 * cli.ini's instances (by name) and patterns, which accumulate. */
static int merge_lists(struct settings *d, const struct settings *s, struct error *e)
{
	if (!d->dns_resolvers && conf_strv_copy(&d->dns_resolvers, s->dns_resolvers) < 0)
		return err_nomem(e);
	if (!d->args && conf_strv_copy(&d->args, s->args) < 0)
		return err_nomem(e);
	if (d->n_deploys == 0)
		for (size_t i = 0; i < s->n_deploys; i++)
			if (conf_routes_push(&d->deploys, &d->n_deploys, &s->deploys[i]) < 0)
				return err_nomem(e);
	for (size_t i = 0; i < s->n_instances; i++) {
		bool have = false;
		for (size_t j = 0; j < d->n_instances && !have; j++)
			have = strcmp(d->instances[j].name, s->instances[i].name) == 0;
		if (!have && !conf_named_push(&d->instances, &d->n_instances, s->instances[i].name,
		                              &s->instances[i].r))
			return err_nomem(e);
	}
	for (size_t i = 0; i < s->n_patterns; i++)
		if (!conf_named_push(&d->patterns, &d->n_patterns, s->patterns[i].name,
		                     &s->patterns[i].r))
			return err_nomem(e);
	return 0;
}

/* Names come whole from the first source that has any; a name without a
 * route takes S's route for the same name, else S's pattern, else S's
 * fallback. */
static int merge_domains(struct settings *d, const struct settings *s, struct error *e)
{
	if (d->n_domains == 0)
		for (size_t i = 0; i < s->n_domains; i++)
			if (settings_add_domain(d, s->domains[i], &s->routes[i], e) < 0)
				return -1;
	for (size_t i = 0; i < d->n_domains; i++) {
		const struct route *src = NULL;
		if (d->routes[i].plugin)
			continue;
		for (size_t j = 0; j < s->n_domains && !src; j++)
			if (strcmp(s->domains[j], d->domains[i]) == 0 && s->routes[j].plugin)
				src = &s->routes[j];
		if (!src)
			src = settings_pattern_route(s, d->domains[i]);
		if (!src && s->fallback.plugin)
			src = &s->fallback;
		if (src) {
			route_free(&d->routes[i]);
			if (route_copy(&d->routes[i], src) < 0)
				return err_nomem(e);
		}
	}
	if (!d->fallback.plugin && s->fallback.plugin) {
		route_free(&d->fallback);
		if (route_copy(&d->fallback, &s->fallback) < 0)
			return err_nomem(e);
	}
	return 0;
}

int settings_merge(struct settings *d, const struct settings *s, struct error *e)
{
	if (merge_fields(d, s, e) < 0 || merge_lists(d, s, e) < 0 || merge_domains(d, s, e) < 0)
		return -1;
	return 0;
}

/* --- defaults ------------------------------------------------------------ */

static int xdg_dir(char **slot, const char *env, const char *home_rel, const char *sub,
                   const char *root_dir, struct error *e)
{
	char path[PATH_MAX];
	const char *base;

	if (*slot)
		return 0;
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s", root_dir);
	} else if ((base = getenv(env)) && *base) {
		snprintf(path, sizeof(path), "%s/%s", base, sub);
	} else if ((base = getenv("HOME")) && *base) {
		snprintf(path, sizeof(path), "%s/%s/%s", base, home_rel, sub);
	} else {
		return err_set(e, EXIT_USAGE, "cannot choose a directory: set --config-dir, "
		                              "--work-dir and --logs-dir, or HOME");
	}
	*slot = strdup(path);
	return *slot ? 0 : err_nomem(e);
}

/* The defaults of the option table's rows. */
static int table_defaults(struct settings *s, struct error *e)
{
#define OPT_STR(lng, shrt, field, dflt, group, metavar, help)                                    \
	if (dup_if_unset(&s->field, dflt) < 0)                                                    \
		return err_nomem(e);
#define OPT_BOOL(lng, shrt, field, group, help)                                                  \
	if (s->field < 0)                                                                         \
		s->field = 0;
#define OPT_INT(lng, shrt, field, min, unset, dflt, group, metavar, help)                        \
	if (s->field == (unset))                                                                  \
		s->field = dflt;
#include "conf/options.def"
	return 0;
}

int settings_defaults(struct settings *s, struct error *e)
{
	if (xdg_dir(&s->config_dir, "XDG_CONFIG_HOME", ".config", "acmehook", "/etc/acmehook", e) < 0 ||
	    xdg_dir(&s->work_dir, "XDG_STATE_HOME", ".local/state", "acmehook", "/var/lib/acmehook",
	            e) < 0 ||
	    xdg_dir(&s->logs_dir, "XDG_STATE_HOME", ".local/state", "acmehook/log",
	            "/var/log/acmehook", e) < 0)
		return -1;
	if (table_defaults(s, e) < 0)
		return -1;
	/* Defaults that depend on other settings. */
	if (!s->elliptic_curve && strcmp(s->key_type, "ecdsa") == 0 &&
	    !(s->elliptic_curve = strdup("secp256r1")))
		return err_nomem(e);
	if (dup_if_unset(&s->dns_propagation, s->dns_propagation_seconds >= 0 ? "none"
	                                                                       : "authoritative") < 0)
		return err_nomem(e);
	if (strcmp(s->dns_propagation, "authoritative") && strcmp(s->dns_propagation, "resolvers") &&
	    strcmp(s->dns_propagation, "none"))
		return err_set(e, EXIT_USAGE,
		               "--dns-propagation \"%s\" is not one of authoritative, resolvers, none",
		               s->dns_propagation);
	if (s->dns_nameserver_port > 65535)
		return err_set(e, EXIT_USAGE, "--dns-nameserver-port %d is not a port",
		               s->dns_nameserver_port);
	if (s->webroot_map && settings_webroot_map(s, s->webroot_map, false, e) < 0)
		return -1;
	return settings_resolve_instances(s, e);
}
