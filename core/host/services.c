/* The host services table handed to plugins: logging, error text, options
 * and secrets, HTTP, DNS and time. Every service's context is the calling
 * struct host_instance. Nothing here changes the shared clients: a call's
 * timeout and permissions travel with that call. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "base/http.h"
#include "base/log.h"
#include "dns/client.h"
#include "dns/update.h"
#include "host/instance_priv.h"

#define HTTP_REQ_V1_0_SIZE                                                  \
	(offsetof(struct ah_http_request, timeout_seconds) + sizeof(long))

static void host_log(void *ctx, int level, const char *msg)
{
	struct host_instance *hi = ctx;
	enum log_level lvl;

	if (!hi->clients.log || !msg)
		return;
	/* A level this host does not know is logged rather than lost. */
	if (level <= AH_LOG_ERROR)
		lvl = LVL_ERROR;
	else if (level == AH_LOG_WARN)
		lvl = LVL_WARN;
	else if (level == AH_LOG_INFO)
		lvl = LVL_INFO;
	else
		lvl = LVL_DEBUG;
	log_msg(hi->clients.log, lvl, "%s: %s", hi->label, msg);
}

static void host_set_error(void *ctx, const char *msg)
{
	struct host_instance *hi = ctx;

	err_escape(hi->errtext, sizeof(hi->errtext), msg ? msg : "");
}

static const char *pair_get(char *const *kv, size_t n, const char *key)
{
	if (!key)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[2 * i], key) == 0)
			return kv[2 * i + 1];
	return NULL;
}

static const char *host_config_get(void *ctx, const char *key)
{
	struct host_instance *hi = ctx;

	return pair_get(hi->opts, hi->nopts, key);
}

static int host_secret_get(void *ctx, const char *key, char **value)
{
	struct host_instance *hi = ctx;
	const char *v = pair_get(hi->secrets, hi->nsecrets, key);
	char *copy;

	if (!value)
		return AH_FAIL;
	if (!v)
		return AH_DECLINE;
	copy = strdup(v);
	if (!copy)
		return AH_FAIL;
	*value = copy;
	return AH_OK;
}

void host_wipe_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void host_secret_free(void *ctx, char *value)
{
	host_wipe_free(value);
}

static int host_http_request(void *ctx, const struct ah_http_request *req,
                             struct ah_http_response **resp)
{
	struct host_instance *hi = ctx;
	struct http_response hr = {0};
	struct ah_http_response *out = NULL;
	struct http_opts opts = {0};
	struct error e = {0};
	int ret = AH_FAIL;

	if (!resp || !req || req->struct_size < HTTP_REQ_V1_0_SIZE || !req->method ||
	    !req->url) {
		host_set_error(hi, "http_request: malformed request (NULL member or "
		                   "struct_size too small)");
		goto out;
	}
	if (!hi->clients.http) {
		char msg[HOST_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s %s: no HTTP client is available to plugins here",
		         req->method, req->url);
		host_set_error(hi, msg);
		goto out;
	}
	/* Plugins talk to local provider APIs (PowerDNS on 127.0.0.1:8081 is
	 * the common case), so plain http is allowed to loopback for them;
	 * everything else stays https only. */
	opts.timeout_seconds = req->timeout_seconds;
	opts.allow_plain_loopback = true;
	if (http_request(hi->clients.http, req->method, req->url, req->headers, req->body,
	                 req->body ? req->body_len : 0, &opts, &hr, &e) < 0) {
		/* Pre-filled so a plugin that fails without a word still
		 * reports something useful; its own set_error replaces it. */
		host_set_error(hi, e.msg);
		goto out;
	}
	out = calloc(1, sizeof(*out));
	if (!out) {
		host_set_error(hi, "http_request: out of memory");
		goto out;
	}
	out->struct_size = sizeof(*out);
	out->status = hr.status;
	out->body_len = hr.body.len;
	out->headers = buf_steal(&hr.headers);
	out->body = buf_steal(&hr.body);
	if (!out->headers || !out->body) {
		host_set_error(hi, "http_request: out of memory");
		goto out;
	}
	*resp = out;
	out = NULL;
	ret = AH_OK;
out:
	if (out) {
		free(out->headers);
		free(out->body);
		free(out);
	}
	http_response_free(&hr);
	return ret;
}

static void host_http_response_free(void *ctx, struct ah_http_response *resp)
{
	if (!resp)
		return;
	free(resp->headers);
	/* Bodies carry tokens and keys often enough to wipe them all. */
	if (resp->body) {
		OPENSSL_cleanse(resp->body, resp->body_len);
		free(resp->body);
	}
	free(resp);
}

static bool have_dns(struct host_instance *hi, const char *what)
{
	char msg[HOST_ERR_MAX];

	if (hi->clients.dns)
		return true;
	snprintf(msg, sizeof(msg), "%s: no DNS client is available to plugins here", what);
	host_set_error(hi, msg);
	return false;
}

static void host_dns_answer_free(void *ctx, struct ah_dns_answer *a)
{
	(void)ctx;
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->values[i]);
		free(a->owners[i]);
	}
	free(a->values);
	free(a->owners);
	free(a);
}

static int host_dns_query(void *ctx, const struct ah_dns_query *q, struct ah_dns_answer **ans)
{
	struct host_instance *hi = ctx;
	struct dns_answer a = {0};
	struct ah_dns_answer *out = NULL;
	struct error e = {0};
	int ret = AH_FAIL;

	if (!q || !ans || !q->name || !q->type ||
	    q->struct_size < offsetof(struct ah_dns_query, timeout_seconds) + sizeof(long)) {
		host_set_error(hi, "dns_query: malformed query");
		return AH_FAIL;
	}
	if (!have_dns(hi, "dns_query"))
		return AH_FAIL;
	if (dns_query_opt(hi->clients.dns, q->server, q->name, q->type, q->timeout_seconds, &a,
	                  &e) < 0) {
		host_set_error(hi, e.msg);
		goto out;
	}
	out = calloc(1, sizeof(*out));
	if (!out) {
		host_set_error(hi, "dns_query: out of memory");
		goto out;
	}
	out->struct_size = sizeof(*out);
	out->rcode = a.rcode;
	out->values = calloc(a.n + 1, sizeof(char *));
	out->owners = calloc(a.n + 1, sizeof(char *));
	if (!out->values || !out->owners) {
		host_set_error(hi, "dns_query: out of memory");
		goto out;
	}
	for (size_t i = 0; i < a.n; i++) {
		out->values[i] = a.values[i];
		out->owners[i] = a.owners[i];
		a.values[i] = a.owners[i] = NULL;
		out->n++;
	}
	*ans = out;
	out = NULL;
	ret = AH_OK;
out:
	host_dns_answer_free(hi, out);
	dns_answer_free(&a);
	return ret;
}

/* Check the plugin's TSIG key struct KEY (may be NULL) and put it into R;
 * its secret, which may come from anywhere the plugin likes, is masked in
 * logs from now on. */
static bool update_key(struct host_instance *hi, const struct ah_tsig_key *key, const char *call,
                       struct dns_update_req *r)
{
	char msg[HOST_ERR_MAX];

	if (!key)
		return true;
	/* The key is the plugin's struct too: one older than this host's
	 * idea of it would be read past its end. */
	if (!AH_HAS_MEMBER(key, struct ah_tsig_key, secret)) {
		snprintf(msg, sizeof(msg), "%s: malformed TSIG key (struct_size %zu, at least %zu "
		         "needed)", call, key->struct_size,
		         offsetof(struct ah_tsig_key, secret) + sizeof(key->secret));
		host_set_error(hi, msg);
		return false;
	}
	r->key_name = key->name;
	r->key_alg = key->algorithm;
	r->key_secret = key->secret;
	if (hi->clients.log && key->secret)
		log_add_secret(hi->clients.log, key->secret);
	return true;
}

/* Send B, the plugin's batch or a one-record dns_update put as one, for
 * the service CALL. */
static int send_update(struct host_instance *hi, const struct ah_dns_update_batch *b,
                       const char *call)
{
	struct dns_update_req r = {0};
	struct error e = {0};

	if (!update_key(hi, b->key, call, &r) || !have_dns(hi, call))
		return AH_FAIL;
	r.server = b->server;
	r.zone = b->zone;
	r.names = b->names;
	r.txts = b->txts;
	r.n = b->n;
	r.ttl = b->ttl;
	r.add = b->add != 0;
	r.timeout_seconds = b->timeout_seconds;
	if (dns_update_txt(hi->clients.dns, &r, &e) < 0) {
		host_set_error(hi, e.msg);
		return AH_FAIL;
	}
	return AH_OK;
}

static int host_dns_update(void *ctx, const struct ah_dns_update *u)
{
	struct host_instance *hi = ctx;
	struct ah_dns_update_batch one = {.struct_size = sizeof(one), .n = 1};

	if (!u || !u->server || !u->name || !u->txt ||
	    u->struct_size < offsetof(struct ah_dns_update, timeout_seconds) + sizeof(long)) {
		host_set_error(hi, "dns_update: malformed request");
		return AH_FAIL;
	}
	one.server = u->server;
	one.zone = u->zone;
	one.names = &u->name;
	one.txts = &u->txt;
	one.ttl = u->ttl;
	one.add = u->add;
	one.key = u->key;
	one.timeout_seconds = u->timeout_seconds;
	return send_update(hi, &one, "dns_update");
}

static int host_dns_update_batch(void *ctx, const struct ah_dns_update_batch *b)
{
	struct host_instance *hi = ctx;
	bool complete = b && b->server && b->n > 0 && b->names && b->txts;

	for (size_t i = 0; complete && i < b->n; i++)
		complete = b->names[i] && b->txts[i];
	if (!complete || !AH_HAS_MEMBER(b, struct ah_dns_update_batch, timeout_seconds)) {
		host_set_error(hi, "dns_update_batch: malformed request");
		return AH_FAIL;
	}
	return send_update(hi, b, "dns_update_batch");
}

static int host_dns_zone_of(void *ctx, const char *name, const char *server, char **zone)
{
	struct host_instance *hi = ctx;
	struct error e = {0};

	if (!name || !zone) {
		host_set_error(hi, "dns_zone_of: NULL argument");
		return AH_FAIL;
	}
	if (!have_dns(hi, "dns_zone_of"))
		return AH_FAIL;
	if (dns_zone_of(hi->clients.dns, name, server, zone, &e) < 0) {
		host_set_error(hi, e.msg);
		return AH_FAIL;
	}
	return AH_OK;
}

static void host_string_free(void *ctx, char *s)
{
	(void)ctx;
	free(s);
}

static int64_t host_now(void *ctx)
{
	return (int64_t)time(NULL);
}

void host_services_fill(struct ah_host *h, struct host_instance *hi)
{
	memset(h, 0, sizeof(*h));
	h->struct_size = sizeof(*h);
	h->abi_major = AH_ABI_MAJOR;
	h->abi_minor = AH_ABI_MINOR;
	h->ctx = hi;
	h->log = host_log;
	h->set_error = host_set_error;
	h->config_get = host_config_get;
	h->secret_get = host_secret_get;
	h->secret_free = host_secret_free;
	h->http_request = host_http_request;
	h->http_response_free = host_http_response_free;
	h->now = host_now;
	h->dns_query = host_dns_query;
	h->dns_answer_free = host_dns_answer_free;
	h->dns_update = host_dns_update;
	h->dns_zone_of = host_dns_zone_of;
	h->string_free = host_string_free;
	h->dns_update_batch = host_dns_update_batch;
}
