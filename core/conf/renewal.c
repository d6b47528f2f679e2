/* Renewal files: reading one into a struct settings, writing one from the
 * effective settings of a lineage. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/buf.h"
#include "conf/certbot.h"
#include "conf/ini.h"
#include "conf/trust.h"
#include "conf/renewal.h"
#include "store/store.h"

static int renewal_cb(void *ud, const char *section, const char *key, const char *value,
                      const char *origin, struct error *e)
{
	struct settings *s = ud;

	if (section[0] == '\0')
		return 0; /* informational: version and paths */
	if (strcmp(section, "renewalparams") == 0)
		return settings_apply(s, key, value, origin, e);
	if (strcmp(section, "routes") == 0) {
		struct route r = {0};
		int rc;
		if (route_parse(value, &r) < 0)
			return err_set(e, EXIT_USAGE, "%s: malformed route \"%s\"", origin, value);
		rc = settings_add_domain(s, key, &r, e);
		route_free(&r);
		return rc;
	}
	if (strcmp(section, "deploy") == 0) {
		/* Deploy steps in order: "N = PLUGIN; key=value; ..." */
		struct route r = {0}, *nd;
		if (route_parse(value, &r) < 0)
			return err_set(e, EXIT_USAGE, "%s: malformed deploy step \"%s\"", origin, value);
		nd = realloc(s->deploys, (s->n_deploys + 1) * sizeof(*nd));
		if (!nd) {
			route_free(&r);
			return err_nomem(e);
		}
		s->deploys = nd;
		nd[s->n_deploys++] = r;
		return 0;
	}
	return err_set(e, EXIT_USAGE, "%s: unknown section [%s]", origin, section);
}

/* The size cap of ini.c's reader. */
#define RENEWAL_CAP (1 << 20)

int renewal_load(const struct store *st, const char *name, struct settings *s,
                 struct error *e)
{
	char path[PATH_MAX];

	char *text = NULL;
	size_t len = 0;
	int rc;

	if (store_renewal_path(st, name, path, sizeof(path)) < 0)
		return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
	/* A lineage certbot made (or one taken over from it) is in certbot's
	 * form, read as certbot reads it. The text judged and read once is
	 * the one parsed. */
	if (conf_read_trusted(path, RENEWAL_CAP, &text, &len, e) < 0)
		return -1;
	rc = certbot_renewal_is(text) ? certbot_renewal_load(st, name, path, text, s, e)
	                              : ini_parse_text(path, text, renewal_cb, s, e);
	OPENSSL_cleanse(text, len);
	free(text);
	if (rc < 0)
		return -1;
	if (s->n_domains == 0)
		return err_set(e, EXIT_USAGE, "%s lists no domains under [[routes]]", path);
	return 0;
}

/* Append "K = V" (nothing when V is NULL). Values are single lines: a line
 * break would start a new setting, so it is refused, naming K. */
static int kv(struct buf *b, const char *k, const char *v, struct error *e)
{
	if (!v)
		return 0;
	if (strchr(v, '\n') || strchr(v, '\r'))
		return err_set(e, EXIT_USAGE, "cannot record %s in the renewal file: its value has a "
		                              "line break",
		               k);
	if (buf_printf(b, "%s = %s\n", k, v) < 0)
		return err_nomem(e);
	return 0;
}

static int put(struct buf *b, const char *text, struct error *e)
{
	return buf_puts(b, text) < 0 ? err_nomem(e) : 0;
}

/* Append "KEY = N" for a number. */
static int kn(struct buf *b, const char *k, long n, struct error *e)
{
	char num[32];

	snprintf(num, sizeof(num), "%ld", n);
	return kv(b, k, num, e);
}

/* Append "KEY = ROUTE" with the route in its one-line form. */
static int kr(struct buf *b, const char *k, const struct route *r, struct error *e)
{
	char *text = route_format(r);
	int rc = text ? kv(b, k, text, e) : err_nomem(e);

	free(text);
	return rc;
}

int renewal_save(const struct store *st, const char *name, const struct settings *s,
                 const char *server_url, struct error *e)
{
	char path[PATH_MAX], dir[PATH_MAX], p[PATH_MAX];
	static const char *const kinds[] = {"cert", "privkey", "chain", "fullchain"};
	struct buf b = {0}, res = {0};
	int ret = -1;

	store_renewal_dir(st, dir, sizeof(dir));
	if (store_mkdirs(dir, 0755, e) < 0)
		return -1;
	if (store_renewal_path(st, name, path, sizeof(path)) < 0)
		return err_set(e, EXIT_USAGE, "certificate name too long: %s", name);
	/* certbot's file stays certbot's, so that certbot can still renew. */
	if (store_exists(path)) {
		char *old = NULL;
		if (conf_read_trusted(path, RENEWAL_CAP, &old, NULL, e) < 0)
			return -1;
		ret = certbot_renewal_is(old) ? certbot_renewal_save(st, path, old, s, server_url, e) : 1;
		free(old);
		if (ret <= 0)
			return ret;
		ret = -1;
	}
	store_archive_dir(st, name, p, sizeof(p));
	if (put(&b, "# Renewal settings, written by acmehook; `acmehook renew` reads them.\n", e) < 0 ||
	    kv(&b, "version", ACMEHOOK_VERSION, e) < 0 || kv(&b, "archive_dir", p, e) < 0)
		goto out;
	for (size_t i = 0; i < 4; i++) {
		store_live_path(st, name, kinds[i], p, sizeof(p));
		if (kv(&b, kinds[i], p, e) < 0)
			goto out;
	}
	for (size_t i = 0; s->dns_resolvers && s->dns_resolvers[i]; i++)
		if (buf_printf(&res, "%s%s", i ? ", " : "", s->dns_resolvers[i]) < 0) {
			err_nomem(e);
			goto out;
		}
	if (put(&b, "\n[renewalparams]\n", e) < 0 || kv(&b, "server", server_url, e) < 0 ||
	    kv(&b, "key_type", s->key_type, e) < 0 ||
	    (strcmp(s->key_type, "rsa") == 0 ? kn(&b, "rsa_key_size", s->rsa_key_size, e)
	                                     : kv(&b, "elliptic_curve", s->elliptic_curve, e)) < 0 ||
	    kv(&b, "preferred_chain", s->preferred_chain, e) < 0 ||
	    kv(&b, "preferred_challenges", s->preferred_challenges, e) < 0 ||
	    kv(&b, "preferred_profile", s->preferred_profile, e) < 0 ||
	    kv(&b, "pre_hook", s->pre_hook, e) < 0 || kv(&b, "post_hook", s->post_hook, e) < 0 ||
	    kv(&b, "deploy_hook", s->deploy_hook, e) < 0 ||
	    kv(&b, "failure_hook", s->failure_hook, e) < 0 || kv(&b, "email", s->email, e) < 0 ||
	    kv(&b, "account", s->account, e) < 0 ||
	    (s->reuse_key == 1 && s->no_reuse_key != 1 && kv(&b, "reuse_key", "True", e) < 0) ||
	    kv(&b, "dns_resolver", res.data, e) < 0 ||
	    (strcmp(s->dns_propagation, "authoritative") != 0 &&
	     kv(&b, "dns_propagation", s->dns_propagation, e) < 0) ||
	    (s->dns_nameserver_port != 53 &&
	     kn(&b, "dns_nameserver_port", s->dns_nameserver_port, e) < 0) ||
	    kn(&b, "dns_propagation_timeout", s->dns_propagation_timeout, e) < 0 ||
	    (s->dns_propagation_seconds >= 0 &&
	     kn(&b, "dns_propagation_seconds", s->dns_propagation_seconds, e) < 0))
		goto out;
	if (put(&b, "\n[[routes]]\n", e) < 0)
		goto out;
	for (size_t i = 0; i < s->n_domains; i++)
		if (kr(&b, s->domains[i], &s->routes[i], e) < 0)
			goto out;
	if (s->n_deploys && put(&b, "\n[[deploy]]\n", e) < 0)
		goto out;
	for (size_t i = 0; i < s->n_deploys; i++) {
		char idx[16];
		snprintf(idx, sizeof(idx), "%zu", i + 1);
		if (kr(&b, idx, &s->deploys[i], e) < 0)
			goto out;
	}
	ret = store_write_atomic(path, b.data, b.len, 0644, e);
out:
	buf_free(&res);
	buf_free(&b);
	return ret;
}
