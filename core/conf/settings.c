#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/settings.h"
#include "store/store.h"

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

/* --- routes -------------------------------------------------------------- */

void route_free(struct route *r)
{
	if (!r)
		return;
	free(r->plugin);
	for (size_t i = 0; r->opts && r->opts[i]; i++)
		free(r->opts[i]);
	free(r->opts);
	r->plugin = NULL;
	r->opts = NULL;
}

int route_copy(struct route *dst, const struct route *src)
{
	struct route r = {0};
	size_t n = 0;

	if (src->plugin && !(r.plugin = strdup(src->plugin)))
		goto fail;
	while (src->opts && src->opts[n])
		n++;
	if (n) {
		r.opts = calloc(n + 1, sizeof(*r.opts));
		if (!r.opts)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (!(r.opts[i] = strdup(src->opts[i])))
				goto fail;
	}
	*dst = r;
	return 0;
fail:
	route_free(&r);
	return -1;
}

const char *route_opt(const struct route *r, const char *key)
{
	for (size_t i = 0; r->opts && r->opts[i] && r->opts[i + 1]; i += 2)
		if (strcmp(r->opts[i], key) == 0)
			return r->opts[i + 1];
	return NULL;
}

int route_set_opt(struct route *r, const char *key, const char *value)
{
	size_t n = 0;
	char **no, *v;

	for (size_t i = 0; r->opts && r->opts[i] && r->opts[i + 1]; i += 2) {
		if (strcmp(r->opts[i], key) == 0) {
			if (!(v = strdup(value)))
				return -1;
			free(r->opts[i + 1]);
			r->opts[i + 1] = v;
			return 0;
		}
	}
	while (r->opts && r->opts[n])
		n++;
	no = realloc(r->opts, (n + 3) * sizeof(*no));
	if (!no)
		return -1;
	r->opts = no;
	no[n] = strdup(key);
	no[n + 1] = strdup(value);
	no[n + 2] = NULL;
	if (!no[n] || !no[n + 1]) {
		free(no[n]);
		free(no[n + 1]);
		no[n] = NULL;
		return -1;
	}
	return 0;
}

bool route_equal(const struct route *a, const struct route *b)
{
	size_t na = 0, nb = 0;

	if ((a->plugin == NULL) != (b->plugin == NULL))
		return false;
	if (a->plugin && strcmp(a->plugin, b->plugin) != 0)
		return false;
	while (a->opts && a->opts[na])
		na++;
	while (b->opts && b->opts[nb])
		nb++;
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i += 2) {
		const char *v = route_opt(b, a->opts[i]);
		if (!v || strcmp(v, a->opts[i + 1]) != 0)
			return false;
	}
	return true;
}

/* --- settings ------------------------------------------------------------ */

void settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
	s->agree_tos = s->non_interactive = s->force_renewal = s->register_unsafely = -1;
	s->json = s->dry_run = s->allow_plain_http = -1;
	s->dns_propagation_seconds = -1;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int strv_push(char ***v, const char *s)
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

static int strv_copy(char ***dst, char *const *src)
{
	for (size_t i = 0; src && src[i]; i++)
		if (strv_push(dst, src[i]) < 0)
			return -1;
	return 0;
}

static void named_free(struct named_route *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		route_free(&v[i].r);
	}
	free(v);
}

/* Append a copy of NAME/R (R may be NULL) and return the new entry. */
static struct named_route *named_push(struct named_route **v, size_t *n, const char *name,
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

static int routes_push(struct route **v, size_t *n, const struct route *r)
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

static void free_secret(char *p)
{
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

void settings_free(struct settings *s)
{
	if (!s)
		return;
	char **strs[] = {&s->command, &s->server, &s->email, &s->eab_kid, &s->eab_hmac_alg,
	                 &s->cert_name, &s->cert_path, &s->key_path, &s->fullchain_path,
	                 &s->chain_path, &s->csr, &s->key_type, &s->elliptic_curve,
	                 &s->preferred_chain, &s->reason, &s->config_dir, &s->work_dir,
	                 &s->logs_dir, &s->ca_bundle, &s->config_file, &s->plugin_dir,
	                 &s->deploy_hook, &s->account_key_type, &s->dns_propagation,
	                 &s->dns_lua_credentials};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	free_secret(s->eab_hmac_key);
	for (size_t i = 0; i < s->n_domains; i++) {
		free(s->domains[i]);
		route_free(&s->routes[i]);
	}
	free(s->domains);
	free(s->routes);
	route_free(&s->fallback);
	for (size_t i = 0; i < s->n_deploys; i++)
		route_free(&s->deploys[i]);
	free(s->deploys);
	strv_free(s->args);
	strv_free(s->dns_resolvers);
	named_free(s->instances, s->n_instances);
	named_free(s->patterns, s->n_patterns);
	settings_init(s);
}

/* Names are compared and stored in lower case, as DNS is case-blind and
 * CAs return them lower-cased. */
static int check_domain(const char *name, const char *origin, struct error *e)
{
	size_t n = strlen(name);
	const char *p = name;

	if (n == 0 || n > 253)
		return err_set(e, EXIT_USAGE, "%s: invalid domain \"%s\"", origin, name);
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

int settings_add_domain(struct settings *s, const char *name, const struct route *r,
                        struct error *e)
{
	char **nd;
	struct route *nr;
	char *lower;

	for (size_t i = 0; i < s->n_domains; i++)
		if (strcasecmp(s->domains[i], name) == 0)
			return 0; /* certbot ignores repeats */
	if (s->n_domains >= MAX_DOMAINS)
		return err_set(e, EXIT_USAGE, "too many domains: at most %d in one certificate",
		               MAX_DOMAINS);
	lower = strdup(name);
	if (!lower)
		return err_set(e, EXIT_OP, "out of memory");
	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	nd = realloc(s->domains, (s->n_domains + 2) * sizeof(*nd));
	if (!nd)
		goto oom;
	s->domains = nd;
	nr = realloc(s->routes, (s->n_domains + 1) * sizeof(*nr));
	if (!nr)
		goto oom;
	s->routes = nr;
	memset(&nr[s->n_domains], 0, sizeof(*nr));
	if (r && route_copy(&nr[s->n_domains], r) < 0)
		goto oom;
	nd[s->n_domains++] = lower;
	nd[s->n_domains] = NULL;
	return 0;
oom:
	free(lower);
	return err_set(e, EXIT_OP, "out of memory");
}

/* --- the option table ---------------------------------------------------- */

enum opt_kind { O_STR, O_SECRET, O_BOOL, O_INT, O_INT0, O_SPECIAL, O_COMPAT };

enum special {
	SP_NONE,
	SP_DOMAINS,
	SP_WEBROOT,
	SP_AUTHENTICATOR,
	SP_VERBOSE,
	SP_QUIET,
	SP_STAGING,
	SP_HELP,
	SP_VERSION,
	SP_PLUGIN,        /* selects optdef.plugin; a value, if any, is option optdef.key */
	SP_PLUGIN_OPT,    /* option optdef.key of the current optdef.plugin route */
	SP_DEPLOY,        /* --deploy-script SCRIPT */
	SP_DEPLOY_OPT,    /* option optdef.key of the last --deploy-script */
	SP_RESOLVER,      /* --dns-resolver, repeatable, comma lists */
};

struct optdef {
	const char *lng;
	char shrt;
	enum opt_kind kind;
	size_t off;        /* into struct settings for O_STR/O_SECRET/O_BOOL/O_INT */
	enum special sp;
	bool takes_arg;    /* for O_SPECIAL and O_COMPAT */
	const char *plugin; /* SP_PLUGIN, SP_PLUGIN_OPT */
	const char *key;    /* SP_PLUGIN (with a value), SP_PLUGIN_OPT, SP_DEPLOY_OPT */
};

#define STR(name, field) {name, 0, O_STR, offsetof(struct settings, field), SP_NONE, true, NULL, NULL}
#define BOOL(name, field) {name, 0, O_BOOL, offsetof(struct settings, field), SP_NONE, false, NULL, NULL}

static const struct optdef options[] = {
	{"domains", 'd', O_SPECIAL, 0, SP_DOMAINS, true, NULL, NULL},
	{"domain", 0, O_SPECIAL, 0, SP_DOMAINS, true, NULL, NULL},
	{"webroot", 0, O_SPECIAL, 0, SP_WEBROOT, false, NULL, NULL},
	{"webroot-path", 'w', O_SPECIAL, 0, SP_PLUGIN_OPT, true, "webroot", "webroot-path"},
	{"dns-rfc2136", 0, O_SPECIAL, 0, SP_PLUGIN, false, "dns-rfc2136", NULL},
	{"dns-rfc2136-credentials", 0, O_SPECIAL, 0, SP_PLUGIN_OPT, true, "dns-rfc2136",
	 "credentials"},
	{"dns-lua", 0, O_SPECIAL, 0, SP_PLUGIN, true, "dns-lua", "script"},
	{"dns-lua-credentials", 0, O_SPECIAL, 0, SP_PLUGIN_OPT, true, "dns-lua", "credentials"},
	{"deploy-script", 0, O_SPECIAL, 0, SP_DEPLOY, true, "dns-lua", "script"},
	{"deploy-script-credentials", 0, O_SPECIAL, 0, SP_DEPLOY_OPT, true, NULL, "credentials"},
	{"dns-resolver", 0, O_SPECIAL, 0, SP_RESOLVER, true, NULL, NULL},
	{"dns-nameserver-port", 0, O_INT, offsetof(struct settings, dns_nameserver_port), SP_NONE,
	 true, NULL, NULL},
	{"dns-propagation-timeout", 0, O_INT, offsetof(struct settings, dns_propagation_timeout),
	 SP_NONE, true, NULL, NULL},
	{"dns-propagation-seconds", 0, O_INT0, offsetof(struct settings, dns_propagation_seconds),
	 SP_NONE, true, NULL, NULL},
	{"dns-propagation", 0, O_STR, offsetof(struct settings, dns_propagation), SP_NONE, true,
	 NULL, NULL},
	{"lock-timeout", 0, O_INT, offsetof(struct settings, lock_timeout), SP_NONE, true, NULL,
	 NULL},
	{"authenticator", 'a', O_SPECIAL, 0, SP_AUTHENTICATOR, true, NULL, NULL},
	{"verbose", 'v', O_SPECIAL, 0, SP_VERBOSE, false, NULL, NULL},
	{"quiet", 'q', O_SPECIAL, 0, SP_QUIET, false, NULL, NULL},
	{"staging", 0, O_SPECIAL, 0, SP_STAGING, false, NULL, NULL},
	{"test-cert", 0, O_SPECIAL, 0, SP_STAGING, false, NULL, NULL},
	{"help", 'h', O_SPECIAL, 0, SP_HELP, false, NULL, NULL},
	{"version", 0, O_SPECIAL, 0, SP_VERSION, false, NULL, NULL},
	{"non-interactive", 'n', O_BOOL, offsetof(struct settings, non_interactive), SP_NONE, false, NULL, NULL},
	BOOL("noninteractive", non_interactive),
	BOOL("agree-tos", agree_tos),
	BOOL("register-unsafely-without-email", register_unsafely),
	BOOL("force-renewal", force_renewal),
	BOOL("renew-by-default", force_renewal),
	BOOL("json", json),
	BOOL("dry-run", dry_run),
	{"email", 'm', O_STR, offsetof(struct settings, email), SP_NONE, true, NULL, NULL},
	STR("server", server),
	STR("eab-kid", eab_kid),
	{"eab-hmac-key", 0, O_SECRET, offsetof(struct settings, eab_hmac_key), SP_NONE, true, NULL, NULL},
	STR("eab-hmac-alg", eab_hmac_alg),
	STR("cert-name", cert_name),
	STR("cert-path", cert_path),
	STR("key-path", key_path),
	STR("fullchain-path", fullchain_path),
	STR("chain-path", chain_path),
	STR("csr", csr),
	STR("key-type", key_type),
	STR("elliptic-curve", elliptic_curve),
	{"rsa-key-size", 0, O_INT, offsetof(struct settings, rsa_key_size), SP_NONE, true, NULL, NULL},
	STR("preferred-chain", preferred_chain),
	STR("reason", reason),
	STR("config-dir", config_dir),
	STR("work-dir", work_dir),
	STR("logs-dir", logs_dir),
	{"config", 'c', O_STR, offsetof(struct settings, config_file), SP_NONE, true, NULL, NULL},
	STR("ca-bundle", ca_bundle),
	STR("plugin-dir", plugin_dir),
	STR("deploy-hook", deploy_hook),
	STR("renew-hook", deploy_hook),
	STR("account-key-type", account_key_type),
	/* certbot flags whose behaviour is acmehook's only behaviour: keeping a
	 * certificate that is not due, never subscribing to mail, renewing
	 * without a random delay (cron jobs add their own), and accepting a
	 * changed name set for an existing lineage. Accepted so existing
	 * command lines and cli.ini files keep working. */
	{"keep-until-expiring", 0, O_COMPAT, 0, SP_NONE, false, NULL, NULL},
	{"keep", 0, O_COMPAT, 0, SP_NONE, false, NULL, NULL},
	{"expand", 0, O_COMPAT, 0, SP_NONE, false, NULL, NULL},
	{"no-eff-email", 0, O_COMPAT, 0, SP_NONE, false, NULL, NULL},
	{"no-random-sleep-on-renew", 0, O_COMPAT, 0, SP_NONE, false, NULL, NULL},
};

static const struct optdef *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strlen(options[i].lng) == len && strncmp(options[i].lng, name, len) == 0)
			return &options[i];
	return NULL;
}

static const struct optdef *find_short(char c)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].shrt == c)
			return &options[i];
	return NULL;
}

static bool opt_takes_arg(const struct optdef *o)
{
	switch (o->kind) {
	case O_STR:
	case O_SECRET:
	case O_INT:
	case O_INT0:
		return true;
	case O_BOOL:
		return false;
	default:
		return o->takes_arg;
	}
}

/* Parser state: in argv the authenticator flags are positional (they apply
 * to the -d flags after them); in files they set the fallback route. */
struct parse {
	struct settings *s;
	bool positional;
	struct route cur;           /* argv: the route the next -d gets */
	char *first_webroot;        /* argv: certbot gives it to earlier -d */
};

static int parse_bool(const char *v, const char *origin, const char *key, int *out,
                      struct error *e)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
	    !strcmp(v, "1")) {
		*out = 1;
		return 0;
	}
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
	    !strcmp(v, "0")) {
		*out = 0;
		return 0;
	}
	return err_set(e, EXIT_USAGE, "%s: %s expects true or false, not \"%s\"", origin, key, v);
}

static int apply(struct parse *ps, const struct optdef *o, const char *val, const char *origin,
                 struct error *e)
{
	struct settings *s = ps->s;
	struct route *target = ps->positional ? &ps->cur : &s->fallback;
	char *p = (char *)s + o->off;

	switch (o->kind) {
	case O_STR:
	case O_SECRET: {
		char **slot = (char **)(void *)p;
		char *v = strdup(val);
		if (!v)
			return err_set(e, EXIT_OP, "out of memory");
		if (o->kind == O_SECRET)
			free_secret(*slot);
		else
			free(*slot);
		*slot = v;
		return 0;
	}
	case O_BOOL:
		if (val)
			return parse_bool(val, origin, o->lng, (int *)(void *)p, e);
		*(int *)(void *)p = 1;
		return 0;
	case O_INT:
	case O_INT0: {
		char *end = NULL;
		long n;
		errno = 0;
		n = strtol(val, &end, 10);
		if (errno || end == val || *end || n < (o->kind == O_INT0 ? 0 : 1) || n > INT_MAX)
			return err_set(e, EXIT_USAGE, "%s: --%s expects a positive number, not \"%s\"",
			               origin, o->lng, val);
		*(int *)(void *)p = (int)n;
		return 0;
	}
	case O_COMPAT:
		return 0;
	case O_SPECIAL:
		break;
	}
	switch (o->sp) {
	case SP_DOMAINS: {
		char *copy = strdup(val), *save = NULL;
		int rc = 0;
		if (!copy)
			return err_set(e, EXIT_OP, "out of memory");
		for (char *t = strtok_r(copy, ", \t", &save); t && rc == 0;
		     t = strtok_r(NULL, ", \t", &save)) {
			rc = check_domain(t, origin, e);
			if (rc == 0)
				rc = settings_add_domain(s, t, ps->positional ? &ps->cur : NULL, e);
		}
		free(copy);
		return rc;
	}
	case SP_WEBROOT:
	case SP_AUTHENTICATOR: {
		const char *name = o->sp == SP_WEBROOT ? "webroot" : val;
		int on = 1;
		/* In files, "webroot = true" selects the plugin like the flag. */
		if (o->sp == SP_WEBROOT && val && parse_bool(val, origin, o->lng, &on, e) < 0)
			return -1;
		if (!on)
			return 0;
		if (target->plugin && strcmp(target->plugin, name) != 0) {
			/* Switching authenticators starts a fresh option set. */
			route_free(target);
		}
		free(target->plugin);
		target->plugin = strdup(name);
		return target->plugin ? 0 : err_set(e, EXIT_OP, "out of memory");
	}
	case SP_PLUGIN:
	case SP_PLUGIN_OPT:
		/* An option of another plugin than the current one starts that
		 * plugin's route, as -w starts a webroot route in certbot. */
		if (!target->plugin || strcmp(target->plugin, o->plugin) != 0) {
			route_free(target);
			target->plugin = strdup(o->plugin);
		}
		if (!target->plugin || (val && route_set_opt(target, o->key, val) < 0))
			return err_set(e, EXIT_OP, "out of memory");
		if (o->sp == SP_PLUGIN_OPT && strcmp(o->key, "webroot-path") == 0 && ps->positional &&
		    !ps->first_webroot && !(ps->first_webroot = strdup(val)))
			return err_set(e, EXIT_OP, "out of memory");
		if (strcmp(o->lng, "dns-lua-credentials") == 0) {
			free(s->dns_lua_credentials);
			if (!(s->dns_lua_credentials = strdup(val)))
				return err_set(e, EXIT_OP, "out of memory");
		}
		return 0;
	case SP_DEPLOY: {
		struct route r = {0};
		int rc = (r.plugin = strdup(o->plugin)) && route_set_opt(&r, o->key, val) == 0 &&
		                 routes_push(&s->deploys, &s->n_deploys, &r) == 0
		                 ? 0
		                 : -1;
		route_free(&r);
		return rc == 0 ? 0 : err_set(e, EXIT_OP, "out of memory");
	}
	case SP_DEPLOY_OPT:
		if (s->n_deploys == 0)
			return err_set(e, EXIT_USAGE, "%s: --%s must follow a --deploy-script", origin,
			               o->lng);
		return route_set_opt(&s->deploys[s->n_deploys - 1], o->key, val) == 0
		               ? 0
		               : err_set(e, EXIT_OP, "out of memory");
	case SP_RESOLVER: {
		char *copy = strdup(val), *save = NULL;
		int rc = copy ? 0 : -1;
		for (char *t = copy ? strtok_r(copy, ", \t", &save) : NULL; t && rc == 0;
		     t = strtok_r(NULL, ", \t", &save))
			rc = strv_push(&s->dns_resolvers, t);
		free(copy);
		return rc == 0 ? 0 : err_set(e, EXIT_OP, "out of memory");
	}
	case SP_VERBOSE:
	case SP_QUIET:
		s->verbose += o->sp == SP_VERBOSE ? 1 : -1;
		s->verbose_set = true;
		return 0;
	case SP_STAGING:
		free(s->server);
		s->server = strdup("letsencrypt-staging");
		return s->server ? 0 : err_set(e, EXIT_OP, "out of memory");
	case SP_HELP:
	case SP_VERSION:
		free(s->command);
		s->command = strdup(o->sp == SP_HELP ? "help" : "version");
		return 0;
	case SP_NONE:
		break;
	}
	return 0;
}

int settings_apply(struct settings *s, const char *key, const char *value, const char *origin,
                   struct error *e)
{
	char name[64];
	size_t n = strlen(key);
	const struct optdef *o;
	struct parse ps = {.s = s, .positional = false};

	if (n >= sizeof(name))
		return err_set(e, EXIT_USAGE, "%s: unknown option \"%s\"", origin, key);
	for (size_t i = 0; i <= n; i++)
		name[i] = key[i] == '_' ? '-' : key[i];
	o = find_long(name, n);
	if (!o)
		return err_set(e, EXIT_USAGE, "%s: unknown option \"%s\"", origin, key);
	if (o->sp == SP_HELP || o->sp == SP_VERSION)
		return err_set(e, EXIT_USAGE, "%s: \"%s\" is not a setting", origin, key);
	/* An empty value leaves the setting unset (the seed cli.ini has
	 * "eab-kid =" placeholders). */
	if (!*value)
		return 0;
	if (!opt_takes_arg(o) && o->kind != O_BOOL && o->sp != SP_WEBROOT) {
		int on;
		if (parse_bool(value, origin, key, &on, e) < 0)
			return -1;
		if (!on)
			return 0;
		return apply(&ps, o, NULL, origin, e);
	}
	return apply(&ps, o, value, origin, e);
}

int settings_from_argv(struct settings *s, int argc, char **argv, struct error *e)
{
	struct parse ps = {.s = s, .positional = true};
	bool opts_done = false;
	int ret = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct optdef *o = NULL;
		const char *val = NULL;
		char origin[80];

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			if (s->command) {
				/* Only `script` takes words after the command. */
				if (strcmp(s->command, "script") != 0) {
					err_set(e, EXIT_USAGE, "unexpected argument \"%s\" (the command is %s)",
					        a, s->command);
					goto out;
				}
				if (strv_push(&s->args, a) < 0) {
					err_set(e, EXIT_OP, "out of memory");
					goto out;
				}
				continue;
			}
			if (!(s->command = strdup(a))) {
				err_set(e, EXIT_OP, "out of memory");
				goto out;
			}
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			o = find_long(a + 2, len);
			if (!o) {
				err_set(e, EXIT_USAGE, "unknown option %.*s; see acmehook --help",
				        (int)(len + 2), a);
				goto out;
			}
			if (eq) {
				if (!opt_takes_arg(o)) {
					err_set(e, EXIT_USAGE, "option --%s takes no value", o->lng);
					goto out;
				}
				val = eq + 1;
			}
		} else {
			if (a[2] != '\0' && !(find_short(a[1]) && opt_takes_arg(find_short(a[1])))) {
				/* Bundled short flags such as -nv. */
				for (const char *c = a + 1; *c; c++) {
					o = find_short(*c);
					if (!o || opt_takes_arg(o)) {
						err_set(e, EXIT_USAGE, "unknown option -%c in %s", *c, a);
						goto out;
					}
					if (apply(&ps, o, NULL, "command line", e) < 0)
						goto out;
				}
				continue;
			}
			o = find_short(a[1]);
			if (!o) {
				err_set(e, EXIT_USAGE, "unknown option %s; see acmehook --help", a);
				goto out;
			}
			if (a[2] != '\0')
				val = a + 2;
		}
		if (opt_takes_arg(o) && !val) {
			if (i + 1 >= argc) {
				err_set(e, EXIT_USAGE, "option --%s needs a value", o->lng);
				goto out;
			}
			val = argv[++i];
		}
		snprintf(origin, sizeof(origin), "--%s", o->lng);
		if (apply(&ps, o, val, origin, e) < 0)
			goto out;
	}
	/* certbot semantics: -d flags before any authenticator take the one
	 * given later, and webroot names without -w take the first -w. */
	for (size_t i = 0; i < s->n_domains; i++) {
		struct route *r = &s->routes[i];
		if (!r->plugin && ps.cur.plugin) {
			route_free(r);
			/* A webroot name given before any -w takes the first -w, not
			 * the last, so copy the options only for other plugins. */
			if (strcmp(ps.cur.plugin, "webroot") == 0 ? !(r->plugin = strdup("webroot"))
			                                          : route_copy(r, &ps.cur) < 0) {
				err_set(e, EXIT_OP, "out of memory");
				goto out;
			}
		}
		if (r->plugin && strcmp(r->plugin, "webroot") == 0 && !route_opt(r, "webroot-path") &&
		    ps.first_webroot && route_set_opt(r, "webroot-path", ps.first_webroot) < 0) {
			err_set(e, EXIT_OP, "out of memory");
			goto out;
		}
	}
	if (s->n_domains == 0 && ps.cur.plugin) {
		route_free(&s->fallback);
		s->fallback = ps.cur;
		memset(&ps.cur, 0, sizeof(ps.cur));
	}
	ret = 0;
out:
	route_free(&ps.cur);
	free(ps.first_webroot);
	return ret;
}

/* --- INI files ----------------------------------------------------------- */

static char *trim(char *p)
{
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return p;
}

int ini_parse(const char *path, ini_fn fn, void *ud, struct error *e)
{
	char *data = NULL, section[64] = "";
	int ret = -1, lineno = 0;
	char *line, *next;

	if (store_read(path, 1 << 20, &data, NULL, e) < 0)
		return -1;
	for (line = data; line; line = next) {
		char origin[PATH_MAX + 16], *eq, *key, *val, *t;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		t = trim(line);
		if (*t == '\0' || *t == '#' || *t == ';')
			continue;
		if (*t == '[') {
			size_t n = strlen(t);
			char *inner = t;
			while (*inner == '[')
				inner++;
			if (t[n - 1] != ']') {
				err_set(e, EXIT_USAGE, "%s: malformed section header \"%s\"", origin, t);
				goto out;
			}
			while (n > 0 && t[n - 1] == ']')
				t[--n] = '\0';
			snprintf(section, sizeof(section), "%s", trim(inner));
			continue;
		}
		eq = strchr(t, '=');
		if (!eq) {
			err_set(e, EXIT_USAGE, "%s: expected \"key = value\", got \"%s\"", origin, t);
			goto out;
		}
		*eq = '\0';
		key = trim(t);
		val = trim(eq + 1);
		if (!*key) {
			err_set(e, EXIT_USAGE, "%s: missing key before '='", origin);
			goto out;
		}
		if (fn(ud, section, key, val, origin, e) < 0)
			goto out;
	}
	ret = 0;
out:
	if (data) {
		OPENSSL_cleanse(data, strlen(data));
		free(data);
	}
	return ret;
}

static int ini_settings_cb(void *ud, const char *section, const char *key, const char *value,
                           const char *origin, struct error *e)
{
	struct settings *s = ud;

	if (section[0] == '\0')
		return settings_apply(s, key, value, origin, e);
	if (strncmp(section, "instance ", 9) == 0) {
		/* [instance NAME]: "plugin = P" and P's options. */
		const char *name = section + 9;
		struct named_route *it = NULL;
		while (*name == ' ')
			name++;
		if (!*name || !store_name_valid(name))
			return err_set(e, EXIT_USAGE, "%s: bad instance name in [%s]", origin, section);
		for (size_t i = 0; i < s->n_instances && !it; i++)
			if (strcmp(s->instances[i].name, name) == 0)
				it = &s->instances[i];
		if (!it && !(it = named_push(&s->instances, &s->n_instances, name, NULL)))
			return err_set(e, EXIT_OP, "out of memory");
		if (strcmp(key, "plugin") == 0) {
			free(it->r.plugin);
			it->r.plugin = strdup(value);
			return it->r.plugin ? 0 : err_set(e, EXIT_OP, "out of memory");
		}
		return route_set_opt(&it->r, key, value) == 0 ? 0 : err_set(e, EXIT_OP, "out of memory");
	}
	if (strcmp(section, "routes") == 0) {
		/* PATTERN = INSTANCE-or-PLUGIN */
		struct route r = {0};
		const char *pat = strncmp(key, "*.", 2) == 0 ? key + 2 : key;
		if (check_domain(pat, origin, e) < 0)
			return -1;
		if (!*value)
			return err_set(e, EXIT_USAGE, "%s: route for %s names no instance", origin, key);
		r.plugin = (char *)value;
		return named_push(&s->patterns, &s->n_patterns, key, &r) ? 0
		                                                           : err_set(e, EXIT_OP,
		                                                                     "out of memory");
	}
	return err_set(e, EXIT_USAGE,
	               "%s: unknown section [%s]; cli.ini knows [instance NAME] and [routes]", origin,
	               section);
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
				return err_set(e, EXIT_OP, "out of memory");
			route_free(r);
			*r = c;
			return 0;
		}
	}
	return 0;
}

int settings_resolve_instances(struct settings *s, struct error *e)
{
	for (size_t i = 0; i < s->n_domains; i++)
		if (resolve_one(s, &s->routes[i], e) < 0)
			return -1;
	return resolve_one(s, &s->fallback, e);
}

int settings_from_ini(struct settings *s, const char *path, bool optional, struct error *e)
{
	if (optional && access(path, F_OK) != 0)
		return 0;
	return ini_parse(path, ini_settings_cb, s, e);
}

/* --- merging and defaults ------------------------------------------------ */

static int dup_if_unset(char **dst, const char *src)
{
	if (*dst || !src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

int settings_merge(struct settings *d, const struct settings *s, struct error *e)
{
	const size_t str_fields[] = {
		offsetof(struct settings, command), offsetof(struct settings, server),
		offsetof(struct settings, email), offsetof(struct settings, eab_kid),
		offsetof(struct settings, eab_hmac_key), offsetof(struct settings, eab_hmac_alg),
		offsetof(struct settings, cert_name), offsetof(struct settings, cert_path),
		offsetof(struct settings, key_path), offsetof(struct settings, fullchain_path),
		offsetof(struct settings, chain_path), offsetof(struct settings, csr),
		offsetof(struct settings, key_type), offsetof(struct settings, elliptic_curve),
		offsetof(struct settings, preferred_chain), offsetof(struct settings, reason),
		offsetof(struct settings, config_dir), offsetof(struct settings, work_dir),
		offsetof(struct settings, logs_dir), offsetof(struct settings, ca_bundle),
		offsetof(struct settings, config_file), offsetof(struct settings, plugin_dir),
		offsetof(struct settings, deploy_hook),
		offsetof(struct settings, account_key_type), offsetof(struct settings, dns_propagation),
		offsetof(struct settings, dns_lua_credentials),
	};
	const size_t bool_fields[] = {
		offsetof(struct settings, agree_tos), offsetof(struct settings, non_interactive),
		offsetof(struct settings, force_renewal), offsetof(struct settings, register_unsafely),
		offsetof(struct settings, json), offsetof(struct settings, dry_run),
		offsetof(struct settings, allow_plain_http),
	};

	for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++)
		if (dup_if_unset((char **)(void *)((char *)d + str_fields[i]),
		                 *(char *const *)(const void *)((const char *)s + str_fields[i])) < 0)
			return err_set(e, EXIT_OP, "out of memory");
	for (size_t i = 0; i < sizeof(bool_fields) / sizeof(bool_fields[0]); i++) {
		int *dv = (int *)(void *)((char *)d + bool_fields[i]);
		const int *sv = (const int *)(const void *)((const char *)s + bool_fields[i]);
		if (*dv < 0)
			*dv = *sv;
	}
	if (!d->rsa_key_size)
		d->rsa_key_size = s->rsa_key_size;
	if (!d->dns_nameserver_port)
		d->dns_nameserver_port = s->dns_nameserver_port;
	if (!d->dns_propagation_timeout)
		d->dns_propagation_timeout = s->dns_propagation_timeout;
	if (d->dns_propagation_seconds < 0)
		d->dns_propagation_seconds = s->dns_propagation_seconds;
	if (d->lock_timeout <= 0)
		d->lock_timeout = s->lock_timeout;
	if (!d->dns_resolvers && strv_copy(&d->dns_resolvers, s->dns_resolvers) < 0)
		return err_set(e, EXIT_OP, "out of memory");
	if (!d->args && strv_copy(&d->args, s->args) < 0)
		return err_set(e, EXIT_OP, "out of memory");
	if (d->n_deploys == 0)
		for (size_t i = 0; i < s->n_deploys; i++)
			if (routes_push(&d->deploys, &d->n_deploys, &s->deploys[i]) < 0)
				return err_set(e, EXIT_OP, "out of memory");
	for (size_t i = 0; i < s->n_instances; i++) {
		bool have = false;
		for (size_t j = 0; j < d->n_instances && !have; j++)
			have = strcmp(d->instances[j].name, s->instances[i].name) == 0;
		if (!have && !named_push(&d->instances, &d->n_instances, s->instances[i].name,
		                         &s->instances[i].r))
			return err_set(e, EXIT_OP, "out of memory");
	}
	for (size_t i = 0; i < s->n_patterns; i++)
		if (!named_push(&d->patterns, &d->n_patterns, s->patterns[i].name, &s->patterns[i].r))
			return err_set(e, EXIT_OP, "out of memory");
	if (!d->verbose_set && s->verbose_set) {
		d->verbose = s->verbose;
		d->verbose_set = true;
	}
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
				return err_set(e, EXIT_OP, "out of memory");
		}
	}
	if (!d->fallback.plugin && s->fallback.plugin) {
		route_free(&d->fallback);
		if (route_copy(&d->fallback, &s->fallback) < 0)
			return err_set(e, EXIT_OP, "out of memory");
	}
	return 0;
}

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
	return *slot ? 0 : err_set(e, EXIT_OP, "out of memory");
}

int settings_defaults(struct settings *s, struct error *e)
{
	if (xdg_dir(&s->config_dir, "XDG_CONFIG_HOME", ".config", "acmehook", "/etc/acmehook", e) < 0 ||
	    xdg_dir(&s->work_dir, "XDG_STATE_HOME", ".local/state", "acmehook", "/var/lib/acmehook",
	            e) < 0 ||
	    xdg_dir(&s->logs_dir, "XDG_STATE_HOME", ".local/state", "acmehook/log",
	            "/var/log/acmehook", e) < 0)
		return -1;
	if (dup_if_unset(&s->server, "letsencrypt") < 0 ||
	    dup_if_unset(&s->key_type, "ecdsa") < 0 || dup_if_unset(&s->eab_hmac_alg, "HS256") < 0)
		return err_set(e, EXIT_OP, "out of memory");
	if (!s->elliptic_curve && strcmp(s->key_type, "ecdsa") == 0 &&
	    !(s->elliptic_curve = strdup("secp256r1")))
		return err_set(e, EXIT_OP, "out of memory");
	if (!s->rsa_key_size)
		s->rsa_key_size = 2048;
	if (s->agree_tos < 0)
		s->agree_tos = 0;
	if (s->non_interactive < 0)
		s->non_interactive = 0;
	if (s->force_renewal < 0)
		s->force_renewal = 0;
	if (s->register_unsafely < 0)
		s->register_unsafely = 0;
	if (s->json < 0)
		s->json = 0;
	if (s->dry_run < 0)
		s->dry_run = 0;
	if (s->allow_plain_http < 0)
		s->allow_plain_http = 0;
	if (dup_if_unset(&s->dns_propagation, s->dns_propagation_seconds >= 0 ? "none"
	                                                                       : "authoritative") < 0)
		return err_set(e, EXIT_OP, "out of memory");
	if (strcmp(s->dns_propagation, "authoritative") && strcmp(s->dns_propagation, "resolvers") &&
	    strcmp(s->dns_propagation, "none"))
		return err_set(e, EXIT_USAGE,
		               "--dns-propagation \"%s\" is not one of authoritative, resolvers, none",
		               s->dns_propagation);
	if (!s->dns_nameserver_port)
		s->dns_nameserver_port = 53;
	if (s->dns_nameserver_port > 65535)
		return err_set(e, EXIT_USAGE, "--dns-nameserver-port %d is not a port",
		               s->dns_nameserver_port);
	if (!s->dns_propagation_timeout)
		s->dns_propagation_timeout = 120;
	return settings_resolve_instances(s, e);
}
