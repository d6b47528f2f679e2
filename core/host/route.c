/* Routing: which plugin instance validates each name of an order, where a
 * dns-01 record goes (CNAMEs followed), and the deploy steps; all settled
 * before any order is placed. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <acmehook/plugin.h>

#include "cli/engine.h"
#include "conf/credentials.h"
#include "host/route.h"

void routed_free(struct routed *r)
{
	for (size_t i = 0; i < r->n_insts; i++)
		plugin_instance_free(r->insts[i]);
	for (size_t i = 0; i < r->n_deploys; i++)
		plugin_instance_free(r->deploys[i]);
	for (size_t i = 0; i < r->n_names; i++) {
		free(r->record_names ? r->record_names[i] : NULL);
		free(r->zones ? r->zones[i] : NULL);
	}
	free(r->record_names);
	free(r->zones);
	free(r->deploys);
	free(r->insts);
	free(r->inst_routes);
	free(r->names);
	dns_client_free(r->dns);
	free(r->dns);
	memset(r, 0, sizeof(*r));
}

static struct dns_client *lineage_dns(struct engine *eng, const struct settings *s,
                                      struct error *e)
{
	struct dns_client *c = calloc(1, sizeof(*c));
	uint16_t port = (uint16_t)s->dns_nameserver_port;

	if (!c) {
		err_set(e, EXIT_OP, "out of memory");
		return NULL;
	}
	if (dns_client_init(c, (const char *const *)s->dns_resolvers, port, &eng->log, e) < 0) {
		if (s->dns_resolvers) {
			free(c);
			return NULL;
		}
		/* No system resolvers: fine for http-01; dns-01 work will say
		 * that no resolver answered. */
		err_clear(e);
		memset(c, 0, sizeof(*c));
		c->log = &eng->log;
		c->timeout_seconds = 5;
		c->ns_port = port ? port : 53;
	}
	return c;
}

/* A plugin instance for route RT, with its credentials file (if any) read
 * and handed over as secrets. */
static struct plugin_instance *make_instance(struct engine *eng, struct dns_client *dns,
                                             const struct route *rt, const char *label,
                                             struct error *e)
{
	struct plugin_services svc = {.log = &eng->log, .http = &eng->http, .dns = dns};
	const char *cred = route_opt(rt, "credentials");
	char **secrets = NULL;
	struct plugin_instance *pi;

	if (cred && credentials_load(cred, &eng->log, &secrets, e) < 0)
		return NULL;
	pi = plugin_instance_new(&eng->plugins, rt->plugin, label, (const char *const *)rt->opts,
	                         (const char *const *)secrets, &svc, e);
	credentials_free(secrets);
	return pi;
}

/* Where the TXT record of a dns-01 NAME goes: _acme-challenge.NAME with
 * CNAMEs and DNAMEs followed (RFC 8555 §8.4 validators follow them too),
 * and the zone that holds it. */
static int locate_record(struct engine *eng, struct dns_client *dns, const char *name,
                         char **record, char **zone, struct error *e)
{
	char base[300];
	struct error soft = {0};

	snprintf(base, sizeof(base), "_acme-challenge.%s", strncmp(name, "*.", 2) ? name : name + 2);
	if (dns_follow(dns, base, record, &soft) < 0) {
		log_msg(&eng->log, LVL_WARN, "cannot look up %s (%s); writing the record there", base,
		        soft.msg);
		if (!(*record = strdup(base)))
			return err_set(e, EXIT_OP, "out of memory");
	} else if (strcmp(*record, base) != 0) {
		log_msg(&eng->log, LVL_INFO, "%s is an alias of %s: the record goes there", base,
		        *record);
	}
	err_clear(&soft);
	if (dns_zone_of(dns, *record, NULL, zone, &soft) < 0) {
		log_msg(&eng->log, LVL_DEBUG, "zone of %s unknown: %s", *record, soft.msg);
		*zone = NULL;
	}
	return 0;
}

/* Create one plugin instance per distinct route and give every name its
 * instance and challenge type. Everything here fails before any order is
 * placed: an unknown plugin, a bad webroot, a wildcard on http-01. */
int route_names(struct engine *eng, const struct settings *s, struct routed *out,
                       struct error *e)
{
	struct routed r = {0};

	r.names = calloc(s->n_domains, sizeof(*r.names));
	r.record_names = calloc(s->n_domains, sizeof(*r.record_names));
	r.zones = calloc(s->n_domains, sizeof(*r.zones));
	r.insts = calloc(s->n_domains, sizeof(*r.insts));
	r.inst_routes = calloc(s->n_domains, sizeof(*r.inst_routes));
	r.deploys = calloc(s->n_deploys + 1, sizeof(*r.deploys));
	r.n_names = s->n_domains;
	r.dns = lineage_dns(eng, s, e);
	if (!r.dns)
		goto fail;
	if (!r.names || !r.insts || !r.inst_routes || !r.record_names || !r.zones || !r.deploys) {
		err_set(e, EXIT_OP, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct route *rt = &s->routes[i];
		const char *name = s->domains[i];
		bool wildcard = strncmp(name, "*.", 2) == 0;
		const struct plugin_module *m;
		struct plugin_instance *pi = NULL;

		if (!rt->plugin) {
			err_set(e, EXIT_USAGE,
			        "no authenticator for %s: put --webroot -w DIR (or another "
			        "authenticator) before its -d",
			        name);
			goto fail;
		}
		m = plugin_registry_find(&eng->plugins, rt->plugin);
		if (!m || !(m->roles & AH_ROLE_AUTHENTICATOR)) {
			err_set(e, EXIT_USAGE,
			        "no authenticator plugin named \"%s\" is installed (for %s); "
			        "`acmehook plugins` lists them",
			        rt->plugin, name);
			goto fail;
		}
		if (wildcard && !(m->challenges & AH_CHALLENGE_DNS_01)) {
			err_set(e, EXIT_USAGE,
			        "%s is a wildcard, which only dns-01 can validate, but it is routed to "
			        "%s (%s); give it a DNS authenticator",
			        name, rt->plugin, (m->challenges & AH_CHALLENGE_HTTP_01) ? "http-01" : "?");
			goto fail;
		}
		for (size_t k = 0; k < r.n_insts && !pi; k++)
			if (route_equal(r.inst_routes[k], rt))
				pi = r.insts[k];
		if (!pi) {
			char iname[64];
			snprintf(iname, sizeof(iname), "%s#%zu", rt->plugin, r.n_insts + 1);
			pi = make_instance(eng, r.dns, rt, iname, e);
			if (!pi) {
				err_prefix(e, "%s", name);
				goto fail;
			}
			r.insts[r.n_insts] = pi;
			r.inst_routes[r.n_insts++] = rt;
		}
		r.names[i].name = name;
		r.names[i].inst = pi;
		r.names[i].challenge = (wildcard || !(m->challenges & AH_CHALLENGE_HTTP_01))
		                               ? "dns-01"
		                               : "http-01";
		if (strcmp(r.names[i].challenge, "dns-01") == 0) {
			struct ah_challenge ch = {.struct_size = sizeof(ch)};
			if (locate_record(eng, r.dns, name, &r.record_names[i], &r.zones[i], e) < 0)
				goto fail;
			r.names[i].record_name = r.record_names[i];
			r.names[i].zone = r.zones[i];
			/* Ask the plugin now whether it can write there: a CNAME into
			 * a zone it cannot update must stop us before any order. */
			ch.identifier = wildcard ? name + 2 : name;
			ch.wildcard = wildcard;
			ch.type = "dns-01";
			ch.record_name = r.record_names[i];
			ch.zone = r.zones[i];
			if (plugin_instance_check(pi, &ch, e) != AH_OK)
				goto fail;
		}
	}
	for (size_t i = 0; i < s->n_deploys; i++) {
		const struct route *rt = &s->deploys[i];
		const struct plugin_module *m = rt->plugin ? plugin_registry_find(&eng->plugins, rt->plugin)
		                                           : NULL;
		char iname[64];

		if (!m || !(m->roles & AH_ROLE_INSTALLER)) {
			err_set(e, EXIT_USAGE, "no installer plugin named \"%s\" for deploy step %zu",
			        rt->plugin ? rt->plugin : "(none)", i + 1);
			goto fail;
		}
		snprintf(iname, sizeof(iname), "deploy#%zu", i + 1);
		r.deploys[i] = make_instance(eng, r.dns, rt, iname, e);
		if (!r.deploys[i])
			goto fail;
		r.n_deploys++;
	}
	*out = r;
	return 0;
fail:
	routed_free(&r);
	return -1;
}
