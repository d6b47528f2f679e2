/* Routing the names of an order to plugin instances (see route.c). */
#ifndef ACMEHOOK_ROUTE_H
#define ACMEHOOK_ROUTE_H

#include <stddef.h>

#include "base/err.h"
#include "acme/order.h"

struct engine;
struct settings;
struct dns_client;
struct plugin_instance;
struct route;

struct routed {
	struct order_name *names;
	char **record_names;              /* owned, one per name (dns-01 only) */
	char **zones;
	struct plugin_instance **insts;
	const struct route **inst_routes;
	size_t n_names, n_insts;
	struct plugin_instance **deploys; /* installer steps, in order */
	size_t n_deploys;
	/* The lineage's own DNS settings (resolvers, nameserver port) come from
	 * its renewal file, so each run gets its own client; on the heap
	 * because plugin instances keep a pointer to it. */
	struct dns_client *dns;
};

/* Create one plugin instance per distinct route of S, give every name its
 * instance, challenge type and (dns-01) record name and zone, ask each
 * dns-01 plugin whether it can write there, and create the deploy steps.
 * Everything that can be refused is refused here, before any order. */
int route_names(struct engine *eng, const struct settings *s, struct routed *out,
                struct error *e);
void routed_free(struct routed *r);

#endif
