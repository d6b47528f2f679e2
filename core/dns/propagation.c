/* Propagation waits: ask every server that matters, again and again, until
 * each serves (or no longer serves) each expected TXT value; see
 * propagation.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sleep.h"
#include "dns/propagation.h"
#include "dns/util.h"

enum {
	DEFAULT_WAIT_SECONDS = 120,
	DEFAULT_INTERVAL_SECONDS = 2,
	LAG_LOG_SECONDS = 10,
};

/* One (name, server) pair to watch. */
struct watch {
	const struct dns_expect *item;
	char *server;
	bool done;
	char why[96];
};

/* The pairs of one wait. */
struct watches {
	struct watch *w;
	size_t n;
};

static void watches_free(struct watches *ws)
{
	for (size_t i = 0; ws->w && i < ws->n; i++)
		free(ws->w[i].server);
	free(ws->w);
	ws->w = NULL;
	ws->n = 0;
}

/* List the pairs still pending, "NAME at SERVER (why)", into OUT. */
static void lagging_text(const struct watches *ws, char *out, size_t cap)
{
	size_t shown = 0, left = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ws->n; i++) {
		const struct watch *w = &ws->w[i];
		char one[512];

		if (w->done)
			continue;
		snprintf(one, sizeof(one), "%s%s at %s (%s)", shown ? ", " : "", w->item->name,
			 w->server, w->why);
		if (strlen(out) + strlen(one) + 16 < cap) {
			strcat(out, one);
			shown++;
		} else {
			left++;
		}
	}
	if (left)
		snprintf(out + strlen(out), cap - strlen(out), " and %zu more", left);
}

/* Check one pair: is VALUE served (or, when GONE, no longer served)? */
static void check_watch(const struct dns_client *c, struct watch *w, bool gone)
{
	struct dns_answer a = {0};
	struct error qe = {0};
	bool present = false;

	if (dns_query(c, w->server, w->item->name, "TXT", &a, &qe) < 0) {
		snprintf(w->why, sizeof(w->why), "%s",
			 qe.kind == ERR_TIMEOUT ? "no answer" : "query failed");
		dns_log(c->log, LVL_DEBUG, "%s", qe.msg);
		return;
	}
	for (size_t i = 0; i < a.n; i++)
		if (strcmp(a.values[i], w->item->value) == 0)
			present = true;
	if (gone) {
		w->done = !present && (a.rcode == DNS_R_NOERROR || a.rcode == DNS_R_NXDOMAIN);
		snprintf(w->why, sizeof(w->why), "%s", present ? "still served" : dns_rcode_name(a.rcode));
	} else {
		w->done = present && a.rcode == DNS_R_NOERROR;
		if (a.rcode != DNS_R_NOERROR)
			snprintf(w->why, sizeof(w->why), "%s", dns_rcode_name(a.rcode));
		else
			snprintf(w->why, sizeof(w->why), "%s",
				 a.n ? "other TXT values only" : "no TXT record");
	}
	dns_answer_free(&a);
}

/* *SERVERS (malloc'd, dns_strv_free): the authoritative nameservers of
 * ITEM's zone. */
static int zone_servers_of(const struct dns_client *c, const struct dns_expect *item,
			   char ***servers, struct error *e)
{
	char *zone = NULL;
	int rc = -1;

	if (item->zone) {
		zone = strdup(item->zone);
		if (!zone) {
			err_nomem(e);
			goto out;
		}
	} else if (dns_zone_of(c, item->name, NULL, &zone, e) < 0) {
		goto out;
	}
	rc = dns_zone_servers(c, zone, servers, e);
out:
	free(zone);
	return rc;
}

/* Add a pair for ITEM and each server that must serve it in MODE. */
static int add_watches(const struct dns_client *c, enum dns_propagation mode,
		       const struct dns_expect *item, struct watches *ws, struct error *e)
{
	char **servers = NULL;
	char *const *list = c->resolvers;
	struct watch *grown;
	size_t count = 0;
	int rc = -1;

	if (!item->name || !item->value) {
		err_set(e, EXIT_USAGE, "DNS propagation check without a name or value");
		goto out;
	}
	if (mode == DNS_PROP_AUTHORITATIVE) {
		if (zone_servers_of(c, item, &servers, e) < 0)
			goto out;
		list = servers;
	}
	while (list && list[count])
		count++;
	grown = realloc(ws->w, (ws->n + count + 1) * sizeof(*ws->w));
	if (!grown) {
		err_nomem(e);
		goto out;
	}
	ws->w = grown;
	for (size_t k = 0; k < count; k++) {
		struct watch *w = &ws->w[ws->n];

		memset(w, 0, sizeof(*w));
		w->item = item;
		w->server = strdup(list[k]);
		if (!w->server) {
			err_nomem(e);
			goto out;
		}
		snprintf(w->why, sizeof(w->why), "not checked yet");
		ws->n++;
	}
	rc = 0;
out:
	dns_strv_free(servers);
	return rc;
}

/* Check the pending pairs every INTERVAL seconds until all are done or
 * TIMEOUT seconds have passed. */
static int poll_watches(const struct dns_client *c, struct watches *ws, size_t nitems, bool gone,
			long timeout, long interval, struct error *e)
{
	long start = dns_now_ms(), last_log = start;

	for (;;) {
		bool all = true;
		long left;
		char text[900];

		for (size_t i = 0; i < ws->n; i++) {
			if (!ws->w[i].done)
				check_watch(c, &ws->w[i], gone);
			all = all && ws->w[i].done;
		}
		if (all)
			break;
		left = timeout * 1000 - (dns_now_ms() - start);
		lagging_text(ws, text, sizeof(text));
		if (left <= 0)
			return err_set_kind(e, EXIT_OP, ERR_TIMEOUT,
					    "DNS TXT record%s still %s after %lds: %s; check the records at "
					    "the DNS provider or allow more time",
					    nitems > 1 ? "s" : "", gone ? "served" : "not served", timeout,
					    text);
		if (dns_now_ms() - last_log >= LAG_LOG_SECONDS * 1000) {
			dns_log(c->log, LVL_INFO, "waiting for DNS: %s", text);
			last_log = dns_now_ms();
		}
		if (sleep_s(interval * 1000 < left ? interval : (left + 999) / 1000, e) < 0)
			return -1;
	}
	dns_log(c->log, LVL_INFO, "DNS: %s %zu TXT record%s at %zu server%s after %lds",
		gone ? "gone:" : "visible:", nitems, nitems > 1 ? "s" : "", ws->n,
		ws->n > 1 ? "s" : "", (dns_now_ms() - start) / 1000);
	return 0;
}

static int wait_common(const struct dns_client *c, const struct dns_propagation_cfg *cfg,
		       const struct dns_expect *items, size_t n, bool gone, struct error *e)
{
	struct watches ws = {0};
	long timeout = cfg->timeout_seconds > 0 ? cfg->timeout_seconds : DEFAULT_WAIT_SECONDS;
	long interval = cfg->interval_seconds > 0 ? cfg->interval_seconds : DEFAULT_INTERVAL_SECONDS;
	int rc = -1;

	if (n == 0)
		return 0;
	if (cfg->mode == DNS_PROP_NONE) {
		if (cfg->fixed_seconds <= 0)
			return 0;
		dns_log(c->log, LVL_INFO, "waiting %lds for DNS changes to propagate",
			cfg->fixed_seconds);
		return sleep_s(cfg->fixed_seconds, e);
	}
	for (size_t i = 0; i < n; i++)
		if (add_watches(c, cfg->mode, &items[i], &ws, e) < 0)
			goto out;
	rc = poll_watches(c, &ws, n, gone, timeout, interval, e);
out:
	watches_free(&ws);
	return rc;
}

int dns_wait_propagation(const struct dns_client *c, const struct dns_propagation_cfg *cfg,
			 const struct dns_expect *items, size_t n, struct error *e)
{
	return wait_common(c, cfg, items, n, false, e);
}

int dns_wait_gone(const struct dns_client *c, const struct dns_propagation_cfg *cfg,
		  const struct dns_expect *items, size_t n, struct error *e)
{
	return wait_common(c, cfg, items, n, true, e);
}
