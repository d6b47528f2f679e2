/* Routing: which plugin instance validates each name of an order, where a
 * dns-01 record goes (CNAMEs followed), and the deploy steps; all settled
 * before any order is placed. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "conf/credentials.h"
#include "conf/settings.h"
#include "dns/client.h"
#include "host/route.h"

void routed_free(struct routed *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_insts; i++)
		host_instance_free(r->insts[i]);
	for (size_t i = 0; i < r->n_deploys; i++)
		host_instance_free(r->deploys[i]);
	for (size_t i = 0; r->names && i < r->n_names; i++) {
		free(r->names[i].name);
		free(r->names[i].record_name);
		free(r->names[i].zone);
	}
	free(r->names);
	free(r->deploys);
	free(r->insts);
	dns_client_free(r->dns);
	free(r->dns);
	memset(r, 0, sizeof(*r));
}

static struct dns_client *lineage_dns(const struct route_ctx *ctx, struct error *e)
{
	const struct settings *s = ctx->settings;
	struct dns_client *c = calloc(1, sizeof(*c));
	uint16_t port = (uint16_t)s->dns_nameserver_port;

	if (!c) {
		err_nomem(e);
		return NULL;
	}
	if (dns_client_init(c, (const char *const *)s->dns_resolvers, port, ctx->log, e) < 0) {
		if (s->dns_resolvers) {
			free(c);
			return NULL;
		}
		/* No system resolvers: fine for http-01; dns-01 work will say
		 * that no resolver answered. */
		err_clear(e);
		memset(c, 0, sizeof(*c));
		c->log = ctx->log;
		c->timeout_seconds = 5;
		c->ns_port = port ? port : 53;
	}
	return c;
}

/* A plugin instance for route RT, with its credentials file (if any) read
 * and handed over as secrets. */
static struct host_instance *make_instance(const struct route_ctx *ctx, struct dns_client *dns,
                                           const struct route *rt, const char *label,
                                           struct error *e)
{
	struct host_clients clients = {.log = ctx->log, .http = ctx->http, .dns = dns};
	const char *cred = route_opt(rt, "credentials");
	char **secrets = NULL;
	struct host_instance *hi;

	if (cred && credentials_load(cred, ctx->log, &secrets, e) < 0)
		return NULL;
	hi = host_instance_new(ctx->plugins, rt->plugin, label, (const char *const *)rt->opts,
	                       (const char *const *)secrets, &clients, e);
	credentials_free(secrets);
	return hi;
}

/* Where the TXT record of a dns-01 NAME goes: _acme-challenge.NAME with
 * CNAMEs and DNAMEs followed (RFC 8555 §8.4 validators follow them too),
 * and the zone that holds it. */
static int locate_record(const struct route_ctx *ctx, struct dns_client *dns, const char *name,
                         char **record, char **zone, struct error *e)
{
	char base[300];
	struct error soft = {0};

	snprintf(base, sizeof(base), "_acme-challenge.%s", strncmp(name, "*.", 2) ? name : name + 2);
	if (dns_follow(dns, base, record, &soft) < 0) {
		log_msg(ctx->log, LVL_WARN, "cannot look up %s (%s); writing the record there", base,
		        soft.msg);
		if (!(*record = strdup(base)))
			return err_nomem(e);
	} else if (strcmp(*record, base) != 0) {
		log_msg(ctx->log, LVL_INFO, "%s is an alias of %s: the record goes there", base,
		        *record);
	}
	err_clear(&soft);
	if (dns_zone_of(dns, *record, NULL, zone, &soft) < 0) {
		log_msg(ctx->log, LVL_DEBUG, "zone of %s unknown: %s", *record, soft.msg);
		*zone = NULL;
	}
	return 0;
}

/* The authenticator module for NAME's route RT, refusing what cannot
 * validate it: no plugin, an unknown one, a wildcard on http-01. */
static const struct plugin_module *authenticator_for(const struct route_ctx *ctx,
                                                     const struct route *rt, const char *name,
                                                     bool wildcard, struct error *e)
{
	const struct plugin_module *m;

	if (!rt->plugin) {
		err_set(e, EXIT_USAGE,
		        "no authenticator for %s: put --webroot -w DIR (or another "
		        "authenticator) before its -d",
		        name);
		return NULL;
	}
	m = plugin_registry_get(ctx->plugins, rt->plugin, e);
	if (!m && err_isset(e))
		return NULL;
	if (!m || !m->authenticator) {
		err_set(e, EXIT_USAGE,
		        "no authenticator plugin named \"%s\" is installed (for %s); "
		        "`acmehook plugins` lists them",
		        rt->plugin, name);
		return NULL;
	}
	if (wildcard && !m->dns01) {
		err_set(e, EXIT_USAGE,
		        "%s is a wildcard, which only dns-01 can validate, but it is routed to "
		        "%s (%s); give it a DNS authenticator",
		        name, rt->plugin, m->http01 ? "http-01" : "?");
		return NULL;
	}
	return m;
}

/* certbot's --preferred-challenges, parsed: the types in order of
 * preference. */
struct prefs {
	enum challenge_type t[8];
	size_t n;
	const char *text; /* as given, for messages */
};

/* "dns-01,http-01" (or "dns, http"): comma or blank separated, "http" and
 * "dns" short for http-01 and dns-01. tls-alpn-01 is accepted and skipped,
 * as certbot skips types its authenticator lacks: no plugin answers it. */
static int parse_prefs(const char *text, struct prefs *p, struct error *e)
{
	char word[32];

	memset(p, 0, sizeof(*p));
	p->text = text;
	for (const char *c = text; c && *c;) {
		size_t len = strcspn(c, ", \t");
		if (len >= sizeof(word))
			return err_set(e, EXIT_USAGE, "--preferred-challenges: unknown type \"%.*s\"",
			               (int)len, c);
		memcpy(word, c, len);
		word[len] = '\0';
		c += len;
		c += strspn(c, ", \t");
		if (!len)
			continue;
		if (strcasecmp(word, "http-01") == 0 || strcasecmp(word, "http") == 0) {
			if (p->n < 8)
				p->t[p->n++] = CHALLENGE_HTTP_01;
		} else if (strcasecmp(word, "dns-01") == 0 || strcasecmp(word, "dns") == 0) {
			if (p->n < 8)
				p->t[p->n++] = CHALLENGE_DNS_01;
		} else if (strcasecmp(word, "tls-alpn-01") != 0) {
			return err_set(e, EXIT_USAGE,
			               "--preferred-challenges: unknown type \"%s\" (known: http-01, "
			               "dns-01, tls-alpn-01; http and dns for short)",
			               word);
		}
	}
	return 0;
}

/* The challenge NAME is validated with by module M: without preferences,
 * http-01 when M has it and NAME is no wildcard, else dns-01; with them,
 * the first preferred type M can answer for NAME, or a refusal. */
static int pick_challenge(const struct prefs *p, const struct plugin_module *m,
                          const struct route *rt, const char *name, bool wildcard,
                          enum challenge_type *out, struct error *e)
{
	/* An address is always http-01, whatever the preference says:
	 * RFC 8738 gives it no dns-01 (route_one refused other plugins). */
	if (!p->text || settings_is_ip(name)) {
		*out = (wildcard || !m->http01) ? CHALLENGE_DNS_01 : CHALLENGE_HTTP_01;
		return 0;
	}
	for (size_t i = 0; i < p->n; i++) {
		if ((p->t[i] == CHALLENGE_HTTP_01 && m->http01 && !wildcard) ||
		    (p->t[i] == CHALLENGE_DNS_01 && m->dns01)) {
			*out = p->t[i];
			return 0;
		}
	}
	return err_set(e, EXIT_USAGE,
	               "--preferred-challenges %s: %s can do none of them for %s (it does %s%s%s)%s",
	               p->text, rt->name ? rt->name : rt->plugin, name, m->http01 ? "http-01" : "",
	               m->http01 && m->dns01 ? " and " : "", m->dns01 ? "dns-01" : "",
	               wildcard ? "; a wildcard needs dns-01" : "");
}

/* Give name I of the settings its instance (shared by names with equal
 * routes; ROUTES[k] is the route of R->insts[k]) and challenge, and for
 * dns-01 its record and zone, which the plugin is asked to accept now: a
 * CNAME into a zone it cannot update must stop us before any order. */
static int route_one(const struct route_ctx *ctx, struct routed *r, const struct route **routes,
                     const struct prefs *prefs, size_t i, struct error *e)
{
	const struct route *rt = &ctx->settings->routes[i];
	const char *name = ctx->settings->domains[i];
	bool wildcard = strncmp(name, "*.", 2) == 0;
	struct routed_name *rn = &r->names[i];
	struct challenge_desc ch = {0};
	const struct plugin_module *m;
	struct host_instance *hi = NULL;

	m = authenticator_for(ctx, rt, name, wildcard, e);
	if (!m || pick_challenge(prefs, m, rt, name, wildcard, &rn->challenge, e) < 0)
		return -1;
	/* An address has no DNS zone to put a record in: RFC 8738 leaves
	 * http-01 (and tls-alpn-01) as its only challenges. Say so before
	 * the order is placed. */
	if (settings_is_ip(name) && !m->http01)
		return err_set(e, EXIT_USAGE,
		               "%s is an IP address, which only http-01 can validate; plugin %s does "
		               "dns-01 (use --webroot or another http-01 plugin for it)",
		               name, m->name);
	for (size_t k = 0; k < r->n_insts && !hi; k++)
		if (route_equal(routes[k], rt))
			hi = r->insts[k];
	if (!hi) {
		char iname[256];

		/* A cli.ini instance is called what the user called it. */
		if (rt->name)
			snprintf(iname, sizeof(iname), "%s", rt->name);
		else
			snprintf(iname, sizeof(iname), "%s#%zu", rt->plugin, r->n_insts + 1);
		hi = make_instance(ctx, r->dns, rt, iname, e);
		if (!hi) {
			err_prefix(e, "%s", name);
			return -1;
		}
		r->insts[r->n_insts] = hi;
		routes[r->n_insts++] = rt;
	}
	rn->name = strdup(name);
	if (!rn->name)
		return err_nomem(e);
	rn->inst = hi;
	if (rn->challenge != CHALLENGE_DNS_01)
		return 0;
	if (locate_record(ctx, r->dns, name, &rn->record_name, &rn->zone, e) < 0)
		return -1;
	ch.identifier = wildcard ? name + 2 : name;
	ch.wildcard = wildcard;
	ch.type = CHALLENGE_DNS_01;
	ch.record_name = rn->record_name;
	ch.zone = rn->zone;
	return host_instance_check(hi, &ch, e);
}

/* Create the deploy steps, in order. */
static int route_deploys(const struct route_ctx *ctx, struct routed *r, struct error *e)
{
	const struct settings *s = ctx->settings;

	for (size_t i = 0; i < s->n_deploys; i++) {
		const struct route *rt = &s->deploys[i];
		const struct plugin_module *m =
			rt->plugin ? plugin_registry_get(ctx->plugins, rt->plugin, e) : NULL;
		char iname[64];

		if (!m && err_isset(e))
			return -1;
		if (m && !m->installer)
			return err_set(e, EXIT_USAGE,
			               "plugin \"%s\" (deploy step %zu) is not an installer; `acmehook "
			               "plugins` shows each plugin's roles",
			               rt->plugin, i + 1);
		if (!m)
			return err_set(e, EXIT_USAGE,
			               "no installer plugin or cli.ini instance named \"%s\" (deploy "
			               "step %zu); `acmehook plugins` lists the installed plugins",
			               rt->plugin ? rt->plugin : "(none)", i + 1);
		snprintf(iname, sizeof(iname), "deploy#%zu", i + 1);
		r->deploys[i] = make_instance(ctx, r->dns, rt, iname, e);
		if (!r->deploys[i])
			return -1;
		r->n_deploys++;
	}
	return 0;
}

int route_names(const struct route_ctx *ctx, struct routed *out, struct error *e)
{
	const struct settings *s = ctx->settings;
	const struct route **routes = NULL;
	struct routed r = {0};
	struct prefs prefs;
	int ret = -1;

	r.names = calloc(s->n_domains ? s->n_domains : 1, sizeof(*r.names));
	r.insts = calloc(s->n_domains ? s->n_domains : 1, sizeof(*r.insts));
	routes = calloc(s->n_domains ? s->n_domains : 1, sizeof(*routes));
	r.deploys = calloc(s->n_deploys + 1, sizeof(*r.deploys));
	r.n_names = s->n_domains;
	if (!r.names || !r.insts || !routes || !r.deploys) {
		err_nomem(e);
		goto out;
	}
	if (parse_prefs(s->preferred_challenges, &prefs, e) < 0)
		goto out;
	r.dns = lineage_dns(ctx, e);
	if (!r.dns)
		goto out;
	for (size_t i = 0; i < s->n_domains; i++)
		if (route_one(ctx, &r, routes, &prefs, i, e) < 0)
			goto out;
	if (route_deploys(ctx, &r, e) < 0)
		goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
	ret = 0;
out:
	routed_free(&r);
	free(routes);
	return ret;
}
