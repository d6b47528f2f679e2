/* Routing the names of an order to plugin instances (see route.c). */
#ifndef ACMEHOOK_HOST_ROUTE_H
#define ACMEHOOK_HOST_ROUTE_H

#include <stddef.h>

#include "base/err.h"
#include "host/instance.h"

struct log;
struct http_client;
struct dns_client;
struct settings;

/* What routing needs from the run; all borrowed for the call, and LOG,
 * HTTP and PLUGINS must outlive the struct routed it fills (its instances
 * keep them). */
struct route_ctx {
	struct log *log;
	struct http_client *http;
	const struct plugin_registry *plugins;
	const struct settings *settings; /* the lineage's effective settings */
};

/* One identifier of the order and who validates it. Owns its strings. */
struct routed_name {
	char *name;                      /* as in the certificate, "*.x" for wildcards */
	struct host_instance *inst;      /* borrowed from the struct routed */
	enum challenge_type challenge;
	char *record_name;               /* dns-01: where the TXT goes, CNAMEs followed */
	char *zone;                      /* dns-01: its zone, or NULL when unknown */
};

struct routed {
	struct routed_name *names;        /* one per name of the settings, in their order */
	size_t n_names;
	struct host_instance **insts;     /* owned: one per distinct route */
	size_t n_insts;
	struct host_instance **deploys;   /* owned: installer steps, in order */
	size_t n_deploys;
	/* The lineage's own DNS settings (resolvers, nameserver port) come from
	 * its renewal file, so each run gets its own client; on the heap
	 * because plugin instances keep a pointer to it. Owned. */
	struct dns_client *dns;
};

/* Create one plugin instance per distinct route of the settings, give every
 * name its instance, challenge type and (dns-01) record name and zone, ask
 * each dns-01 plugin whether it can write there, and create the deploy
 * steps. Everything that can be refused is refused here, before any order.
 * OUT is written only on success. */
int route_names(const struct route_ctx *ctx, struct routed *out, struct error *e);
/* Frees the instances (calling their fini) and the records; accepts NULL. */
void routed_free(struct routed *r);

#endif
