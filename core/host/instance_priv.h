/* The instance record, shared by instance.c (its life and the plugin calls)
 * and services.c (the host services table, whose context it is). Private
 * to core/host/. */
#ifndef ACMEHOOK_HOST_INSTANCE_PRIV_H
#define ACMEHOOK_HOST_INSTANCE_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <pthread.h>

#include <acmehook/plugin.h>

#include "host/instance.h"

/* Plugin error text is capped so a plugin cannot flood the one-line error
 * the user sees. */
#define HOST_ERR_MAX 512

struct host_instance {
	const struct plugin_module *mod;  /* borrowed from the registry */
	char *label;                      /* "NAME[INSTANCE]" */
	char **opts;                      /* owned key, value pairs */
	size_t nopts;                     /* number of pairs */
	char **secrets;                   /* owned key, value pairs; values wiped */
	size_t nsecrets;
	struct host_clients clients;
	struct ah_host host;              /* handed to init, valid until fini */
	void *state;
	bool inited;
	pthread_mutex_t lock;             /* held through every call into the plugin */
	char errtext[HOST_ERR_MAX];       /* the plugin's set_error text */
};

/* Fill H with this host's services table, HI being every service's
 * context. */
void host_services_fill(struct ah_host *h, struct host_instance *hi);

/* Wipe and free a string that may hold a secret. Accepts NULL. */
void host_wipe_free(char *s);

#endif
