/* certbot's renewal files (see certbot.h). The syntax is configobj's, as
 * certbot writes it: "key = value" lines, "[section]" and nested
 * "[[subsection]]" headers, '#' comments, values bare or in quotes, and
 * lists as comma-separated items ("a, b" or "a," for one item). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "conf/certbot.h"
#include "conf/configobj.h"
#include "conf/internal.h"
#include "store/store.h"

/* --- which keys acmehook uses --------------------------------------------- */

/* Top-level keys acmehook reads (the rest are kept and reported). */
static const char *const top_used[] = {"version", "archive_dir", "cert", "privkey", "chain",
                                       "fullchain", "acmehook_reported", NULL};
/* [renewalparams] keys taken as the option of the same name. */
static const char *const params_applied[] = {
	"account",     "server",   "key_type",  "elliptic_curve", "rsa_key_size",
	"preferred_chain", "pre_hook", "post_hook", "renew_hook",    "deploy_hook",
	"dns_rfc2136_propagation_seconds", NULL};
/* [renewalparams] keys that make the routes. */
static const char *const params_routing[] = {"authenticator",    "webroot_path",
                                             "dns_rfc2136_credentials", "manual_auth_hook",
                                             "manual_cleanup_hook", "http01_port",
                                             "http01_address", NULL};
/* certbot's authenticators whose [renewalparams] keys are, under the same
 * names, the options of acmehook's plugin of the same name. */
static const struct plugin_keys {
	const char *plugin;
	const char *keys[3];
} plugin_keys[] = {
	{"manual", {"manual_auth_hook", "manual_cleanup_hook", NULL}},
	{"standalone", {"http01_port", "http01_address", NULL}},
};

static const struct plugin_keys *keys_of(const char *plugin)
{
	for (size_t i = 0; i < sizeof(plugin_keys) / sizeof(plugin_keys[0]); i++)
		if (strcmp(plugin_keys[i].plugin, plugin) == 0)
			return &plugin_keys[i];
	return NULL;
}
/* [renewalparams] keys kept for certbot without a word: acmehook's
 * directories are run-wide, given by its own options. */
static const char *const params_quiet[] = {"config_dir", "work_dir", "logs_dir", NULL};

static bool in(const char *const *list, const char *key)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

/* Whether line L is one acmehook uses; the others are kept verbatim. */
static bool line_used(const struct cobj_line *l)
{
	if (l->header)
		return strcmp(l->sect, "renewalparams") == 0 ||
		       strcmp(l->sect, "renewalparams/webroot_map") == 0 ||
		       strcmp(l->sect, "acmehook") == 0;
	if (!l->key)
		return false;
	if (!l->sect[0])
		return in(top_used, l->key);
	if (strcmp(l->sect, "renewalparams") == 0)
		return in(params_applied, l->key) || in(params_routing, l->key) ||
		       strcmp(l->key, "pref_challs") == 0 ||
		       (strcmp(l->key, "installer") == 0 &&
		        (strcmp(l->value, "None") == 0 || strcmp(l->value, "none") == 0));
	return strcmp(l->sect, "renewalparams/webroot_map") == 0 || strcmp(l->sect, "acmehook") == 0;
}

bool certbot_renewal_is(const char *text)
{
	struct cobj_file f = {0};
	struct error e = {0};
	bool is = false;

	if (cobj_parse(text, "", &f, &e) < 0)
		return false;
	is = cobj_find(&f, "renewalparams", "authenticator") != NULL;
	for (size_t i = 0; is && i < f.n; i++)
		if (f.l[i].header && strcmp(f.l[i].sect, "renewalparams/routes") == 0)
			is = false;
	cobj_free(&f);
	return is;
}

/* --- reading -------------------------------------------------------------- */

/* The file's paths must be the store's: acmehook writes new versions
 * there and nowhere else. */
static int check_paths(const struct store *st, const char *name, const struct cobj_file *f,
                       const char *path, struct error *e)
{
	static const char *const kinds[] = {"cert", "privkey", "chain", "fullchain", "archive_dir"};
	char want[PATH_MAX], a[PATH_MAX], b[PATH_MAX];

	for (size_t i = 0; i < 5; i++) {
		const struct cobj_line *l = cobj_find(f, "", kinds[i]);
		char *have = NULL;
		bool same;
		if (i < 4)
			store_live_path(st, name, kinds[i], want, sizeof(want));
		else
			store_archive_dir(st, name, want, sizeof(want));
		if (!l)
			return err_set(e, EXIT_USAGE, "%s has no %s", path, kinds[i]);
		if (cobj_single(l, path, &have, e) < 0)
			return -1;
		/* The same file reached through another spelling (a symlinked
		 * /etc/letsencrypt) is the same place. */
		same = have && (strcmp(have, want) == 0 ||
		                (realpath(have, a) && realpath(want, b) && strcmp(a, b) == 0));
		if (!same) {
			err_set(e, EXIT_USAGE, "%s: %s is %s, but the lineage's is %s; acmehook renews "
			                       "lineages only in their place under the config dir",
			        path, kinds[i], have ? have : "None", want);
			free(have);
			return -1;
		}
		free(have);
	}
	return 0;
}

/* The route of NAME from the authenticator and its keys. */
static int route_of(const struct cobj_file *f, const char *name, const char *auth,
                    char *const *webroot_path, const char *path, struct route *r,
                    struct error *e)
{
	const struct cobj_line *l;
	char *v = NULL;

	if (!(r->plugin = strdup(auth)))
		return err_nomem(e);
	if (strcmp(auth, "webroot") == 0) {
		/* certbot's webroot plugin: the name's entry in the map, else the
		 * last webroot given. */
		l = cobj_find(f, "renewalparams/webroot_map", name);
		if (l && cobj_single(l, path, &v, e) < 0)
			return -1;
		if (!v && webroot_path && webroot_path[0]) {
			size_t last = 0;
			while (webroot_path[last + 1])
				last++;
			if (!(v = strdup(webroot_path[last])))
				return err_nomem(e);
		}
		if (!v)
			return err_set(e, EXIT_USAGE, "%s: no webroot for %s in webroot_map or webroot_path",
			               path, name);
		if (route_set_opt(r, "webroot-path", v) < 0) {
			free(v);
			return err_nomem(e);
		}
		free(v);
	} else if (keys_of(auth)) {
		for (const char *const *k = keys_of(auth)->keys; *k; k++) {
			l = cobj_find(f, "renewalparams", *k);
			if (!l)
				continue;
			if (cobj_single(l, path, &v, e) < 0)
				return -1;
			if (v && route_set_opt(r, *k, v) < 0) {
				free(v);
				return err_nomem(e);
			}
			free(v);
			v = NULL;
		}
	} else if (strcmp(auth, "dns-rfc2136") == 0) {
		l = cobj_find(f, "renewalparams", "dns_rfc2136_credentials");
		if (!l)
			return err_set(e, EXIT_USAGE, "%s: authenticator dns-rfc2136 without "
			                              "dns_rfc2136_credentials",
			               path);
		if (cobj_single(l, path, &v, e) < 0)
			return -1;
		if (v && route_set_opt(r, "credentials", v) < 0) {
			free(v);
			return err_nomem(e);
		}
		free(v);
	}
	return 0;
}

/* The names of the live certificate, as certbot takes them. */
static char **live_names(const struct store *st, const char *name, struct error *e)
{
	char p[PATH_MAX];
	struct cert_info ci = {0};
	char **names = NULL;
	X509 *cert;

	store_live_path(st, name, "cert", p, sizeof(p));
	cert = crypto_cert_load(p, e);
	if (!cert)
		return NULL;
	if (crypto_cert_info(cert, &ci, e) == 0) {
		names = ci.names;
		ci.names = NULL;
		if (!names || !names[0]) {
			err_set(e, EXIT_USAGE, "%s names no DNS name", p);
			crypto_names_free(names);
			names = NULL;
		}
		crypto_cert_info_free(&ci);
	}
	X509_free(cert);
	return names;
}

/* certbot's pref_challs, a list ("dns-01," for one), as
 * --preferred-challenges. */
static int apply_pref_challs(const struct cobj_line *l, const char *origin, struct settings *s,
                             struct error *e)
{
	char **items = NULL;
	struct buf joined = {0};
	bool list;
	int rc = -1;

	if (cobj_decode(l->value, &items, &list, origin, e) < 0)
		return -1;
	for (size_t i = 0; items && items[i]; i++)
		if (buf_printf(&joined, "%s%s", i ? "," : "", items[i]) < 0) {
			err_nomem(e);
			goto out;
		}
	rc = joined.len ? settings_apply(s, "preferred-challenges", joined.data, origin, e) : 0;
out:
	buf_free(&joined);
	conf_strv_free(items);
	return rc;
}

/* Apply the settings of the [renewalparams] keys acmehook takes as
 * options, and of the [acmehook] section. */
static int apply_options(const struct cobj_file *f, const char *path, struct settings *s,
                         struct error *e)
{
	char origin[PATH_MAX + 16];

	for (size_t i = 0; i < f->n; i++) {
		const struct cobj_line *l = &f->l[i];
		char *v = NULL;
		int rc = 0;
		bool ours = l->key && strcmp(l->sect, "acmehook") == 0;
		if (!l->key || !(ours || (strcmp(l->sect, "renewalparams") == 0 &&
		                          (in(params_applied, l->key) ||
		                           strcmp(l->key, "pref_challs") == 0))))
			continue;
		snprintf(origin, sizeof(origin), "%s:%zu", path, i + 1);
		if (!ours && strcmp(l->key, "pref_challs") == 0) {
			if (apply_pref_challs(l, origin, s, e) < 0)
				return -1;
			continue;
		}
		if (cobj_single(l, origin, &v, e) < 0)
			return -1;
		if (v && ours && strncmp(l->key, "deploy_", 7) == 0) {
			struct route r = {0};
			if (route_parse(v, &r) < 0)
				rc = err_set(e, EXIT_USAGE, "%s: malformed deploy step \"%.80s\"", origin, v);
			else if (conf_routes_push(&s->deploys, &s->n_deploys, &r) < 0)
				rc = err_nomem(e);
			route_free(&r);
		} else if (v) {
			rc = settings_apply(s, l->key, v, origin, e);
		}
		free(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int certbot_renewal_load(const struct store *st, const char *name, const char *path,
                         const char *text, struct settings *s, struct error *e)
{
	struct cobj_file f = {0};
	char **names = NULL, **webroot = NULL, *auth = NULL;
	const struct cobj_line *l;
	bool list;
	int ret = -1;

	if (cobj_parse(text, path, &f, e) < 0 || check_paths(st, name, &f, path, e) < 0 ||
	    apply_options(&f, path, s, e) < 0)
		goto out;
	for (size_t i = 0; i < f.n; i++)
		if (f.l[i].header && strncmp(f.l[i].sect, "acmehook/", 9) == 0) {
			err_set(e, EXIT_USAGE, "%s:%zu: [acmehook] has no subsections", path, i + 1);
			goto out;
		}
	l = cobj_find(&f, "renewalparams", "authenticator");
	if (!l || cobj_single(l, path, &auth, e) < 0)
		goto out;
	if (!auth) {
		err_set(e, EXIT_USAGE, "%s: authenticator is None", path);
		goto out;
	}
	l = cobj_find(&f, "renewalparams", "webroot_path");
	if (l && cobj_decode(l->value, &webroot, &list, path, e) < 0)
		goto out;
	if (!(names = live_names(st, name, e))) {
		err_prefix(e, "%s names no certificate", path);
		goto out;
	}
	for (size_t i = 0; names[i]; i++) {
		struct route r = {0};
		int rc = route_of(&f, names[i], auth, webroot, path, &r, e) < 0 ||
		         settings_add_domain(s, names[i], &r, e) < 0;
		route_free(&r);
		if (rc)
			goto out;
	}
	ret = 0;
out:
	crypto_names_free(names);
	conf_strv_free(webroot);
	free(auth);
	cobj_free(&f);
	return ret;
}

/* --- writing -------------------------------------------------------------- */

/* --preferred-challenges as certbot's pref_challs list. */
static int put_pref_challs(struct buf *b, const char *prefs, struct error *e)
{
	char **items = NULL, *copy = strdup(prefs), *save = NULL;
	int rc = -1;

	if (!copy)
		return err_nomem(e);
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (conf_strv_push(&items, t) < 0) {
			err_nomem(e);
			goto out;
		}
	rc = items ? cobj_put_list(b, "pref_challs", items, e) : 0;
out:
	conf_strv_free(items);
	free(copy);
	return rc;
}

/* certbot's form of S's routes: one plugin for every name; the webroot
 * plugin with a webroot per name, dns-rfc2136 with one credentials file,
 * any other plugin without options. */
static int put_routes(struct buf *b, const struct settings *s, const char *path,
                      struct error *e)
{
	const struct route *r0 = s->n_domains ? &s->routes[0] : NULL;
	char **roots = NULL;
	int ret = -1;

	if (!r0 || !r0->plugin)
		return err_set(e, EXIT_USAGE, "%s: the certificate has no names to record", path);
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct route *r = &s->routes[i];
		const char *root = route_opt(r, "webroot-path");
		bool fits = r->plugin && strcmp(r->plugin, r0->plugin) == 0;
		if (fits && strcmp(r0->plugin, "webroot") == 0)
			fits = root != NULL;
		else if (fits && (strcmp(r0->plugin, "dns-rfc2136") == 0 || keys_of(r0->plugin)))
			fits = route_equal(r, r0);
		else if (fits)
			fits = !r->opts || !r->opts[0];
		if (!fits) {
			err_set(e, EXIT_USAGE,
			        "%s is certbot's, which holds one authenticator for all names: %s cannot "
			        "go through %s like %s; give every name the same authenticator",
			        path, s->domains[i], r->plugin ? r->plugin : "(none)", s->domains[0]);
			goto out;
		}
		if (root) {
			bool seen = false;
			for (size_t k = 0; roots && roots[k]; k++)
				seen = seen || strcmp(roots[k], root) == 0;
			if (!seen && conf_strv_push(&roots, root) < 0) {
				err_nomem(e);
				goto out;
			}
		}
	}
	if (cobj_put(b, "authenticator", r0->plugin, e) < 0 ||
	    (roots && cobj_put_list(b, "webroot_path", roots, e) < 0) ||
	    cobj_put(b, "dns_rfc2136_credentials", route_opt(r0, "credentials"), e) < 0)
		goto out;
	for (const char *const *k = keys_of(r0->plugin) ? keys_of(r0->plugin)->keys : NULL; k && *k;
	     k++)
		if (cobj_put(b, *k, route_opt(r0, *k), e) < 0)
			goto out;
	if (s->preferred_challenges && put_pref_challs(b, s->preferred_challenges, e) < 0)
		goto out;
	ret = 0;
out:
	conf_strv_free(roots);
	return ret;
}

static int put_webroot_map(struct buf *b, const struct settings *s, struct error *e)
{
	if (!s->n_domains || strcmp(s->routes[0].plugin, "webroot") != 0)
		return 0;
	if (buf_puts(b, "[[webroot_map]]\n") < 0)
		return err_nomem(e);
	for (size_t i = 0; i < s->n_domains; i++)
		if (cobj_put(b, s->domains[i], route_opt(&s->routes[i], "webroot-path"), e) < 0)
			return -1;
	return 0;
}

/* acmehook's own settings, which certbot has no key for. */
static int put_own(struct buf *b, const struct settings *s, struct error *e)
{
	struct buf res = {0};
	int ret = -1;

	for (size_t i = 0; s->dns_resolvers && s->dns_resolvers[i]; i++)
		if (buf_printf(&res, "%s%s", i ? " " : "", s->dns_resolvers[i]) < 0) {
			err_nomem(e);
			goto out;
		}
	if (buf_puts(b, "\n[acmehook]\n") < 0) {
		err_nomem(e);
		goto out;
	}
	if (cobj_put(b, "preferred_profile", s->preferred_profile, e) < 0 ||
	    cobj_put(b, "failure_hook", s->failure_hook, e) < 0 || cobj_put(b, "email", s->email, e) < 0 ||
	    cobj_put(b, "dns_resolver", res.data, e) < 0 ||
	    (strcmp(s->dns_propagation, "authoritative") != 0 &&
	     cobj_put(b, "dns_propagation", s->dns_propagation, e) < 0) ||
	    (s->dns_nameserver_port != 53 &&
	     cobj_put_int(b, "dns_nameserver_port", s->dns_nameserver_port, e) < 0) ||
	    cobj_put_int(b, "dns_propagation_timeout", s->dns_propagation_timeout, e) < 0)
		goto out;
	for (size_t i = 0; i < s->n_deploys; i++) {
		char key[32], *text = route_format(&s->deploys[i]);
		int rc;
		snprintf(key, sizeof(key), "deploy_%zu", i + 1);
		rc = text ? cobj_put(b, key, text, e) : err_nomem(e);
		free(text);
		if (rc < 0)
			goto out;
	}
	ret = 0;
out:
	buf_free(&res);
	return ret;
}

/* Whether TEXT is a comment line of the user's: certbot's two standard
 * ones are written anew. */
static bool is_comment(const char *text)
{
	text += strspn(text, " \t");
	return text[0] == '#' && strcmp(text, "# renew_before_expiry = 30 days") != 0 &&
	       strcmp(text, "# Options used in the renewal process") != 0;
}

/* Append the lines of F that acmehook does not use and that are in a
 * section for which WANT says yes, verbatim; list each key in NOTED
 * ("key" or "section/key"), but for the quiet ones. */
static int put_kept(struct buf *b, const struct cobj_file *f, bool (*want)(const char *sect),
                    struct buf *noted, struct error *e)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct cobj_line *l = &f->l[i];
		bool quiet;
		if (line_used(l) || !want(l->sect) || (!l->key && !l->header && !is_comment(l->text)))
			continue;
		if (buf_printf(b, "%s\n", l->text) < 0)
			return err_nomem(e);
		quiet = strcmp(l->sect, "renewalparams") == 0 && l->key && in(params_quiet, l->key);
		if (l->key && !quiet &&
		    buf_printf(noted, "%s%s%s%s", noted->len ? "," : "", l->sect, l->sect[0] ? "/" : "",
		               l->key) < 0)
			return err_nomem(e);
	}
	return 0;
}

static bool sect_top(const char *sect)
{
	return !sect[0];
}

static bool sect_params(const char *sect)
{
	return strcmp(sect, "renewalparams") == 0;
}

static bool sect_params_sub(const char *sect)
{
	return strncmp(sect, "renewalparams/", 14) == 0;
}

static bool sect_other(const char *sect)
{
	return sect[0] && !sect_params(sect) && !sect_params_sub(sect) && strcmp(sect, "acmehook") != 0;
}

/* Report, once, the kept keys that the file's acmehook_reported does not
 * list yet. */
static void report_kept(const struct store *st, const char *path, const struct cobj_file *f,
                        const char *noted)
{
	const struct cobj_line *l = cobj_find(f, "", "acmehook_reported");
	char **before = NULL, *list = strdup(noted), *save = NULL;
	bool is_list;
	struct error e = {0};

	if (!list || !st->log)
		goto out;
	if (l && cobj_decode(l->value, &before, &is_list, path, &e) < 0)
		before = NULL;
	for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		bool seen = false;
		for (size_t i = 0; before && before[i]; i++)
			seen = seen || strcmp(before[i], k) == 0;
		if (!seen)
			log_msg(st->log, LVL_WARN, "%s: acmehook does not use %s; it is kept for certbot",
			        path, k);
	}
out:
	conf_strv_free(before);
	free(list);
}

/* The head of the file: the top-level keys, certbot's version kept (it
 * warns about a newer one, and acmehook's numbering is not certbot's),
 * then the kept top-level lines. */
static int put_head(struct buf *b, const struct cobj_file *f, struct buf *noted, struct error *e)
{
	const struct cobj_line *version = cobj_find(f, "", "version");

	if (buf_puts(b, "# renew_before_expiry = 30 days\n") < 0 ||
	    (version && buf_printf(b, "%s\n", version->text) < 0))
		return err_nomem(e);
	for (size_t i = 0; i < f->n; i++) {
		const struct cobj_line *l = &f->l[i];
		if (l->key && !l->sect[0] && in(top_used, l->key) && strcmp(l->key, "version") != 0 &&
		    strcmp(l->key, "acmehook_reported") != 0 && buf_printf(b, "%s\n", l->text) < 0)
			return err_nomem(e);
	}
	return put_kept(b, f, sect_top, noted, e);
}

/* [renewalparams] from S, its kept keys and subsections, the other kept
 * sections, and [acmehook]. */
static int put_body(struct buf *b, const struct cobj_file *f, const struct settings *s,
                    const char *server_url, const char *path, struct buf *noted,
                    struct error *e)
{
	if (buf_puts(b, "\n# Options used in the renewal process\n[renewalparams]\n") < 0)
		return err_nomem(e);
	if (cobj_put(b, "account", s->account, e) < 0 || cobj_put(b, "key_type", s->key_type, e) < 0 ||
	    (strcmp(s->key_type, "rsa") == 0 ? cobj_put_int(b, "rsa_key_size", s->rsa_key_size, e)
	                                     : cobj_put(b, "elliptic_curve", s->elliptic_curve, e)) < 0 ||
	    cobj_put(b, "renew_hook", s->deploy_hook, e) < 0 || cobj_put(b, "pre_hook", s->pre_hook, e) < 0 ||
	    cobj_put(b, "post_hook", s->post_hook, e) < 0 ||
	    cobj_put(b, "preferred_chain", s->preferred_chain, e) < 0 ||
	    cobj_put(b, "server", server_url, e) < 0 || put_routes(b, s, path, e) < 0 ||
	    (s->dns_propagation_seconds >= 0 &&
	     cobj_put_int(b, "dns_rfc2136_propagation_seconds", s->dns_propagation_seconds, e) < 0))
		return -1;
	if (put_kept(b, f, sect_params, noted, e) < 0 || put_webroot_map(b, s, e) < 0 ||
	    put_kept(b, f, sect_params_sub, noted, e) < 0 || put_kept(b, f, sect_other, noted, e) < 0)
		return -1;
	return put_own(b, s, e);
}

int certbot_renewal_save(const struct store *st, const char *path, const char *old,
                         const struct settings *s, const char *server_url, struct error *e)
{
	struct cobj_file f = {0};
	struct buf head = {0}, body = {0}, noted = {0};
	char **keys = NULL, *save = NULL;
	int ret = -1;

	if (cobj_parse(old, path, &f, e) < 0 || put_head(&head, &f, &noted, e) < 0 ||
	    put_body(&body, &f, s, server_url, path, &noted, e) < 0)
		goto out;
	report_kept(st, path, &f, noted.data ? noted.data : "");
	/* Remember what was reported, so that later runs do not repeat it: a
	 * top-level key, which certbot keeps when it rewrites the file. */
	for (char *k = noted.data ? strtok_r(noted.data, ",", &save) : NULL; k;
	     k = strtok_r(NULL, ",", &save))
		if (conf_strv_push(&keys, k) < 0) {
			err_nomem(e);
			goto out;
		}
	if ((keys && cobj_put_list(&head, "acmehook_reported", keys, e) < 0) ||
	    buf_append(&head, body.data, body.len) < 0) {
		if (!err_isset(e))
			err_nomem(e);
		goto out;
	}
	ret = store_write_atomic(path, head.data, head.len, 0644, e);
out:
	conf_strv_free(keys);
	buf_free(&noted);
	buf_free(&body);
	buf_free(&head);
	cobj_free(&f);
	return ret;
}
