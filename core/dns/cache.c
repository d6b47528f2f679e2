/* The client's memory of zone, nameserver and alias lookups; see cache.h. */
#include <stdlib.h>
#include <string.h>

#include "dns/cache.h"
#include "dns/client.h"
#include "dns/util.h"

struct cache_entry {
	enum dns_cache_kind kind;
	char *name;
	char *server;             /* "" for the resolvers */
	char **values;            /* NULL-terminated */
};

struct dns_cache {
	struct cache_entry *e;
	size_t n, cap;
};

struct dns_cache *dns_cache_new(void)
{
	return calloc(1, sizeof(struct dns_cache));
}

static void entry_free(struct cache_entry *x)
{
	free(x->name);
	free(x->server);
	dns_strv_free(x->values);
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_free(&c->e[i]);
	free(c->e);
	free(c);
}

static struct cache_entry *find(const struct dns_cache *c, enum dns_cache_kind kind,
				const char *name, const char *server)
{
	for (size_t i = 0; c && name && i < c->n; i++)
		if (c->e[i].kind == kind && strcmp(c->e[i].name, name) == 0 &&
		    strcmp(c->e[i].server, server ? server : "") == 0)
			return &c->e[i];
	return NULL;
}

char *const *dns_cache_get(const struct dns_cache *c, enum dns_cache_kind kind,
			   const char *name, const char *server)
{
	const struct cache_entry *x = find(c, kind, name, server);

	return x ? x->values : NULL;
}

void dns_cache_put(struct dns_cache *c, enum dns_cache_kind kind, const char *name,
		   const char *server, char *const *values)
{
	struct cache_entry x = {.kind = kind};
	size_t nv = 0;

	if (!c || !name || !values || find(c, kind, name, server))
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct cache_entry *grown = realloc(c->e, cap * sizeof(*grown));

		if (!grown)
			return;
		c->e = grown;
		c->cap = cap;
	}
	x.name = strdup(name);
	x.server = strdup(server ? server : "");
	for (size_t i = 0; values[i]; i++)
		if (dns_strv_push(&x.values, &nv, values[i]) < 0)
			break;
	if (!x.name || !x.server || nv == 0 || values[nv]) {
		entry_free(&x);
		return;
	}
	c->e[c->n++] = x;
}
